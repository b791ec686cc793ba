"""The benchmarks run and print the figures they promise (timing goals live in bench/, not here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.routing import run


@pytest.mark.national
def test_routing_benchmark_reports_its_figures(national_path: Path) -> None:
    result = run(national_path, seconds=0.05)
    assert result["directory"] == {"municipalities": 342, "area_codes": 141}
    latency = result["latency_us"]
    assert isinstance(latency, dict) and 0 < latency["p50"] <= latency["p99"] <= latency["max"]
