"""The toll-fraud guard: international and premium numbers are refused unless allowed, and
an allow-list of SIP hosts, once set, is enforced; wherever destinations are entered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from veertien.routing import Settings, SettingsError
from veertien.routing.destinations import DestinationPolicy
from veertien.storage import DataDir
from veertien.storage.schema import audit_log
from veertien.storage.store import Storage


@pytest.mark.parametrize(
    ("destination", "refused"),
    [
        ("sip:+31113000001@127.0.0.1:5080", None),
        ("tel:+31882345678", None),
        ("sip:kcc@goes.example", None),
        ("tel:+4420794600", "international"),
        ("sip:+2327654321@carrier.example", "international"),
        ("tel:0900-1234567", "premium-rate"),
        ("sip:+319061234@carrier.example", "premium-rate"),
        ("tel:+31909123456", "premium-rate"),
    ],
)
def test_numbers_by_default(destination: str, refused: str | None) -> None:
    why = DestinationPolicy().refusal(destination)
    assert why is None if refused is None else (why is not None and refused in why)


def test_an_allowed_prefix_and_the_host_list() -> None:
    policy = DestinationPolicy(hosts=("*.goes.example", "127.0.0.1"), numbers=("+32", "0900"))
    assert policy.refusal("tel:+3225551234") is None
    assert policy.refusal("tel:09001234567") is None
    assert policy.refusal("sip:kcc@kcc.goes.example") is None
    assert policy.refusal("sip:+31113000001@127.0.0.1:5080") is None
    assert "not on the allow-list" in (policy.refusal("sip:evil@1.2.3.4") or "")
    assert policy.refusal("tel:+4420794600") is not None


def test_settings_name_where_a_refused_destination_is() -> None:
    settings = Settings.from_json(
        {"municipalities": {"GM0664": {"destination": "tel:+4420794600"}}}
    )
    (refused,) = settings.refused_destinations()
    assert refused.startswith("municipalities.GM0664.destination: tel:+4420794600 is refused")
    allowed = Settings.from_json(
        {
            "destination_numbers": ["+44"],
            "municipalities": {"GM0664": {"destination": "tel:+4420794600"}},
        }
    )
    assert allowed.refused_destinations() == []
    assert Settings.from_json(allowed.to_json()) == allowed
    with pytest.raises(SettingsError, match="destination_hosts"):
        Settings.from_json({"destination_hosts": ["not a host!"]})


def test_nothing_refused_is_stored_and_the_refusal_is_audited(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text(
        json.dumps({"municipalities": {"GM0664": {"destination": "sip:+2327654321@c.example"}}})
    )
    with pytest.raises(SettingsError, match="international"):
        Storage.open(DataDir(tmp_path))
    (tmp_path / "settings.json").unlink()
    storage = Storage.open(DataDir(tmp_path))
    try:
        policy = storage.config.settings()
        strict = Settings.from_json({**policy.to_json(), "destination_hosts": ["*.goes.example"]})
        with pytest.raises(SettingsError, match=r"directory GM\d{4} .* host 127.0.0.1"):
            storage.config.save_settings(strict, "test")  # the demo's destinations are 127.0.0.1
        assert storage.config.settings().destinations.hosts == ()  # nothing stored
        with storage.engine.connect() as conn:
            actions = conn.execute(select(audit_log.c.action)).scalars().all()
        assert "settings refused" in actions
    finally:
        storage.close()
