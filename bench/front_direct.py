"""Prototype measurement for issue 18: Kamailio answering direct 302s from an exported routing
table (htable from a db_text file) and accounting each one (acc to a flat file), against
Kamailio alone answering the same 302 with nothing looked up or written (bench/sip_redirect.py).

    .venv/bin/python bench/front_direct.py [--calls 20000] [--rounds 2]

Needs sipp and kamailio (scripts/install --dev). Prints one JSON object: calls/s of each, the
ratio (goal of the shipped front: ≥ 0.9), and whether every answered call left an accounting
line. Bounded in calls; 127.0.0.1 only. The configuration is bench/kamailio-direct.cfg.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.sip_redirect import _scenario, kamailio, maximum  # noqa: E402
from veertien.directory import demo_directory  # noqa: E402
from veertien.routing import RoutingContext  # noqa: E402
from veertien.routing.export import direct_routes  # noqa: E402
from veertien.server.front_table import write_table  # noqa: E402


def direct(calls: int, concurrent: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-front-") as tmp:
        folder = Path(tmp)
        (folder / "acc").mkdir()
        # the demo directory's exported table: 14 0320 → Lelystad, the 302 the reference gives
        ctx = RoutingContext(demo_directory())
        write_table(folder / "db", direct_routes(ctx), ctx.data_version)
        with kamailio(folder, "kamailio-direct.cfg") as port:
            found = maximum(_scenario(folder), port, calls, concurrent)
        lines = sum(len(p.read_bytes().splitlines()) for p in (folder / "acc").glob("*.log"))
    return {**found, "accounted": lines}


def alone(calls: int, concurrent: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-kamailio-") as tmp, kamailio(Path(tmp)) as port:
        return maximum(_scenario(Path(tmp)), port, calls, concurrent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--concurrent", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    runs = [
        {"alone": alone(args.calls, args.concurrent), "direct": direct(args.calls, args.concurrent)}
        for _ in range(args.rounds)
    ]
    ratios = [round(r["direct"]["cps"] / r["alone"]["cps"], 3) for r in runs]
    every = all(r["direct"]["accounted"] == r["direct"]["successful"] for r in runs)
    print(json.dumps({"benchmark": "front_direct", "runs": runs, "ratio": ratios,
                      "every_302_accounted": every, "goal_ratio": 0.9}, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
