"""The shipped front's direct 302s (issue 18): Kamailio with its companion in a whole cluster
(bench/cluster_env.py: PostgreSQL, one veertien node, a portal, `serve --role front`)
answering 14 0320 from the table the companion keeps, against Kamailio alone answering the
same 100 + 302 with nothing looked up, checked or written (bench/sip_redirect.py), in the same
run; then whether every 302 SIPp got became a call record (node `front`) and how long after
the load the last one was in the database.

    .venv/bin/python bench/front_direct.py [--calls 20000] [--rounds 2]

Needs sipp, kamailio and PostgreSQL (scripts/install --dev). Prints one JSON object: calls/s
of each, the ratio (goal: ≥ 0.9) and the records. Bounded in calls and time; 127.0.0.1 only.
Both Kamailios run one worker process (`--children 1`, as bench/kamailio-302.cfg) with their
main process pinned to the same core, SIPp to the other; the companion runs niced (10), as
`serve --role front` always does.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from sqlalchemy import create_engine, text  # noqa: E402

from bench.cluster_env import cluster  # noqa: E402
from bench.sip_redirect import SERVER_CPU, _pin, _scenario, kamailio, maximum  # noqa: E402

RECORD_WAIT_S = 60.0


def _recorded(url: str, expected: int) -> tuple[int, float]:
    """Records of the front's 302s in the database, waiting for `expected` (bounded)."""
    engine = create_engine(url)
    started = time.monotonic()
    try:
        while True:
            with engine.connect() as conn:
                query = text("SELECT count(*) FROM call_records WHERE node = 'front'")
                count = int(conn.execute(query).scalar() or 0)
            waited = time.monotonic() - started
            if count >= expected or waited > RECORD_WAIT_S:
                return count, round(waited, 1)
            time.sleep(0.5)
    finally:
        engine.dispose()


def front(calls: int, concurrent: int) -> dict[str, Any]:
    with (
        cluster(1, children=1) as made,  # one worker, as the reference has
        tempfile.TemporaryDirectory(prefix="bench-front-") as tmp,
    ):
        assert made.kamailio is not None
        _pin(made.kamailio.pid, SERVER_CPU)
        found = maximum(_scenario(Path(tmp)), made.front, calls, concurrent)
        recorded, after_s = _recorded(made.postgres.url, found["successful"])
        reached_node = sum(1 for r in made.nodes[0].records() if r.get("dialled") == "140320")
    return {**found, "recorded": recorded, "all_recorded_after_s": after_s,
            "reached_a_node": reached_node}  # fmt: skip


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
        {"alone": alone(args.calls, args.concurrent), "front": front(args.calls, args.concurrent)}
        for _ in range(args.rounds)
    ]
    ratios = [round(r["front"]["cps"] / r["alone"]["cps"], 3) for r in runs]
    every = all(r["front"]["recorded"] == r["front"]["successful"] for r in runs)
    print(json.dumps({"benchmark": "front_direct", "runs": runs, "ratio": ratios,
                      "every_302_recorded": every, "goal_ratio": 0.9}, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
