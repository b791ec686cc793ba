"""Incidents on the public status page: posted by the operator, updated over time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum

from sqlalchemy import Engine, insert, select, update

from veertien.errors import InputError
from veertien.storage.config import audit
from veertien.storage.schema import incident_updates, incidents


class IncidentStatus(Enum):
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"

    @property
    def dutch(self) -> str:
        return {
            "investigating": "Wordt onderzocht",
            "identified": "Oorzaak gevonden",
            "monitoring": "Opgelost, we houden het in de gaten",
            "resolved": "Opgelost",
        }[self.value]


@dataclass(frozen=True, slots=True)
class Update:
    at: datetime
    status: IncidentStatus
    message: str


@dataclass(frozen=True, slots=True)
class Incident:
    id: int
    title: str
    status: IncidentStatus
    created_at: datetime
    updated_at: datetime
    updates: tuple[Update, ...]  # newest first

    @property
    def open(self) -> bool:
        return self.status is not IncidentStatus.RESOLVED


class IncidentError(InputError):
    pass


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class IncidentStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def open(self, title: str, message: str, status: IncidentStatus, actor: str) -> int:
        title, message = title.strip(), message.strip()
        if not title or len(title) > 200 or not message:
            raise IncidentError("titel (max. 200 tekens) en bericht zijn nodig")
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            new_id = int(
                conn.execute(
                    insert(incidents).values(
                        title=title, status=status.value, created_at=now, updated_at=now
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
            )
            conn.execute(
                insert(incident_updates).values(
                    incident_id=new_id, at=now, status=status.value, message=message
                )
            )
            new = {"title": title, "status": status.value}
            audit(conn, actor, "incident opened", f"incident:{new_id}", new=new)
        return new_id

    def add_update(
        self, incident_id: int, message: str, status: IncidentStatus, actor: str
    ) -> None:
        if not message.strip():
            raise IncidentError("een update heeft een bericht nodig")
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            row = conn.execute(select(incidents).where(incidents.c.id == incident_id)).first()
            if row is None:
                raise IncidentError("onbekende storing")
            conn.execute(
                update(incidents)
                .where(incidents.c.id == incident_id)
                .values(status=status.value, updated_at=now)
            )
            conn.execute(
                insert(incident_updates).values(
                    incident_id=incident_id, at=now, status=status.value, message=message.strip()
                )
            )
            audit(conn, actor, "incident update", f"incident:{incident_id}", old=row.status,
                  new=status.value)  # fmt: skip

    def recent(self, limit: int = 20) -> list[Incident]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(incidents).order_by(incidents.c.updated_at.desc()).limit(limit)
            ).all()
            ids = [r.id for r in rows]
            updates = conn.execute(
                select(incident_updates)
                .where(incident_updates.c.incident_id.in_(ids))
                .order_by(incident_updates.c.at.desc(), incident_updates.c.id.desc())
            ).all()
        by_incident: dict[int, list[Update]] = {}
        for u in updates:
            by_incident.setdefault(u.incident_id, []).append(
                Update(_aware(u.at), IncidentStatus(u.status), u.message)
            )
        return [
            Incident(r.id, r.title, IncidentStatus(r.status), _aware(r.created_at),
                     _aware(r.updated_at), tuple(by_incident.get(r.id, [])))
            for r in rows
        ]  # fmt: skip
