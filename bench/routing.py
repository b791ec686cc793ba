"""Routing benchmark: decisions per second over the national directory, and p99 of one decision.

    .venv/bin/python bench/routing.py [--data ../shared/data] [--seconds 3]

Prints one JSON object. Goal (foundation issue): p99 < 50 µs for one decision on one core. Every
municipality gets a destination, so direct areas redirect and shared areas build their candidate
lists, as in operation. The call mix walks all 141 area codes, plus the national number, unknown
numbers and E.164 spellings, in a fixed shuffled order.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from veertien.directory import import_directory
from veertien.numbering import dutch_area_codes
from veertien.routing import CallFacts, RoutingContext, Settings, decide

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def _mix() -> list[str]:
    codes = list(dutch_area_codes())
    calls = [f"14{c}" for c in codes] + [f"+3114{c}" for c in codes[:40]]
    calls += ["14", "140116", "14084", "0201234567", "sip:140113@127.0.0.1;user=phone"]
    random.Random(14).shuffle(calls)
    return calls


def run(data: Path, seconds: float) -> dict[str, object]:
    directory = import_directory(data)
    settings = Settings()
    for code in directory.municipalities:
        settings = settings.with_municipality(code, destination=f"sip:{code}@127.0.0.1:5080")
    ctx = RoutingContext(directory, settings)
    at = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
    facts = [CallFacts(d, at, "+31201234567") for d in _mix()]
    for fact in facts:  # warm-up
        decide(fact, ctx)
    samples: list[float] = []
    clock = time.perf_counter_ns
    deadline = time.monotonic() + seconds
    started = clock()
    while time.monotonic() < deadline:
        for fact in facts:
            t0 = clock()
            decide(fact, ctx)
            samples.append((clock() - t0) / 1000)
    elapsed = (clock() - started) / 1e9
    samples.sort()
    return {
        "benchmark": "routing",
        "directory": {
            "municipalities": len(directory.municipalities),
            "area_codes": len(directory.area_codes()),
        },
        "decisions": len(samples),
        "decisions_per_s": round(len(samples) / elapsed),
        "latency_us": {
            "p50": round(samples[len(samples) // 2], 2),
            "p99": round(samples[int(len(samples) * 0.99)], 2),
            "max": round(samples[-1], 2),
            "mean": round(statistics.fmean(samples), 2),
        },
        "goal_p99_us": 50,
        "python": sys.version.split()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    print(json.dumps(run(args.data, args.seconds), indent=2))


if __name__ == "__main__":
    main()
