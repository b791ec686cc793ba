"""The benchmarks run and print the figures they promise (timing goals live in bench/, not here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.reports import run as run_reports
from bench.routing import run
from bench.sip_redirect import _counts, _latencies_ms
from veertien.directory import import_directory
from veertien.reports import REPORTS


@pytest.mark.national
def test_routing_benchmark_reports_its_figures(national_path: Path) -> None:
    result = run(national_path, seconds=0.05)
    assert result["directory"] == {"municipalities": 342, "area_codes": 141}
    latency = result["latency_us"]
    assert isinstance(latency, dict) and 0 < latency["p50"] <= latency["p99"] <= latency["max"]


def test_sip_bench_reads_sipp_screens_and_message_traces(tmp_path: Path) -> None:
    screen = (
        "  Call Rate              |    0.000 cps              | 499.500 cps\n"
        "  Successful call        |        0                  |     1000\n"
        "  Failed call            |        0                  |        2\n"
    )
    assert _counts(screen) == {"successful": 1000.0, "failed": 2.0, "rate": 499.5}
    block = (
        "----------------------------------------------- 2026-11-23 03:32:54.{us}\n"
        "UDP message {way} [1] bytes :\n\n{first}\nVia: x\nCall-ID: {cid}\n\n"
    )
    log = "".join(
        [
            block.format(
                us="500000", way="sent (329 bytes):", first="INVITE sip:1@h SIP/2.0", cid="a"
            ),
            block.format(us="500400", way="received", first="SIP/2.0 100 Trying", cid="a"),
            block.format(us="501250", way="received", first="SIP/2.0 302 Moved", cid="a"),
        ]
    )
    (tmp_path / "s_1_messages.log").write_text(log)
    assert _latencies_ms(tmp_path) == [pytest.approx(1.25)]


def test_reports_benchmark_times_every_report(tmp_path: Path) -> None:
    result = run_reports(f"sqlite:///{tmp_path / 'bench.db'}", 3000)
    assert result["records"] == 3000
    timings = result["reports_ms"]
    assert len(timings) == 3 * len(REPORTS) and all(
        t["median_ms"] <= t["max_ms"] for t in timings.values()
    )
    assert isinstance(result["all_under_1s"], bool)


@pytest.mark.national
async def test_national_benchmark_keys_every_postcode(national_path: Path) -> None:
    """bench/national_eval.py's keypad callers: every PC4 of the table reaches its municipality
    through the national dialogue (the spoken callers need Whisper: run by hand)."""
    from bench.national_eval import context, keypad_callers, one_call, summarise  # noqa: PLC0415

    ctx = context(import_directory(national_path))
    rows = [await one_call(c, ctx, None) for c in keypad_callers(ctx.directory)]
    figures = summarise(rows)
    assert figures["calls"] == 4699
    assert (figures["reached_right"], figures["wrong_transfers"]) == (1.0, 0.0)
