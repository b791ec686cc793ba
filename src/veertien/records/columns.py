"""The columns of `call_records` that come from a call record: what the reports group and count
by, computed once when the record is written so that a report over a million calls is one
indexed scan with sums (no JSON parsing, no date functions per row)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from veertien.records.funnel import STAGE_COLUMNS

# What the reports read, in one index that starts with the day: a report over a month scans
# this index alone (SQLite and PostgreSQL alike), never the records' wide JSON bodies.
REPORT_INDEX = (
    "day", "municipality", "area_code", "route", "rule", "final_rule", "phase",
    "hour_of_week", "pdd_bucket", *STAGE_COLUMNS, "language",
)  # fmt: skip
PDD_BASE = 1.01  # post-dial delay buckets 1 % wide: percentiles are exact to 1 %


def pdd_bucket(pdd_us: float) -> int:
    return math.floor(math.log(max(pdd_us, 1.0), PDD_BASE))


def bucket_value_us(bucket: int) -> float:
    """The upper end of a bucket, in microseconds."""
    return float(PDD_BASE ** (bucket + 1))


def derived(record: Mapping[str, Any], started: datetime | None = None) -> dict[str, Any]:
    """The report columns of one record (a CallRecord's JSON); `started`: its time, if parsed
    already."""
    if started is None:
        started = datetime.fromisoformat(str(record["started"]))  # local time, with its offset
    pdd = record.get("pdd_us") or None  # 0: no answer went out (the call failed before it)
    reached = set(record.get("stages") or ())
    values: dict[str, Any] = {
        "rule": str(record.get("rule") or "")[:32] or None,
        "final_rule": str(record.get("final_rule") or record.get("rule") or "")[:32] or None,
        "area_code": record.get("area_code"),
        "handover": str(record.get("handover") or "302")[:8],
        "day": started.date().isoformat(),
        "hour_of_week": started.weekday() * 24 + started.hour,
        "pdd_us": float(pdd) if pdd is not None else None,
        "pdd_bucket": pdd_bucket(float(pdd)) if pdd is not None else None,
        "language": str(record.get("language") or "nl")[:8],
    }
    values.update({name: name in reached for name in STAGE_COLUMNS})
    return values


def row(record: Mapping[str, Any]) -> dict[str, Any]:
    """All columns of one call record (the whole record also goes in `body`)."""
    started = datetime.fromisoformat(str(record["started"]))
    return {
        "call_id": str(record.get("call_id", ""))[:255],
        "started": started,
        "dialled": str(record.get("dialled", ""))[:64],
        "caller": record.get("caller"),
        "municipality": record.get("municipality"),
        "target": record.get("target"),
        "outcome": str(record.get("outcome", "")),
        "route": str(record.get("route", "direct")),
        "phase": record.get("phase"),
        "response": int(record.get("response", 0)),
        "data_version": str(record.get("data_version", "")),
        "duration_ms": record.get("duration_ms"),
        "body": json.dumps(record, ensure_ascii=False),
        "node": record.get("node"),
        **derived(record, started),
    }
