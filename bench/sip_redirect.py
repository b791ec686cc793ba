"""SIP redirect benchmark: veertien against Kamailio, driven by SIPp, on loopback.

    .venv/bin/python bench/sip_redirect.py [--seconds 5] [--rates 100,500,1000] [--max-calls N]

Needs `sipp` and `kamailio` (scripts/install --dev; --bench adds taskset). Both servers answer
the same scenario
(tests/e2e/scenarios/uac_302.xml: INVITE → 100 → 302 with the exact Contact and Diversion →
ACK in the INVITE's transaction). Each server is pinned to CPU 0 and SIPp to CPU 1 when there are
two. At fixed rates the latency is INVITE sent → 302 received, taken from SIPp's message trace
(µs timestamps). The maximum is measured closed-loop (at most --concurrent calls in flight, a
new call as soon as one ends), which finds the sustainable rate without a retransmission storm.
Prints one JSON object. Goals: p99 < 5 ms at 500 calls/s; veertien ≥ 50 % of Kamailio's maximum.
Every run is bounded in calls and time and talks only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the benchmark reuses the end-to-end helpers
from tests.e2e.peers import free_port, veertien_server  # noqa: E402

SCENARIO = ROOT / "tests" / "e2e" / "scenarios" / "uac_302.xml"
TARGET = "sip:+31320000001@127.0.0.1:5080"
DIVERSION = "<tel:+31140320>;reason=unconditional;counter=1"
SERVER_CPU, LOAD_CPU = 0, 1


def _xml_regexp(text: str) -> str:
    return re.escape(text).replace("<", "&lt;").replace(">", "&gt;")


def _scenario(folder: Path) -> Path:
    text = SCENARIO.read_text(encoding="utf-8")
    text = text.replace("@CONTACT_REGEXP@", f"^ *{_xml_regexp(f'<{TARGET}>')}$")
    text = text.replace("@DIVERSION_REGEXP@", f"^ *{_xml_regexp(DIVERSION)}$")
    path = folder / "uac_302.xml"
    path.write_text(text, encoding="utf-8")
    return path


def _pin(pid: int, cpu: int) -> None:
    if len(os.sched_getaffinity(0)) > 1:
        os.sched_setaffinity(pid, {cpu})


@contextmanager
def veertien(folder: Path) -> Iterator[int]:
    data = folder / "data"
    data.mkdir()
    settings = {"municipalities": {"GM0995": {"destination": TARGET}}}
    (data / "settings.json").write_text(json.dumps(settings))
    with veertien_server(data, log_level="WARNING") as server:
        _pin(server.process.pid, SERVER_CPU)
        yield server.port


@contextmanager
def kamailio(folder: Path, template: str = "kamailio-302.cfg") -> Iterator[int]:
    """Kamailio on a free port with the configuration `template` (@PORT@ and @DIR@ filled)."""
    port = free_port()
    cfg = folder / "kamailio.cfg"
    text = (Path(__file__).parent / template).read_text(encoding="utf-8")
    cfg.write_text(text.replace("@PORT@", str(port)).replace("@DIR@", str(folder)), "utf-8")
    proc = subprocess.Popen(
        [_need("kamailio"), "-f", str(cfg), "-D", "-E", "-Y", str(folder), "-m", "64", "-M", "8"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.5)
    _pin(proc.pid, SERVER_CPU)
    try:
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _need(program: str) -> str:
    path = shutil.which(program)
    if path is None:
        raise SystemExit(f"{program} is not installed: run scripts/install --dev")
    return path


def _sipp(scenario: Path, port: int, *args: str, trace: bool = False) -> tuple[str, float]:
    cmd = ["taskset", "-c", str(LOAD_CPU)] if len(os.sched_getaffinity(0)) > 1 else []
    cmd += [
        _need("sipp"),
        "-sf",
        str(scenario),
        "-s",
        "140320",
        f"127.0.0.1:{port}",
        "-nostdin",
        "-timeout",
        "120s",
        "-timeout_error",
        *args,
    ]
    if trace:
        cmd.append("-trace_msg")
    for old in scenario.parent.glob("*_messages.log"):
        old.unlink()
    started = time.monotonic()
    done = subprocess.run(
        cmd, cwd=scenario.parent, capture_output=True, text=True, timeout=150, check=False
    )
    return done.stdout, time.monotonic() - started


def _counts(screen: str) -> dict[str, float]:
    def last(label: str) -> float:
        found = re.findall(rf"{label}\s*\|[^|]*\|\s*([0-9.]+)", screen)
        return float(found[-1]) if found else 0.0

    return {
        "successful": last("Successful call"),
        "failed": last("Failed call"),
        "rate": last("Call Rate"),
    }


_BLOCK = re.compile(
    r"-{10,} (\S+ \S+)\n\w+ message (sent|received)[^\n]*\n\n([^\n]*)\n"
    r"(?:[^\n]*\n)*?Call-ID: ([^\n]+)\n"
)


def _latencies_ms(folder: Path) -> list[float]:
    sent: dict[str, datetime] = {}
    out: list[float] = []
    for log in folder.glob("*_messages.log"):
        for stamp, direction, first, call_id in _BLOCK.findall(log.read_text(errors="replace")):
            moment = datetime.fromisoformat(stamp)
            if direction == "sent" and first.startswith("INVITE"):
                sent.setdefault(call_id, moment)
            elif direction == "received" and first.startswith("SIP/2.0 302") and (call_id in sent):
                out.append((moment - sent.pop(call_id)).total_seconds() * 1000)
    return sorted(out)


def _pct(values: list[float], q: float) -> float | None:
    return round(values[min(len(values) - 1, int(len(values) * q))], 3) if values else None


def fixed_rate(scenario: Path, port: int, rate: int, seconds: float) -> dict[str, Any]:
    calls = int(rate * seconds)
    screen, wall = _sipp(scenario, port, "-r", str(rate), "-m", str(calls), trace=True)
    latencies = _latencies_ms(scenario.parent)
    return {
        "offered_cps": rate,
        "calls": calls,
        **_counts(screen),
        "wall_s": round(wall, 2),
        "latency_ms": {
            "p50": _pct(latencies, 0.5),
            "p99": _pct(latencies, 0.99),
            "max": _pct(latencies, 1.0),
            "samples": len(latencies),
        },
    }


def maximum(scenario: Path, port: int, calls: int, concurrent: int) -> dict[str, Any]:
    screen, wall = _sipp(scenario, port, "-r", "100000", "-l", str(concurrent), "-m", str(calls))
    counts = _counts(screen)
    return {
        "calls": calls,
        "concurrent": concurrent,
        **counts,
        "cps": round(counts["successful"] / wall),
        "wall_s": round(wall, 2),
    }


def measure(name: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        folder = Path(tmp)
        server = veertien(folder) if name == "veertien" else kamailio(folder)
        with server as port:
            scenario = _scenario(folder)
            rates = [fixed_rate(scenario, port, r, args.seconds) for r in args.rates]
            top = maximum(scenario, port, args.max_calls, args.concurrent)
    return {"fixed_rates": rates, "maximum": top}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="per fixed rate")
    parser.add_argument("--rates", default="100,500,1000")
    parser.add_argument("--max-calls", type=int, default=30000)
    parser.add_argument("--concurrent", type=int, default=32)
    args = parser.parse_args()
    args.rates = [int(r) for r in args.rates.split(",")]
    ours = measure("veertien", args)
    theirs = measure("kamailio", args)
    at_500 = next((r for r in ours["fixed_rates"] if r["offered_cps"] == 500), None)
    print(
        json.dumps(
            {
                "benchmark": "sip_redirect",
                "scenario": "INVITE, 100, 302 (Contact and Diversion checked), ACK; UDP loopback",
                "cpus": {"server": SERVER_CPU, "sipp": LOAD_CPU, "available": os.cpu_count()},
                "veertien": ours,
                "kamailio": theirs,
                "ratio_of_kamailio_max": round(
                    ours["maximum"]["cps"] / theirs["maximum"]["cps"], 3
                ),
                "goals": {
                    "p99_ms_at_500cps": 5,
                    "ratio_of_kamailio_max": 0.5,
                    "p99_ms_at_500cps_measured": at_500["latency_ms"]["p99"] if at_500 else None,
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
