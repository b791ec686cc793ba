"""Cluster benchmark: Kamailio in front of 1 and 2 veertien SIP nodes, on this machine.

    .venv/bin/python bench/cluster.py [--max-calls 20000] [--concurrent-dialogues 150,300]
        [--dialogue-rounds 8]

Needs sipp, kamailio and PostgreSQL (scripts/install --dev). For 1 and 2 nodes a whole
cluster is started (bench/cluster_env.py: PostgreSQL, the nodes, a portal, Kamailio) and:
- dialogues first, on a quiet cluster: SIPp keeps each level of --concurrent-dialogues
  callers at a time (closed loop, level × --dialogue-rounds calls) dialling 14 0113 through
  Kamailio: the menu in early media, line noise streamed, key 2 (RFC 4733) after 1 s, and the
  302 to Goes checked (a node takes `max_dialogues`, 200 by default, at once);
- then direct 302s (14 0320) through Kamailio, closed loop (at most --concurrent in flight),
  relayed to the nodes: these clusters run without the front companion, so every call is a
  node's (Kamailio answering those 302s itself from its table: bench/front_direct.py).
Then, on one node, the RTP lateness p99 its /metrics reports after a dialogue load, without and
with every report running meanwhile on the portal process over --report-records synthetic
records (bench/reports.py's month of traffic): the portal has its own process now.
The reference is Kamailio alone answering the same 302 statelessly (bench/sip_redirect.py).
Prints one JSON object; every load is bounded in calls and time and stays on 127.0.0.1.
Goals (issue 18): dialogues 2 nodes ≥ 1.7 × 1 node (the front's own 302s ≥ 0.9 × Kamailio
alone: bench/front_direct.py).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from sqlalchemy import create_engine  # noqa: E402

from bench.cluster_env import Cluster, cluster, program  # noqa: E402
from bench.reports import load  # noqa: E402
from bench.sip_redirect import _counts, _scenario, kamailio, maximum  # noqa: E402
from tests.e2e.peers import free_port, keypress, line_noise, scenario, xml_attr  # noqa: E402
from veertien.reports import REPORTS  # noqa: E402

DIALOGUE_TARGET = "Contact: <sip:+31113000001@127.0.0.1:5080>"


def dialogues(made: Cluster, folder: Path, concurrent: int, calls: int) -> dict[str, Any]:
    """SIPp, closed loop: `concurrent` callers at a time dial 14 0113 through the front, stream
    line noise, press 2 (RFC 4733) after 1 s and must get the 302 to Goes."""
    folder.mkdir()
    path = scenario(
        "uac_early_media.xml", folder, AUDIO=str(line_noise(folder, "PCMU")), CODEC="PCMU",
        PT="0", KEYPRESS=keypress("2"), STATUS="302",
        REGEXP=xml_attr(re.escape(DIALOGUE_TARGET)), CALLER="0612345678",
    )  # fmt: skip
    started = time.monotonic()
    done = subprocess.run(
        [program("sipp"), "-sf", str(path), "-s", "140113", f"127.0.0.1:{made.front}",
         "-p", str(free_port()), "-r", "1000", "-l", str(concurrent), "-m", str(calls),
         "-nostdin", "-timeout", "180s", "-timeout_error"],
        cwd=folder, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    wall = time.monotonic() - started
    counts = _counts(done.stdout)
    return {
        "concurrent": concurrent,
        "calls": calls,
        **counts,
        "per_s": round(counts["successful"] / wall, 1),
        "wall_s": round(wall, 1),
    }


def _lateness_p99_ms(port: int) -> float:
    """The node's RTP lateness p99 over its last 10,000 packets, from its /metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
        text = answer.read().decode()
    found = re.search(r"^veertien_rtp_lateness_p99_seconds ([0-9.e+-]+)$", text, re.MULTILINE)
    return round(float(found.group(1)) * 1000, 2) if found else -1.0


def _report_load(made: Cluster, stop: threading.Event, done: list[float]) -> None:
    """Every report over November, one after another, from the portal process, until `stop`."""
    token = made.veertien("user", "create-token", "operator", "--label", "bench").strip()
    while not stop.is_set():
        for name in REPORTS:
            url = (f"http://127.0.0.1:{made.portal.http}/api/reports/{name}"
                   "?van=2026-11-01&tot=2026-11-30")  # fmt: skip
            request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
            started = time.monotonic()
            with urllib.request.urlopen(request, timeout=60) as answer:
                answer.read()
            done.append(time.monotonic() - started)
            if stop.is_set():
                return


def reports_beside_rtp(args: argparse.Namespace) -> dict[str, Any]:
    """One node under dialogue load, with and without every report running on the portal
    process meanwhile over --report-records synthetic records: its RTP lateness p99."""
    with (
        cluster(1, front=False) as made,
        tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp,
    ):
        engine = create_engine(made.postgres.url)
        load(engine, args.report_records)
        engine.dispose()
        level, calls = args.concurrent_dialogues[0], args.concurrent_dialogues[0] * 6
        quiet = dialogues(made, Path(tmp) / "quiet", level, calls)
        quiet["rtp_lateness_p99_ms"] = _lateness_p99_ms(made.nodes[0].http)
        stop, done = threading.Event(), list[float]()
        reporter = threading.Thread(target=_report_load, args=(made, stop, done))
        reporter.start()
        busy = dialogues(made, Path(tmp) / "busy", level, calls)
        busy["rtp_lateness_p99_ms"] = _lateness_p99_ms(made.nodes[0].http)
        stop.set()
        reporter.join(120)
    return {"records": args.report_records, "without_reports": quiet, "with_reports": busy,
            "reports_run": len(done), "report_s_median": round(sorted(done)[len(done) // 2], 3)
            if done else None}  # fmt: skip


def with_nodes(count: int, args: argparse.Namespace) -> dict[str, Any]:
    with (
        cluster(count, front=False) as made,
        tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp,
    ):
        held = [
            dialogues(made, Path(tmp) / f"dialogues-{level}", level, level * args.dialogue_rounds)
            for level in args.concurrent_dialogues
        ]
        direct = maximum(_scenario(Path(tmp)), made.front, args.max_calls, args.concurrent)
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
    parser.add_argument("--concurrent-dialogues", default="150,300", help="levels, e.g. 150,300")
    parser.add_argument("--dialogue-rounds", type=int, default=8, help="calls = level × this")
    parser.add_argument("--report-records", type=int, default=300_000)
    parser.add_argument(
        "--part", choices=["all", "reports"], default="all",
        help="reports: only the RTP lateness beside the reports (one node)",
    )  # fmt: skip
    args = parser.parse_args()
    args.concurrent_dialogues = [int(n) for n in args.concurrent_dialogues.split(",")]
    if args.part == "reports":
        print(json.dumps({"benchmark": "cluster_reports", "cpus": os.cpu_count(),
                          "reports_beside_rtp": reports_beside_rtp(args),
                          "goal": "rtp_lateness_p99 unchanged"}, indent=2))  # fmt: skip
        return
    reference = alone(args)
    one, two = with_nodes(1, args), with_nodes(2, args)
    beside = reports_beside_rtp(args)
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
                "dialogues_two_vs_one": {
                    str(a["concurrent"]): round(b["per_s"] / max(a["per_s"], 0.1), 3)
                    for a, b in zip(one["dialogue_load"], two["dialogue_load"], strict=True)
                },
                "reports_beside_rtp": beside,
                "goals": {
                    "front_302_ratio_of_kamailio_alone": 0.9,
                    "dialogues_two_vs_one": 1.7,
                    "rtp_lateness_p99_with_reports": "unchanged",
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
