"""Prometheus metrics from call records, and live figures read at scrape time."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from tests.callrecords import dialogue, record
from veertien.server.metrics import CallMetrics, LiveFigures


def test_records_become_counters_and_histograms() -> None:
    metrics = CallMetrics(CollectorRegistry())
    metrics.write(record())
    metrics.write(
        dialogue(
            ("heard",),
            outcome="cancelled",
            phase="after_name",
            response=487,
            phase_ms=(("greeting", 2500.0), ("recognition", 900.0)),
        )
    )
    metrics.write(record(outcome="failed", response=500))
    text = metrics.exposition().decode()
    assert 'veertien_calls_total{outcome="redirected",route="direct"} 1.0' in text
    assert 'veertien_hangups_total{phase="after_name"} 1.0' in text
    assert 'veertien_call_errors_total{kind="failed"} 1.0' in text
    assert 'veertien_post_dial_delay_seconds_count{kind="dialogue"} 1.0' in text
    assert 'veertien_dialogue_phase_seconds_sum{phase="greeting"} 2.5' in text
    assert "veertien_recognition_seconds_count 1.0" in text


def test_live_figures_are_read_when_scraped() -> None:
    registry = CollectorRegistry()
    depth = [3]
    registry.register(
        LiveFigures(
            {"veertien_q": ("queue", lambda: float(depth[0]))},
            {"veertien_in": ("messages", lambda: 7.0)},
        )
    )
    metrics = CallMetrics(registry)
    depth[0] = 5
    text = metrics.exposition().decode()
    assert "veertien_q 5.0" in text and "veertien_in_total 7.0" in text
