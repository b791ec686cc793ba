"""The retention purge: old call records, journal lines and audio samples go; new ones stay."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from tests.callrecords import record, store
from veertien.records import JsonLinesSink
from veertien.routing import Settings
from veertien.storage.privacy import CallerHasher
from veertien.storage.retention import Retention
from veertien.storage.samples import DAY_S, AudioSamples
from veertien.storage.schema import call_records, caller_salts
from veertien.storage.store import Storage

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC).timestamp()
OLD = "2026-08-01T10:00:00.000+02:00"  # 122 days before NOW
RECENT = "2026-11-20T10:00:00.000+01:00"


def test_records_past_retention_are_deleted_and_the_rest_kept(
    storage: Storage, tmp_path: Path
) -> None:
    store(
        storage.engine, [record(call_id="old", started=OLD), record(call_id="new", started=RECENT)]
    )
    journal = JsonLinesSink(tmp_path / "calls.jsonl", interval=0.01)
    journal.write(record(call_id="old", started=OLD))
    journal.write(record(call_id="new", started=RECENT))
    journal.close()
    (tmp_path / "calls.jsonl").open("a").write("not json\n")
    journal = JsonLinesSink(tmp_path / "calls.jsonl", interval=0.01)
    settings = Settings.from_json({"record_retention_days": 90})
    hasher = CallerHasher(storage.engine, 1, lambda: NOW)
    retention = Retention(
        storage.engine, settings.retention_terms, hasher, journal=journal, clock=lambda: NOW
    )
    result = retention.run()
    journal.close()
    assert (result.records, result.lines) == (1, 1)
    with storage.engine.connect() as conn:
        assert conn.execute(select(call_records.c.call_id)).scalars().all() == ["new"]
        assert conn.execute(select(func.count()).select_from(caller_salts)).scalar() == 2
    lines = (tmp_path / "calls.jsonl").read_text().splitlines()
    assert [json.loads(x)["call_id"] for x in lines[:1]] == ["new"] and lines[1] == "not json"
    assert retention.run().records == 0  # nothing more to do


def test_audio_samples_follow_their_municipalitys_retention(tmp_path: Path) -> None:
    samples = AudioSamples(tmp_path / "samples")
    day = datetime.fromtimestamp(NOW, UTC).date()
    (goes,) = samples.save("GM0664", [b"\0\0" * 800], day)
    (epe,) = samples.save("GM0232", [b"\0\0" * 800], day)
    assert goes.read_bytes()[:4] == b"RIFF" and "0612" not in goes.name
    ten_days_ago = NOW - 10 * DAY_S
    for path in (goes, epe):
        os.utime(path, (ten_days_ago, ten_days_ago))
    assert samples.purge({"GM0664": 7}, 30, NOW) == 1
    assert not goes.exists() and epe.exists()
