"""The node's learned set follows the database: a review at once, new examples at most every
RETALLY_S (judging tallies them all), a database away keeps the set in hand."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from veertien.learning.aliases import Alias, Known, Review, Rules
from veertien.learning.examples import Example, Label, Turn
from veertien.server.learning import RETALLY_S, LearningFollower
from veertien.storage import DataDir
from veertien.storage.learning import ExampleSink, LearningStore
from veertien.storage.live import LiveContext
from veertien.storage.store import Storage

HEERDE = "GM0246"


class Counting(LearningStore):
    judged = 0

    def current(self, rules: Rules, known: Known, now_s: int, days: int) -> tuple[Alias, ...]:
        self.judged += 1
        return super().current(rules, known, now_s, days)


def test_reviews_count_at_once_new_examples_every_few_seconds(tmp_path: Path) -> None:
    storage = Storage.open(DataDir(tmp_path))
    now = [1_796_000_000.0]
    store, sink = Counting(storage.engine), ExampleSink(storage.engine)
    follower = LearningFollower(store, LiveContext(storage), sink, lambda c: c, lambda: now[0])
    try:
        follower.refresh()
        assert store.judged == 1 and not follower.refresh() and store.judged == 1
        turn = Turn("x", (), (), 0.1, "retry")
        follower.add(Example(int(now[0]), "0578", "x", Label.KEYED, HEERDE, "h:1", "nl", "none",
                             turn))  # fmt: skip
        sink.writer.write_now()
        follower.refresh()
        assert store.judged == 1  # judged just now: the new example waits
        now[0] += RETALLY_S
        follower.refresh()
        assert store.judged == 2
        store.review({("0578", "x", HEERDE): Review.APPROVED}, "beheerder", "learning.approve")
        assert follower.refresh() and store.judged == 3
        assert follower.aliases("0578") == (("x", HEERDE),) and follower.version != "none"
    finally:
        follower.close()
        storage.close()


class Away(LearningStore):
    def mark(self) -> tuple[int, int, str]:
        raise ConnectionError("the database is away")


async def test_a_database_away_keeps_the_learned_set_in_hand(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    storage = Storage.open(DataDir(tmp_path))
    sink = ExampleSink(storage.engine)
    follower = LearningFollower(Away(storage.engine), LiveContext(storage), sink, lambda c: c)
    follower.version, follower._by_area = "abc123", {"0578": (("x", HEERDE),)}  # in hand
    task = asyncio.ensure_future(follower.run(interval=0))
    try:
        for _ in range(20):
            await asyncio.sleep(0.01)
    finally:
        task.cancel()
        follower.close()
        storage.close()
    assert follower.version == "abc123" and follower.aliases("0578") == (("x", HEERDE),)
    said = [r for r in caplog.records if "learning cannot be read" in r.message]
    assert len(said) == 1  # said once, not at every try
