"""IVR load benchmark: concurrent shared-area dialogues on one server process, on loopback.

    .venv/bin/python bench/ivr_load.py [--levels 10,25,50,100] [--seconds 20]

For each level of concurrency a fresh `veertien` service (pinned to CPU 0) answers callers from
the built-in test caller (in this process, CPU 1): each dials 14 0113, hears the menu in early
media, presses a key (RFC 4733) after 2-4 s and is redirected (302). As one call ends the next
starts, so the level is held for --seconds; every loop is bounded in time and calls. Measured on
the server: how late RTP packets leave against their 20 ms schedule (p50/p99/max over all
calls), and, from its call records, key pressed → transfer sent (p50/p95). Prints one JSON object.
Goals: RTP pacing jitter p99 < 5 ms; key → transfer p95 < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from veertien.testcall.caller import place_call  # noqa: E402


def _pct(values: list[float], q: float) -> float | None:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))], 3) if ordered else None


async def _serve(data: Path, stats_file: Path) -> None:
    from veertien.server.service import start_service, tune_gc  # noqa: PLC0415
    from veertien.storage import DataDir  # noqa: PLC0415

    service = await start_service(DataDir(data), "127.0.0.1", 0)
    tune_gc()
    print(f"port {service.address[1]}", flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGINT, stop.set)
    await stop.wait()
    assert service.dialogues is not None, "dialogues need espeak-ng and sox"
    lateness = [x * 1000 for x in service.dialogues.pacing.lateness]
    await service.close()
    stats_file.write_text(
        json.dumps(
            {
                "packets": len(lateness),
                "lateness_ms": {
                    "p50": _pct(lateness, 0.5),
                    "p99": _pct(lateness, 0.99),
                    "max": _pct(lateness, 1.0),
                },
            }
        )
    )


async def _caller_loop(port: int, deadline: float, results: list[int], rng: random.Random) -> None:
    while time.monotonic() < deadline:
        result = await place_call(
            "140113",
            "127.0.0.1",
            port,
            keys=str(rng.randint(1, 5)),
            key_after_s=rng.uniform(2.0, 4.0),
            timeout=30,
            show=lambda _: None,
        )
        results.append(result.final.status if result.final else 0)


async def _drive(port: int, concurrency: int, seconds: float) -> list[int]:
    results: list[int] = []
    deadline = time.monotonic() + seconds
    rng = random.Random(14)
    await asyncio.gather(
        *(
            _caller_loop(port, deadline, results, random.Random(rng.random()))
            for _ in range(concurrency)
        )
    )
    return results


def level(concurrency: int, seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-ivr-") as tmp:
        data, stats = Path(tmp) / "data", Path(tmp) / "stats.json"
        data.mkdir()
        (data / "settings.json").write_text(json.dumps({"key_timeout_s": 5}))
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(data), str(stats)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert server.stdout is not None
        port = int(server.stdout.readline().split()[1])
        if len(os.sched_getaffinity(0)) > 1:
            os.sched_setaffinity(server.pid, {0})
            os.sched_setaffinity(0, {1})
        statuses = asyncio.run(_drive(port, concurrency, seconds))
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
        records = [json.loads(line) for line in (data / "calls.jsonl").read_text().splitlines()]
        server_stats = json.loads(stats.read_text())
    key_ms = [r["key_to_transfer_ms"] for r in records if r.get("key_to_transfer_ms") is not None]
    return {
        "concurrent_calls": concurrency,
        "calls": len(statuses),
        "redirected": statuses.count(302),
        "other": len(statuses) - statuses.count(302),
        "rtp": server_stats,
        "key_to_transfer_ms": {
            "p50": _pct(key_ms, 0.5),
            "p95": _pct(key_ms, 0.95),
            "max": _pct(key_ms, 1.0),
            "samples": len(key_ms),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--levels", default="10,25,50,100")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--serve", nargs=2, metavar=("DATA", "STATS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve(Path(args.serve[0]), Path(args.serve[1])))
        return
    levels = [level(int(n), args.seconds) for n in args.levels.split(",")]
    sustained = [
        lv["concurrent_calls"]
        for lv in levels
        if (lv["rtp"]["lateness_ms"]["p99"] or 0) < 5 and lv["other"] == 0
    ]
    print(
        json.dumps(
            {
                "benchmark": "ivr_load",
                "scenario": "14 0113 menu in early media, RFC 4733 key after 2-4 s, 302",
                "levels": levels,
                "max_concurrent_with_p99_jitter_under_5ms": max(sustained) if sustained else 0,
                "goals": {"rtp_jitter_p99_ms": 5, "key_to_transfer_p95_ms": 50},
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
