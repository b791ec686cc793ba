"""The database: SQLite (WAL) in the data folder by default, PostgreSQL by URL.

    VEERTIEN_DATABASE=postgresql+psycopg://veertien:secret@127.0.0.1/veertien veertien serve

Opening a database brings its schema up to date with the Alembic migrations shipped in
`storage/migrations/`. Everything here is blocking: the service calls it from worker threads,
never from the SIP/RTP event loop.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event

from veertien.errors import SetupError
from veertien.storage.cluster import lock_transaction

log = logging.getLogger("veertien.storage")

ENV_VAR = "VEERTIEN_DATABASE"
SQLITE_FILE = "veertien.db"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class DatabaseError(SetupError):
    """The database cannot be opened or migrated; the text says why."""


def database_url(data: Path, url: str | None = None) -> str:
    """`url`, else $VEERTIEN_DATABASE, else SQLite in the data folder."""
    return url or os.environ.get(ENV_VAR) or f"sqlite:///{data / SQLITE_FILE}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
    cursor.execute("PRAGMA synchronous=FULL")  # a committed call record survives a crash
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def open_engine(url: str) -> Engine:
    """An engine on `url`, its schema migrated to the newest version."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(url, pool_pre_ping=True)
    except Exception as exc:  # bad URL or a missing driver: say which
        raise DatabaseError(f"cannot use database {redact(url)}: {exc}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        upgrade(engine)
    except Exception as exc:
        engine.dispose()
        raise DatabaseError(f"cannot open database {redact(url)}: {exc}") from None
    return engine


def upgrade(engine: Engine) -> None:
    logging.getLogger("alembic").setLevel(logging.WARNING)  # not a line per start
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        lock_transaction(connection, "migrations")  # nodes starting together: one migrates
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def redact(url: str) -> str:
    """The URL without its password, for logs and errors."""
    scheme, sep, rest = url.partition("://")
    if "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{host}"
