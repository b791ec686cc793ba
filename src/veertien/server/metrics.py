"""Prometheus metrics: every call record is counted and timed as it is written (a sink beside
the database's), and live figures (dialogues running, queues, SIP messages) are read when
Prometheus scrapes `/metrics` on the portal's address.

Each service has its own registry, so tests can run several services in one process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from veertien.records import CallRecord

SECONDS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
ERRORS = ("failed", "no ACK")


class CallMetrics:
    """A `CallRecordSink` that turns records into counters and histograms."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.calls = Counter(
            "veertien_calls", "Calls ended, by outcome and route", ["outcome", "route"],
            registry=registry,
        )  # fmt: skip
        self.hangups = Counter(
            "veertien_hangups", "Callers who hung up, by dialogue phase", ["phase"],
            registry=registry,
        )  # fmt: skip
        self.errors = Counter(
            "veertien_call_errors", "Calls that ended in an error of ours", ["kind"],
            registry=registry,
        )  # fmt: skip
        self.pdd = Histogram(
            "veertien_post_dial_delay_seconds", "INVITE in to the first answer out",
            ["kind"], buckets=SECONDS, registry=registry,
        )  # fmt: skip
        self.phases = Histogram(
            "veertien_dialogue_phase_seconds", "Duration of each dialogue phase", ["phase"],
            buckets=SECONDS, registry=registry,
        )  # fmt: skip
        self.recognition = Histogram(
            "veertien_recognition_seconds", "An utterance in to what it meant (recognisers)",
            buckets=SECONDS, registry=registry,
        )  # fmt: skip
        self.key_to_transfer = Histogram(
            "veertien_key_to_transfer_seconds", "The caller's last key to the transfer sent",
            buckets=SECONDS, registry=registry,
        )  # fmt: skip

    def write(self, record: CallRecord) -> None:
        self.calls.labels(record.outcome, record.route).inc()
        if record.phase is not None:
            self.hangups.labels(record.phase).inc()
        if record.outcome in ERRORS or record.response >= 500:
            self.errors.labels(record.outcome).inc()
        kind = "dialogue" if "prompted" in record.stages else "direct"
        if record.pdd_us > 0:  # 0: the call ended before any answer went out
            self.pdd.labels(kind).observe(record.pdd_us / 1e6)
        for phase, ms in record.phase_ms:
            self.phases.labels(phase).observe(ms / 1000)
            if phase == "recognition":
                self.recognition.observe(ms / 1000)
        if record.key_to_transfer_ms is not None:
            self.key_to_transfer.observe(record.key_to_transfer_ms / 1000)

    def close(self) -> None:
        return None

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class LiveFigures(Collector):
    """Gauges and counters read at scrape time from `gauges` and `counters` (name → reader)."""

    def __init__(
        self,
        gauges: Mapping[str, tuple[str, Callable[[], float]]],
        counters: Mapping[str, tuple[str, Callable[[], float]]],
    ) -> None:
        self.gauges = gauges
        self.counters = counters

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        for name, (text, read) in self.gauges.items():
            yield GaugeMetricFamily(name, text, value=read())
        for name, (text, read) in self.counters.items():
            yield CounterMetricFamily(name, text, value=read())
