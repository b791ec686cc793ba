"""Migration 0002 on a database with records from before it: the report columns are filled in
and the callers' numbers stored until then are replaced by hashes nobody can link."""

from __future__ import annotations

import json
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, select

from tests.callrecords import dialogue
from veertien.storage.db import MIGRATIONS, open_engine
from veertien.storage.schema import call_records


def test_records_from_before_reporting_are_filled_in_and_hashed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
    old = dialogue(("understood", "transferred"), caller="0612345678").to_json()
    columns = ("call_id", "dialled", "caller", "municipality", "target", "outcome", "route",
               "phase", "response", "data_version", "duration_ms")  # fmt: skip
    with engine.begin() as conn:  # a row as version 0001 wrote it: the number in clear
        conn.exec_driver_sql(
            "INSERT INTO call_records (call_id, started, dialled, caller, municipality, target,"
            " outcome, route, phase, response, data_version, duration_ms, body) VALUES"
            " (?, '2026-11-24 10:00:00.000000', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*(old[k] for k in columns), json.dumps(old)),
        )
    engine.dispose()
    migrated = open_engine(url)  # brings it to the newest schema
    with migrated.connect() as conn:
        row = conn.execute(select(call_records)).one()
    migrated.dispose()
    assert row.caller.startswith("h:") and "0612345678" not in row.body
    assert json.loads(row.body)["caller"] == row.caller
    assert (row.day, row.hour_of_week, row.area_code) == ("2026-11-24", 34, "0113")
    assert (row.prompted, row.understood, row.transferred, row.confirmed) == (
        True, True, True, False,
    )  # fmt: skip
