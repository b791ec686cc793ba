"""The pacing figures: all kept, or the last packets only (what /metrics shows)."""

from __future__ import annotations

from veertien.media.session import PacingStats


def test_the_percentile_of_the_last_packets_forgets_older_ones() -> None:
    stats = PacingStats()
    stats.lateness.extend([0.050] * 100 + [0.001] * 1000)  # a bad moment, then calm
    assert stats.percentile(0.99) == 0.050
    assert stats.percentile(0.99, last=1000) == 0.001
    assert PacingStats().percentile(0.99, last=10) == 0.0
