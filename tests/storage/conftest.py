"""Storage tests run on SQLite, and on PostgreSQL when one is reachable: the test command starts
Debian's PostgreSQL on loopback and sets VEERTIEN_TEST_POSTGRES (in CI it must be there)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from veertien.storage import DataDir
from veertien.storage.store import Storage

PG_ENV = "VEERTIEN_TEST_POSTGRES"  # e.g. postgresql+psycopg://veertien@127.0.0.1:5433/postgres


def _postgres_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{PG_ENV} is not set: scripts/test starts PostgreSQL for these tests")
        pytest.skip(f"no PostgreSQL ({PG_ENV} unset)")
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    if request.param == "sqlite":
        opened = Storage.open(DataDir(tmp_path))
        yield opened
        opened.close()
        return
    admin_url = _postgres_url()
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = admin_url.rpartition("/")
    opened = Storage.open(DataDir(tmp_path), f"{base}/{name}")
    try:
        yield opened
    finally:
        opened.close()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
