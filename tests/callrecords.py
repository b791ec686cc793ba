"""Call records for tests: `record(...)` with defaults for a direct call, `store(...)` to put
records into a database through the same columns the service writes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, insert

from veertien.records import CallRecord
from veertien.records.columns import row
from veertien.storage.schema import call_records

DEFAULTS: dict[str, Any] = {
    "call_id": "c@test", "started": "2026-11-24T10:00:00.000+01:00", "transport": "udp",
    "peer": "udp:127.0.0.1:5062", "dialled": "140320", "caller": None, "decision": "redirect",
    "rule": "single_municipality", "reason": "test", "data_version": "v1",
    "municipality": "GM0995", "target": "sip:lelystad@example", "response": 302,
    "outcome": "redirected", "pdd_us": 250.0, "area_code": "0320",
    "final_rule": "single_municipality", "stages": ("transferred",),
}  # fmt: skip


def record(**changes: Any) -> CallRecord:
    return CallRecord(**{**DEFAULTS, **changes})


def dialogue(stages: Iterable[str], **changes: Any) -> CallRecord:
    """A shared-area call (14 0113) that reached `stages` (call.summary.Stage values)."""
    values: dict[str, Any] = {
        "dialled": "140113", "decision": "ivr", "rule": "shared_area", "area_code": "0113",
        "final_rule": "selected", "municipality": "GM0664", "route": "keys", "pdd_us": 900.0,
        "stages": ("prompted", *stages),
    }  # fmt: skip
    return record(**{**values, **changes})


def store(engine: Engine, records: Iterable[CallRecord]) -> None:
    with engine.begin() as conn:
        conn.execute(insert(call_records), [row(r.to_json()) for r in records])
