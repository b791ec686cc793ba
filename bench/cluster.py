"""Cluster benchmark: Kamailio in front of 1 and 2 veertien SIP nodes, on this machine.

    .venv/bin/python bench/cluster.py [--max-calls 20000] [--dialogue-seconds 20] [--callers 40]

Needs sipp, kamailio and PostgreSQL (scripts/install --dev). For 1 and 2 nodes a whole
cluster is started (bench/cluster_env.py: PostgreSQL, the nodes, a portal, Kamailio) and:
- dialogues first, on a quiet cluster: --callers built-in callers each dial 14 0113 through
  Kamailio, hear the menu in early media, press a key after 0.5-1.5 s and are redirected,
  again and again for --dialogue-seconds; counted: dialogues completed per second, and the
  answers other than 302;
- then direct 302s (14 0320) through Kamailio, closed loop (at most --concurrent in flight).
The reference is Kamailio alone answering the same 302 statelessly (bench/sip_redirect.py).
Prints one JSON object; every load is bounded in calls and time and stays on 127.0.0.1.
Goals (issue 18): front ≥ 0.9 × Kamailio alone; dialogues 2 nodes ≥ 1.7 × 1 node.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.cluster_env import cluster  # noqa: E402
from bench.sip_redirect import _scenario, kamailio, maximum  # noqa: E402
from veertien.testcall.caller import place_call  # noqa: E402


async def _caller(port: int, deadline: float, out: list[int], rng: random.Random) -> None:
    while time.monotonic() < deadline:
        result = await place_call(
            "140113", "127.0.0.1", port, keys=str(rng.randint(1, 2)),
            key_after_s=rng.uniform(0.5, 1.5), timeout=30, show=lambda _: None,
        )  # fmt: skip
        out.append(result.final.status if result.final else 0)


def dialogues(port: int, callers: int, seconds: float) -> dict[str, Any]:
    async def drive() -> list[int]:
        out: list[int] = []
        deadline = time.monotonic() + seconds
        rng = random.Random(18)
        await asyncio.gather(
            *(_caller(port, deadline, out, random.Random(rng.random())) for _ in range(callers))
        )
        return out

    started = time.monotonic()
    statuses = asyncio.run(drive())
    wall = time.monotonic() - started
    return {
        "callers": callers,
        "dialogues": len(statuses),
        "redirected": statuses.count(302),
        "other": {str(s): statuses.count(s) for s in sorted(set(statuses)) if s != 302},
        "per_s": round(statuses.count(302) / wall, 2),
        "wall_s": round(wall, 1),
    }


def with_nodes(count: int, args: argparse.Namespace) -> dict[str, Any]:
    with cluster(count) as made, tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        scenario = _scenario(Path(tmp))
        held = dialogues(made.front, args.callers, args.dialogue_seconds)
        direct = maximum(scenario, made.front, args.max_calls, args.concurrent)
        per_node = {
            node.id: sum(1 for r in node.records() if r.get("dialled") == "140113")
            for node in made.nodes
        }
    return {"nodes": count, "direct_302": direct, "dialogue_load": held,
            "dialogues_per_node": per_node}  # fmt: skip


def alone(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-kamailio-") as tmp, kamailio(Path(tmp)) as port:
        return maximum(_scenario(Path(tmp)), port, args.max_calls, args.concurrent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-calls", type=int, default=20000)
    parser.add_argument("--concurrent", type=int, default=32)
    parser.add_argument("--callers", type=int, default=40)
    parser.add_argument("--dialogue-seconds", type=float, default=20.0)
    args = parser.parse_args()
    reference = alone(args)
    one, two = with_nodes(1, args), with_nodes(2, args)
    print(
        json.dumps(
            {
                "benchmark": "cluster",
                "cpus": os.cpu_count(),
                "kamailio_alone_302": reference,
                "one_node": one,
                "two_nodes": two,
                "front_302_ratio_of_kamailio_alone": {
                    "one_node": round(one["direct_302"]["cps"] / reference["cps"], 3),
                    "two_nodes": round(two["direct_302"]["cps"] / reference["cps"], 3),
                },
                "dialogues_two_vs_one": round(
                    two["dialogue_load"]["per_s"] / max(one["dialogue_load"]["per_s"], 0.01), 3
                ),
                "goals": {"front_302_ratio_of_kamailio_alone": 0.9, "dialogues_two_vs_one": 1.7},
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
