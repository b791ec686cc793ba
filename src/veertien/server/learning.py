"""A node's side of learning: the learned set it hears calls with, kept up to date from the
database, and where its dialogues' examples go.

Every POLL_S, in a worker thread, the node reads a cheap mark (the newest example, the reviews);
when the reviews, the directory or the settings moved — or new examples came and the last
judgement is RETALLY_S old (a busy platform adds examples every second; judging means tallying
them all) — it judges every form with evidence again
(learning.aliases, under the settings' rules), remembers the new learned set's version
(storage.learning: the operator can go back to it) and swaps it in for the next call. The event
loop never waits on the database; while it is away, the set in hand stays.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import replace

from veertien.learning.aliases import NONE_LEARNED, active
from veertien.learning.current import known_in, rules_of
from veertien.learning.examples import Example
from veertien.storage.learning import ExampleSink, LearningStore
from veertien.storage.live import LiveContext

log = logging.getLogger("veertien")
POLL_S = 1.0
RETALLY_S = 10.0  # new examples alone are judged at most this often


class LearningFollower:
    """`Learning` for the dialogues (call.learn): aliases per area, version, examples."""

    def __init__(
        self,
        store: LearningStore,
        context: LiveContext,
        sink: ExampleSink,
        hasher: Callable[[str | None], str | None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store, self.context, self.sink, self.hasher = store, context, sink, hasher
        self.clock = clock
        self.version = NONE_LEARNED
        self._by_area: dict[str, tuple[tuple[str, str], ...]] = {}
        self._seen: tuple[int, int, str, str, object] | None = None
        self._judged = -RETALLY_S  # when, on `clock`
        self._failing = False

    def aliases(self, area_code: str) -> tuple[tuple[str, str], ...]:
        return self._by_area.get(area_code, ())

    def add(self, example: Example) -> None:
        self.sink.write(replace(example, caller=self.hasher(example.caller)))

    def refresh(self, force: bool = False) -> bool:
        """Blocking: judge the evidence again when anything it depends on moved (`force`: now).
        True when the learned set changed."""
        ctx = self.context.current
        platform = ctx.settings.platform
        newest, reviews, reviewed = self.store.mark()
        mark = (newest, reviews, reviewed, ctx.data_version, platform.to_json())
        if not force and not self._due(mark):
            return False
        found = self.store.current(
            rules_of(platform), known_in(ctx.directory), int(self.clock()),
            platform.learning_retention_days,
        )  # fmt: skip
        keys = active(found)
        version = self.store.keep_version(keys)
        by_area: dict[str, list[tuple[str, str]]] = {}
        for area, form, code in keys:
            by_area.setdefault(area, []).append((form, code))
        self._seen, self._judged = mark, self.clock()
        if version != self.version:
            log.info("learned set %s → %s (%d aliases)", self.version, version, len(keys))
        self._by_area = {a: tuple(pairs) for a, pairs in by_area.items()}
        changed, self.version = version != self.version, version
        return changed

    def _due(self, mark: tuple[int, int, str, str, object]) -> bool:
        """Whether to judge again: anything but the examples moved, or they did a while ago."""
        seen = self._seen
        if seen is None or mark[1:] != seen[1:]:
            return True
        return mark[0] != seen[0] and self.clock() - self._judged >= RETALLY_S

    async def run(self, interval: float = POLL_S) -> None:
        while True:
            try:
                await asyncio.to_thread(self.refresh)
            except Exception as exc:  # the database away: the learned set in hand stays
                if not self._failing:
                    log.error("learning cannot be read (%s): the learned set %s stays",
                              exc, self.version)  # fmt: skip
                self._failing = True
            else:
                self._failing = False
            await asyncio.sleep(interval)

    def close(self) -> None:
        self.sink.close()
