"""The database: migrations, the routing snapshot with its audit trail, users, incidents and
call records — on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from veertien.directory import demo_directory
from veertien.storage.calls import DatabaseSink
from veertien.storage.incidents import IncidentError, IncidentStatus
from veertien.storage.schema import audit_log, call_records
from veertien.storage.store import Storage
from veertien.storage.users import Role, UserError, first_operator


def _audit(storage: Storage) -> list[tuple[str, str, str, Any, Any]]:
    with storage.engine.connect() as conn:
        rows = conn.execute(select(audit_log).order_by(audit_log.c.id)).all()
    return [
        (r.actor, r.action, r.target, r.old and json.loads(r.old), r.new and json.loads(r.new))
        for r in rows
    ]


def test_a_new_database_routes_on_the_demo_directory(storage: Storage) -> None:
    snapshot = storage.snapshot()
    assert snapshot.revision == 0
    assert snapshot.context.directory.version == demo_directory().version


def test_settings_changes_are_versioned_and_audited_key_by_key(storage: Storage) -> None:
    config = storage.config
    before = storage.snapshot()
    settings = config.settings().with_municipality("GM0664", calamity=True)
    assert config.save_settings(settings, "ops") == ["municipalities.GM0664"]
    settings = settings.with_municipality("GM0664", calamity=False, destination="sip:kcc@goes.nl")
    changed = config.save_settings(settings, "ops")
    assert changed == ["municipalities.GM0664.calamity", "municipalities.GM0664.destination"]
    assert config.save_settings(settings, "ops") == []  # nothing changed: nothing written
    after = storage.snapshot()
    assert after.revision == before.revision + 2
    assert after.context.data_version != before.context.data_version
    assert after.context.settings.for_municipality("GM0664").destination == "sip:kcc@goes.nl"
    trail = _audit(storage)
    assert ("ops", "settings", "municipalities.GM0664.calamity", True, None) in trail  # unset
    assert (
        "ops",
        "settings",
        "municipalities.GM0664.destination",
        None,
        "sip:kcc@goes.nl",
    ) in trail


def test_data_folder_files_are_taken_in_once(storage: Storage) -> None:
    storage.data.settings_path.write_text(json.dumps({"key_timeout_s": 3}))
    assert storage.sync_files() is True
    assert storage.sync_files() is False  # same content: not again
    assert storage.routing_context().settings.platform.key_timeout_s == 3
    assert _audit(storage)[-1][0] == "file:settings.json"


def test_users_roles_and_tokens(storage: Storage) -> None:
    users = storage.users
    password = first_operator(users)
    assert password is not None and first_operator(users) is None  # only on an empty database
    operator = users.verify("operator", password)
    assert operator is not None and operator.role is Role.OPERATOR
    assert users.verify("operator", "wrong password!") is None
    admin = users.create("goes-admin", "een lang wachtwoord", Role.ADMIN, "GM0664", "operator")
    assert admin.may_change("GM0664") and not admin.may_change("GM0678")
    assert admin.may_see("GM0664") and not admin.may_see("GM0678")
    viewer = users.create("lezer", "een lang wachtwoord", Role.VIEWER, None, "operator")
    assert viewer.may_see("GM0678") and not viewer.may_change("GM0678")
    with pytest.raises(UserError, match="bestaat al"):
        users.create("goes-admin", "een lang wachtwoord", Role.ADMIN, "GM0664", "operator")
    with pytest.raises(UserError, match="minstens 12"):
        users.create("kort", "kort", Role.VIEWER, None, "operator")
    with pytest.raises(UserError, match="één gemeente"):
        users.create("zonder", "een lang wachtwoord", Role.ADMIN, None, "operator")
    token = users.new_token(admin, "automation", "operator")
    assert users.by_token(token) == admin and users.by_token(token + "x") is None
    users.set_active(admin.id, False, "operator")
    assert users.by_token(token) is None
    assert users.verify("goes-admin", "een lang wachtwoord") is None
    assert "$argon2id$" in _hash(storage, "lezer")


def _hash(storage: Storage, name: str) -> str:
    from veertien.storage.schema import users  # noqa: PLC0415

    with storage.engine.connect() as conn:
        return str(
            conn.execute(select(users.c.password_hash).where(users.c.username == name)).scalar_one()
        )


def test_incidents_with_timed_updates(storage: Storage) -> None:
    incidents = storage.incidents
    first = incidents.open(
        "Storing Zeeland", "Bellers komen niet door.", IncidentStatus.INVESTIGATING, "ops"
    )
    incidents.add_update(first, "Opgelost.", IncidentStatus.RESOLVED, "ops")
    (found,) = incidents.recent()
    assert not found.open and [u.status for u in found.updates] == [
        IncidentStatus.RESOLVED,
        IncidentStatus.INVESTIGATING,
    ]
    with pytest.raises(IncidentError):
        incidents.open("", "x", IncidentStatus.INVESTIGATING, "ops")
    with pytest.raises(IncidentError):
        incidents.add_update(999, "x", IncidentStatus.RESOLVED, "ops")


@dataclass
class _Record:
    number: int

    def to_json(self) -> dict[str, Any]:
        return {
            "call_id": f"call-{self.number}",
            "started": "2026-11-24T10:00:00.000+01:00",
            "dialled": "140113",
            "caller": None,
            "municipality": "GM0664",
            "target": "sip:x",
            "outcome": "redirected",
            "route": "direct",
            "response": 302,
            "data_version": "v1",
        }


def test_call_records_are_written_in_batches_and_all_kept_on_close(storage: Storage) -> None:
    sink = DatabaseSink(storage.engine, interval=0.05)
    for n in range(250):
        sink.write(_Record(n))
    sink.close()
    with storage.engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(call_records)).scalar_one()
        body = conn.execute(select(call_records.c.body).limit(1)).scalar_one()
    assert count == 250 and json.loads(body)["dialled"] == "140113"


def test_a_settings_file_changes_only_what_it_names(storage: Storage) -> None:
    """`echo '{"speech": true}' > settings.json` (as docs/speech.md says) once erased the
    destinations saved in the portal, and the next call got 480."""
    saved = storage.config.settings().with_municipality(
        "GM0664", destination="sip:kcc@goes.example"
    )
    storage.config.save_settings(saved, "portal:ops")
    storage.data.settings_path.write_text(json.dumps({"speech": True}))
    assert storage.sync_files()
    after = storage.config.settings()
    assert after.platform.speech
    assert after.for_municipality("GM0664").destination == "sip:kcc@goes.example"
    change = {"municipalities": {"GM0664": {"calamity": True, "destination": None}}}
    storage.data.settings_path.write_text(json.dumps(change))
    assert storage.sync_files()
    goes = storage.config.settings().for_municipality("GM0664")
    assert goes.calamity and goes.destination is None  # null resets a key, others stay
    assert storage.config.settings().platform.speech
