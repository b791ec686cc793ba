"""Overload benchmark: veertien offered four times what it can answer, on loopback.

    .venv/bin/python bench/overload.py [--seconds 20] [--factor 4] [--out docs/overload.json]

1. Capacity: the open-loop generator below offers 14 0320 → 302 at rising rates (×1.25 from
   400 calls/s, 3 s each); the capacity is the highest rate answered in full with 302s (at most
   0.5 % 503s, none without an answer). A closed loop (SIPp's maximum) does not work here: it
   sends the next call the moment a 503 comes back, so it measures how fast we say 503.
2. Overload: the generator (two processes on the other CPU: one sends, one receives and ACKs)
   offers `factor` × capacity INVITEs per second for `seconds`, and an OPTIONS probe every
   20 ms. It does not retransmit, so an INVITE the node (or the kernel) dropped stays without a
   final answer and is counted as such.
3. Afterwards the node's RSS is read again, 40 s after the load (when the last transactions
   have ended: an INVITE transaction waits up to 32 s for its ACK).

The server is pinned to CPU 0. Prints one JSON object with the figures and, per goal, whether
it was met: goodput ≥ 90 % of capacity, every excess INVITE answered 503 within 10 ms (p99),
zero calls without a final answer, OPTIONS p99 < 50 ms throughout, RSS back within 10 % of its
start. Every loop is bounded in time and count and talks only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the benchmark reuses the end-to-end helpers
from bench.sip_redirect import SERVER_CPU, TARGET, _pin  # noqa: E402
from bench.speech_call import emit  # noqa: E402
from tests.e2e.peers import veertien_server  # noqa: E402

LOAD_CPU = 1
PROBE_S = 0.02
_STATUS = re.compile(rb"^SIP/2\.0 (\d{3})")
_CALL_ID = re.compile(rb"\r\nCall-ID: *([^\r\n]+)", re.I)
_CSEQ = re.compile(rb"\r\nCSeq: *\d+ +([A-Z]+)", re.I)
_TO = re.compile(rb"\r\n(To: *[^\r\n]+)", re.I)


def _request(method: str, call_id: str, local: int, port: int) -> bytes:
    return (
        f"{method} sip:140320@127.0.0.1:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bK-{call_id}\r\n"
        f"From: <sip:0612345678@127.0.0.1:{local}>;tag=f{call_id}\r\n"
        f"To: <sip:140320@127.0.0.1:{port}>\r\n"
        f"Call-ID: {call_id}\r\nCSeq: 1 {method}\r\nMax-Forwards: 70\r\n"
        f"Content-Length: 0\r\n\r\n"
    ).encode()


def _ack(call_id: bytes, to: bytes, local: int, port: int) -> bytes:
    cid = call_id.decode()
    return (
        (
            f"ACK sip:140320@127.0.0.1:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bK-{cid}\r\n"
            f"From: <sip:0612345678@127.0.0.1:{local}>;tag=f{cid}\r\n"
        ).encode()
        + to
        + (f"\r\nCall-ID: {cid}\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n").encode()
    )


def _send(sock: socket.socket, port: int, rate: int, seconds: float, out: Any) -> None:
    """Open loop: INVITE n at start + n/rate; an OPTIONS every PROBE_S. Records send times."""
    local = sock.getsockname()[1]
    sent: dict[str, float] = {}
    start = time.monotonic()
    total, probes = int(rate * seconds), int(seconds / PROBE_S)
    n = p = 0
    while n < total or p < probes:
        now = time.monotonic() - start
        if p < probes and now >= p * PROBE_S:
            cid = f"o{p}"
            sent[cid] = time.monotonic()
            sock.sendto(_request("OPTIONS", cid, local, port), ("127.0.0.1", port))
            p += 1
        elif n < total and now >= n / rate:
            cid = f"i{n}"
            sent[cid] = time.monotonic()
            sock.sendto(_request("INVITE", cid, local, port), ("127.0.0.1", port))
            n += 1
        else:
            time.sleep(min(0.0005, max(0.0, min(n / rate, p * PROBE_S) - now)))
        if now > seconds + 5:  # a generator that cannot keep up stops anyway
            break
    out.put(sent)


def _receive(sock: socket.socket, port: int, until: float, out: Any) -> None:
    """Every final answer's time and status by Call-ID; non-2xx finals are ACKed."""
    local = sock.getsockname()[1]
    sock.settimeout(0.2)
    got: dict[str, tuple[float, int]] = {}
    while time.monotonic() < until:
        try:
            data = sock.recv(65535)
        except TimeoutError:
            continue
        at = time.monotonic()
        status, cid, cseq = _STATUS.match(data), _CALL_ID.search(data), _CSEQ.search(data)
        if status is None or cid is None or cseq is None or int(status.group(1)) < 200:
            continue
        key = cid.group(1).decode()
        if key not in got:
            got[key] = (at, int(status.group(1)))
        to = _TO.search(data)
        if cseq.group(1) == b"INVITE" and to is not None:
            sock.sendto(_ack(cid.group(1), to.group(1), local, port), ("127.0.0.1", port))
    out.put(got)


def _pct(values: list[float], q: float) -> float | None:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(len(values) * q))], 2) if values else None


def overload(port: int, rate: int, seconds: float) -> dict[str, Any]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    sock.bind(("127.0.0.1", 0))
    ctx = multiprocessing.get_context("fork")
    sent_q, got_q = ctx.Queue(), ctx.Queue()
    until = time.monotonic() + seconds + 8
    receiver = ctx.Process(target=_receive, args=(sock, port, until, got_q))
    sender = ctx.Process(target=_send, args=(sock, port, rate, seconds, sent_q))
    receiver.start()
    sender.start()
    for proc in (receiver, sender):
        if proc.pid is not None:
            _pin(proc.pid, LOAD_CPU)
    sent: dict[str, float] = sent_q.get(timeout=seconds + 30)
    got: dict[str, tuple[float, int]] = got_q.get(timeout=seconds + 30)
    sender.join(timeout=10)
    receiver.join(timeout=10)
    drops = {"node": _udp_drops(port), "generator": _udp_drops(sock.getsockname()[1])}
    sock.close()
    return {**_figures(sent, got, seconds), "kernel_drops": drops}


def _udp_drops(port: int) -> int:
    """Datagrams the kernel dropped for the UDP socket on 127.0.0.1:`port` (a full receive
    buffer), from /proc/net/udp: where an unanswered INVITE was lost."""
    wanted = f":{port:04X}"
    total = 0
    for line in Path("/proc/net/udp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(wanted):
            total += int(fields[-1])
    return total


def _figures(
    sent: dict[str, float], got: dict[str, tuple[float, int]], seconds: float
) -> dict[str, Any]:
    invites = [c for c in sent if c.startswith("i")]
    answered = {c: got[c] for c in invites if c in got}
    ms = {c: (at - sent[c]) * 1000 for c, (at, _) in answered.items()}
    by_status: dict[int, int] = {}
    for _, status in answered.values():
        by_status[status] = by_status.get(status, 0) + 1
    shed = [ms[c] for c, (_, s) in answered.items() if s == 503]
    redirected = [ms[c] for c, (_, s) in answered.items() if s == 302]
    probes = [(got[c][0] - sent[c]) * 1000 for c in sent if c.startswith("o") and c in got]
    probes_sent = sum(c.startswith("o") for c in sent)
    return {
        "invites_sent": len(invites),
        "offered_cps": round(len(invites) / seconds),
        "answers": {str(k): v for k, v in sorted(by_status.items())},
        "without_final_answer": len(invites) - len(answered),
        "goodput_cps": round(len(redirected) / seconds),
        "latency_302_ms": {"p50": _pct(redirected, 0.5), "p99": _pct(redirected, 0.99)},
        "latency_503_ms": {"p50": _pct(shed, 0.5), "p99": _pct(shed, 0.99), "max": _pct(shed, 1)},
        "options": {
            "sent": probes_sent,
            "answered": len(probes),
            "p50_ms": _pct(probes, 0.5),
            "p99_ms": _pct(probes, 0.99),
        },
    }


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def run(seconds: float, factor: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-overload-") as tmp:
        folder = Path(tmp)
        data = folder / "data"
        data.mkdir()
        settings = {"speech": False, "municipalities": {"GM0995": {"destination": TARGET}}}
        (data / "settings.json").write_text(json.dumps(settings))
        with veertien_server(data, log_level="WARNING") as server:
            _pin(server.process.pid, SERVER_CPU)
            time.sleep(6)  # past the overload guard's start-up grace
            capacity, steps = measure_capacity(server.port)
            time.sleep(35)  # the ramp's transactions end: the start of the RSS comparison
            rss_start = _rss_kb(server.process.pid)
            result = overload(server.port, int(capacity * factor), seconds)
            time.sleep(40)
            rss_after = _rss_kb(server.process.pid)
    return {**_verdict(capacity, result, rss_start, rss_after, factor), "ramp": steps}


def measure_capacity(port: int) -> tuple[int, list[dict[str, Any]]]:
    """The highest rate of the ramp answered in full (see the module's docstring)."""
    rate, best, steps = 400, 0, []
    for _ in range(20):  # bounded: 400 × 1.25^19 is far beyond one core
        step = overload(port, rate, 3.0)
        answers, sent = step["answers"], step["invites_sent"]
        clean = step["without_final_answer"] == 0 and answers.get("503", 0) <= 0.005 * sent
        steps.append({"offered_cps": rate, "answers": answers,
                      "without_final_answer": step["without_final_answer"]})  # fmt: skip
        if not clean:
            break
        best = rate
        rate = int(rate * 1.25)
        time.sleep(2)
    return max(best, 1), steps


def _verdict(
    capacity: int, result: dict[str, Any], rss_start: int, rss_after: int, factor: float
) -> dict[str, Any]:
    shed_p99 = result["latency_503_ms"]["p99"]
    options = result["options"]
    goals = {
        "goodput_at_least_90_percent_of_capacity": result["goodput_cps"] >= 0.9 * capacity,
        "excess_answered_503_within_10_ms_p99": shed_p99 is not None and shed_p99 <= 10,
        "zero_calls_without_final_answer": result["without_final_answer"] == 0,
        "options_p99_under_50_ms": (
            options["answered"] == options["sent"] and (options["p99_ms"] or 1e9) < 50
        ),
        "rss_back_within_10_percent": rss_after <= rss_start * 1.1,
    }
    return {
        "benchmark": "overload",
        "capacity_cps": capacity,
        "factor": factor,
        **result,
        "rss_kb": {"start": rss_start, "after": rss_after},
        "goals_met": goals,
        "cpus": len(os.sched_getaffinity(0)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--factor", type=float, default=4.0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if not 1 <= args.seconds <= 120 or not 1 <= args.factor <= 10:
        raise SystemExit("--seconds 1..120 and --factor 1..10")
    emit(run(args.seconds, args.factor), args.out)


if __name__ == "__main__":
    main()
