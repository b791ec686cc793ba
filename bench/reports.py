"""Reports benchmark: the time of every report over 1,000,000 synthetic call records, on SQLite
and on PostgreSQL.

    .venv/bin/python bench/reports.py                           # SQLite in a temporary folder
    scripts/with-postgres .venv/bin/python bench/reports.py     # and PostgreSQL too
    .venv/bin/python bench/reports.py --calls 100000 --postgres postgresql+psycopg://...

Prints one JSON object. Goal (reporting issue): every report < 1 s. The records are a month of
national traffic (12 million calls a year is a million a month): the 141 real area codes, 342
municipalities, direct calls, key and speech dialogues with their funnel stages, hang-ups in
every phase, calamities and closed hours, in a fixed random order. Each report runs over the
whole month for all municipalities (the operator's view), for one municipality and for one
area code; the figure is the median of three runs, and the slowest run is given too.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, create_engine, insert, text

from veertien.numbering import dutch_area_codes
from veertien.records.columns import row
from veertien.reports import REPORTS, ReportParams, run_report
from veertien.storage.db import open_engine
from veertien.storage.schema import call_records

AMS = ZoneInfo("Europe/Amsterdam")
FIRST = date(2026, 11, 1)
DAYS = 30
BATCH = 20_000
PG_ENV = "VEERTIEN_TEST_POSTGRES"


def _geography(rng: random.Random) -> tuple[list[str], dict[str, list[str]]]:
    codes = [f"GM{n:04d}" for n in range(1, 343)]
    areas = sorted(dutch_area_codes())
    members = {a: rng.sample(codes, rng.choice((1, 1, 2, 3, 5))) for a in areas}
    return areas, members


def _dialogue(rng: random.Random) -> tuple[str, list[str], str | None, str]:
    """Route, stages, hang-up phase and outcome of one shared-area call."""
    route = rng.choice(("keys", "speech", "speech"))
    stages = ["prompted"]
    if rng.random() < 0.06:  # hangs up somewhere
        phase = rng.choice(("greeting", "menu", "after_name", "announcement", "transfer"))
        return route, stages + (["spoke"] if phase == "after_name" else []), phase, "cancelled"
    if route == "speech":
        stages.append("spoke")
        if rng.random() < 0.3:
            stages.append("confirm_asked")
            stages.append("confirmed" if rng.random() < 0.8 else "corrected")
    if rng.random() < 0.85:
        stages.append("understood")
    elif rng.random() < 0.5:
        stages += ["repeated", "keypad"]
    else:
        stages.append("repeated")
    stages.append("transferred")
    if rng.random() < 0.2:
        stages += ["answer_known"] + (["answered"] if rng.random() < 0.95 else [])
    return route, stages, None, "transferred"


def records(calls: int, seed: int = 14) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    areas, members = _geography(rng)
    for n in range(calls):
        area = rng.choice(areas)
        munis = members[area]
        started = datetime.combine(FIRST, datetime.min.time(), AMS) + timedelta(
            seconds=rng.randrange(DAYS * 86400)
        )
        shared = len(munis) > 1
        route, stages, phase, outcome = (
            _dialogue(rng) if shared else ("direct", ["transferred"], None, "redirected")
        )
        final = rng.choices(("selected", "closed", "calamity"), (0.9, 0.08, 0.02))[0]
        yield row({
            "call_id": f"{n}@bench", "started": started.isoformat(timespec="milliseconds"),
            "dialled": f"14{area[1:]}", "caller": f"h:{rng.getrandbits(64):016x}",
            "decision": "ivr" if shared else "redirect",
            "rule": "shared_area" if shared else "single_municipality", "final_rule": final,
            "municipality": None if phase else rng.choice(munis), "target": "sip:kcc@example",
            "outcome": outcome, "route": route, "phase": phase, "response": 302,
            "data_version": "bench", "area_code": area, "stages": stages,
            "pdd_us": rng.lognormvariate(6.5 if shared else 5.5, 0.4),
            "duration_ms": rng.uniform(3000, 30000) if shared else None,
        })  # fmt: skip


def load(engine: Engine, calls: int) -> float:
    started = time.perf_counter()
    batch: list[dict[str, Any]] = []
    with engine.begin() as conn:
        for values in records(calls):
            batch.append(values)
            if len(batch) == BATCH:
                conn.execute(insert(call_records), batch)
                batch = []
        if batch:
            conn.execute(insert(call_records), batch)
    # statistics for the planner, and (PostgreSQL) the visibility map that lets it answer from
    # the index alone: what autovacuum does by itself soon after a load like this one
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    return time.perf_counter() - started


def time_reports(engine: Engine, runs: int = 3) -> dict[str, dict[str, float]]:
    last = FIRST + timedelta(DAYS - 1)
    views = {
        "all": ReportParams(FIRST, last),
        "municipality": ReportParams(FIRST, last, "GM0100"),
        "area_code": ReportParams(FIRST, last, None, "0113"),
    }
    out: dict[str, dict[str, float]] = {}
    for name in REPORTS:
        for view, params in views.items():
            times = []
            for _ in range(runs):
                begun = time.perf_counter()
                run_report(engine, name, params, {})
                times.append((time.perf_counter() - begun) * 1000)
            out[f"{name}/{view}"] = {
                "median_ms": round(statistics.median(times), 1),
                "max_ms": round(max(times), 1),
            }
    return out


def run(url: str, calls: int) -> dict[str, Any]:
    engine = open_engine(url)
    try:
        load_s = load(engine, calls)
        with engine.connect() as conn:
            counted = conn.execute(text("SELECT count(*) FROM call_records")).scalar_one()
        timings = time_reports(engine)
    finally:
        engine.dispose()
    slowest = max(timings.items(), key=lambda kv: kv[1]["max_ms"])
    return {
        "records": counted,
        "load_s": round(load_s, 1),
        "reports_ms": timings,
        "slowest": {"report": slowest[0], **slowest[1]},
        "all_under_1s": all(t["max_ms"] < 1000 for t in timings.values()),
    }


def _postgres(admin_url: str) -> tuple[str, Engine, str]:
    name = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return f"{admin_url.rpartition('/')[0]}/{name}", admin, name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--postgres", default=os.environ.get(PG_ENV), help="admin URL")
    args = parser.parse_args(argv)
    result: dict[str, Any] = {
        "benchmark": "reports",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "processor": platform.machine()},
        "calls": args.calls,
        "goal_ms": 1000,
    }  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        result["sqlite"] = run(f"sqlite:///{Path(folder) / 'bench.db'}", args.calls)
    if args.postgres:
        url, admin, name = _postgres(args.postgres)
        try:
            result["postgresql"] = run(url, args.calls)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            admin.dispose()
    else:
        result["postgresql"] = f"not run: no PostgreSQL (--postgres or ${PG_ENV})"
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
