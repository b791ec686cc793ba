"""A node's side of recorded prompts: every recording in the database, in its prompt cache.

Every POLL_S, in a worker thread, the node reads a cheap mark (how many recordings, the newest
upload, their total length); when it moved, it reads them all and hands them to the prompt
cache on the event loop (call.prompts: from the next prompt on). While the database is away,
the recordings in hand stay.
"""

from __future__ import annotations

import asyncio
import logging

from veertien.call.prompts import PromptCache, Recorded
from veertien.storage.recordings import RecordingStore

log = logging.getLogger("veertien")
POLL_S = 1.0


class RecordingsFollower:
    def __init__(self, store: RecordingStore, prompts: PromptCache) -> None:
        self.store = store
        self.prompts = prompts
        self.count = 0  # recordings in use
        self._seen: tuple[int, str] | None = None
        self._failing = False

    def read(self) -> tuple[tuple[int, str], Recorded] | None:
        """Blocking: every recording, when anything changed since the last `use`."""
        mark = self.store.mark()
        if mark == self._seen:
            return None
        return mark, self.store.all_audio()

    def use(self, found: tuple[tuple[int, str], Recorded] | None) -> None:
        """On the event loop: play what `read` found from the next prompt on."""
        if found is None:
            return
        mark, recorded = found
        if self._seen is not None or recorded:
            log.info("recorded prompts: %d in use (were %d)", len(recorded), self.count)
        self.prompts.use_recordings(recorded)
        self._seen, self.count = mark, len(recorded)

    async def refresh(self) -> None:
        self.use(await asyncio.to_thread(self.read))

    async def run(self, interval: float = POLL_S) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await self.refresh()
            except Exception as exc:  # the database away: the recordings in hand stay
                if not self._failing:
                    log.error("recordings cannot be read (%s): the %d in hand stay",
                              exc, self.count)  # fmt: skip
                self._failing = True
            else:
                self._failing = False
