"""What the portal keeps in the database so that several portal processes act as one: the key
that signs session cookies, and the failed sign-ins the login limiter counts."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Engine, delete, func, insert, select

from veertien.storage.cluster import lock_transaction
from veertien.storage.schema import login_failures, portal_secrets

log = logging.getLogger("veertien.storage")


def session_secret(engine: Engine, legacy: Path | None = None) -> str:
    """The session key of every portal process: made once per cluster (or taken from the data
    folder's `portal.secret` of an older version, so signed-in users stay signed in)."""
    with engine.begin() as conn:
        lock_transaction(conn, "portal-secret")
        query = select(portal_secrets.c.value).where(portal_secrets.c.name == "session")
        found = conn.execute(query).scalar()
        if found is not None:
            return str(found)
        secret = secrets.token_urlsafe(32)
        if legacy is not None and legacy.is_file():
            secret = legacy.read_text(encoding="utf-8").strip()[:128] or secret
            log.info("portal session key taken from %s into the database", legacy)
        conn.execute(insert(portal_secrets).values(name="session", value=secret))
    return secret


def _key(key: str) -> str:
    """Stored hashed: the table holds no user names or addresses."""
    return hashlib.sha256(key.encode()).hexdigest()


class DatabaseFailures:
    """The login limiter's memory in `login_failures` (portal.security.FailureLog)."""

    def __init__(self, engine: Engine, keep_s: float) -> None:
        self.engine = engine
        self.keep_s = keep_s  # the limiter's window: older rows are deleted

    def count(self, key: str, since: float) -> int:
        with self.engine.connect() as conn:
            found = conn.execute(
                select(func.count())
                .select_from(login_failures)
                .where(login_failures.c.key == _key(key), login_failures.c.at >= since)
            ).scalar()
        return int(found or 0)

    def add(self, keys: Sequence[str], at: float) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(login_failures), [{"key": _key(k), "at": at} for k in keys])
            conn.execute(delete(login_failures).where(login_failures.c.at < at - self.keep_s))

    def clear(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(login_failures).where(login_failures.c.key == _key(key)))
