"""The routing snapshot in the database: directory and settings, versioned, every change audited.

A change is one transaction: the new document, the revision counter and the audit entries (who,
what, old and new value) commit together or not at all. Readers ask for the revision first (one
indexed row) and load the documents only when it moved.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update

from veertien.directory import Directory, Organisation, demo_directory
from veertien.routing import RoutingContext, Settings, SettingsError
from veertien.storage.schema import audit_log, config

SETTINGS = "settings"
DIRECTORY = "directory"


@dataclass(frozen=True, slots=True)
class Snapshot:
    revision: int
    context: RoutingContext


def _now() -> datetime:
    return datetime.now(UTC)


def audit(
    conn: Connection, actor: str, action: str, target: str, *, old: Any = None, new: Any = None
) -> None:
    conn.execute(
        insert(audit_log).values(
            at=_now(),
            actor=actor,
            action=action,
            target=target,
            old=None if old is None else json.dumps(old, ensure_ascii=False, sort_keys=True),
            new=None if new is None else json.dumps(new, ensure_ascii=False, sort_keys=True),
        )
    )


def changes(old: Mapping[str, Any], new: Mapping[str, Any], prefix: str = "") -> list[str]:
    """The dotted keys whose values differ ("municipalities.GM0664.calamity")."""
    out = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            out += changes(a, b, f"{prefix}{key}.")
        elif a != b:
            out.append(f"{prefix}{key}")
    return out


def _pick(data: Mapping[str, Any], dotted: str) -> Any:
    value: Any = data
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


class ConfigStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def revision(self) -> int:
        """The sum of the settings' and the directory's revisions (as `snapshot()` counts)."""
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.coalesce(func.sum(config.c.revision), 0)).where(
                        config.c.name.in_((SETTINGS, DIRECTORY))
                    )
                ).scalar_one()
            )

    def snapshot(self) -> Snapshot:
        with self.engine.connect() as conn:
            rows = {r.name: r for r in conn.execute(select(config))}
        settings = (
            Settings.from_json(json.loads(rows[SETTINGS].body)) if SETTINGS in rows else Settings()
        )
        directory = (
            Directory.from_json(json.loads(rows[DIRECTORY].body))
            if DIRECTORY in rows
            else demo_directory()
        )
        revision = sum(r.revision for n, r in rows.items() if n in (SETTINGS, DIRECTORY))
        return Snapshot(revision, RoutingContext(directory, settings))

    def has(self, name: str) -> bool:
        with self.engine.connect() as conn:
            return (
                conn.execute(select(config.c.name).where(config.c.name == name)).first() is not None
            )

    def settings(self) -> Settings:
        return self.snapshot().context.settings

    def save_settings(self, settings: Settings, actor: str, action: str = "settings") -> list[str]:
        """Store new settings; one audit entry per changed key. Returns the changed keys.
        Settings naming a destination their policy refuses (with the stored directory's) are
        not stored: `SettingsError` with the reason, and the refusal is audited."""
        self._allowed(settings, self.snapshot().context.directory, actor, action)
        new = settings.to_json()
        with self.engine.begin() as conn:
            row = conn.execute(select(config).where(config.c.name == SETTINGS)).first()
            old = json.loads(row.body) if row is not None else Settings().to_json()
            changed = changes(old, new)
            if not changed and row is not None:
                return []
            self._put(conn, SETTINGS, new, settings.version, actor)
            for key in changed:
                audit(conn, actor, action, key, old=_pick(old, key), new=_pick(new, key))
        return changed

    def save_directory(self, directory: Directory, actor: str, source: str) -> None:
        """Store an imported directory — keeping each remaining municipality's destination
        where the import names none — unless the settings' destination policy refuses one of
        its destinations (`SettingsError`, audited)."""
        current = self.snapshot().context  # read once: the directory and settings in force
        directory = directory.keeping_destinations(current.directory)
        self._allowed(current.settings, directory, actor, "directory import")
        with self.engine.begin() as conn:
            row = conn.execute(select(config.c.version).where(config.c.name == DIRECTORY)).first()
            self._put(conn, DIRECTORY, directory.to_json(), directory.version, actor)
            old = None if row is None else {"version": row.version}
            new = {
                "version": directory.version,
                "source": source,
                "municipalities": len(directory.municipalities),
            }
            audit(conn, actor, "directory import", "directory", old=old, new=new)

    def save_organisation(
        self, code: str, organisation: Organisation | None, actor: str
    ) -> Directory:
        """Add, change or (None) remove one organisation of the national number's catalogue:
        the directory stored anew, audited with the old and new entry; a destination the
        destination policy refuses is not stored (`SettingsError`, audited)."""
        current = self.snapshot().context
        orgs = current.directory.organisations
        old = current.directory.organisation(code)
        if organisation is None:
            kept = tuple(o for o in orgs if o.code != code)
        elif old is None:
            kept = (*orgs, organisation)
        else:  # changed where it stands
            kept = tuple(organisation if o.code == code else o for o in orgs)
        directory = replace(current.directory, organisations=kept)
        self._allowed(current.settings, directory, actor, "organisation")
        with self.engine.begin() as conn:
            self._put(conn, DIRECTORY, directory.to_json(), directory.version, actor)
            audit(
                conn, actor, "organisation", f"organisations.{code}",
                old=asdict(old) if old else None,
                new=asdict(organisation) if organisation else None,
            )  # fmt: skip
        return directory

    def _allowed(self, settings: Settings, directory: Directory, actor: str, action: str) -> None:
        refused = settings.refused_destinations(directory)
        if not refused:
            return
        with self.engine.begin() as conn:
            audit(conn, actor, f"{action} refused", "destinations", new=refused[:20])
        more = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
        raise SettingsError(f"{refused[0]}{more}")

    @staticmethod
    def _put(conn: Connection, name: str, body: Any, version: str, actor: str) -> None:
        text = json.dumps(body, ensure_ascii=False, sort_keys=True)
        values = {"body": text, "version": version, "updated_at": _now(), "updated_by": actor}
        exists = conn.execute(select(config.c.name).where(config.c.name == name)).first()
        if exists is not None:
            conn.execute(
                update(config)
                .where(config.c.name == name)
                .values(**values, revision=config.c.revision + 1)
            )
        else:
            conn.execute(insert(config).values(name=name, revision=1, **values))

    def file_seen(self, name: str, digest: str) -> bool:
        """Whether this content of a data-folder file was imported already."""
        with self.engine.connect() as conn:
            row = conn.execute(select(config.c.version).where(config.c.name == f"file:{name}"))
            found = row.first()
        return found is not None and found.version == digest

    def import_file(self, name: str, digest: str, document: Settings | Directory) -> None:
        """Take a changed `settings.json` / `directory.json` into the database (audited as
        the file), and remember its content so it is taken once."""
        actor = f"file:{name}"
        if isinstance(document, Settings):
            self.save_settings(document, actor, "settings file")
        else:
            self.save_directory(document, actor, name)
        with self.engine.begin() as conn:
            self._put(conn, f"file:{name}", {}, digest, actor)
