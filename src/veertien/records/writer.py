"""The batching thread behind every record sink that touches a disk or a database: the event
loop only puts records on a queue; the thread hands what queued up to `flush` every `interval`
seconds."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

log = logging.getLogger("veertien.records")


class JsonRecord(Protocol):
    def to_json(self) -> dict[str, Any]: ...


class BatchWriter:
    """A thread that hands whatever queued up to `flush` every `interval` seconds."""

    def __init__(
        self, flush: Callable[[Sequence[JsonRecord]], None], interval: float, name: str
    ) -> None:
        self.interval = interval
        self._flush = flush
        self._queue: queue.SimpleQueue[JsonRecord] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def write(self, record: JsonRecord) -> None:
        self._queue.put(record)

    def close(self) -> None:
        """Write what is queued, then stop."""
        self._stop.set()
        self._thread.join(timeout=30)

    @property
    def depth(self) -> int:
        return self._queue.qsize()

    def _run(self) -> None:
        while True:
            stopping = self._stop.wait(self.interval)
            batch = []
            while not self._queue.empty():
                batch.append(self._queue.get())
            if batch:
                try:
                    self._flush(batch)
                except Exception:  # keep the service up; say what was lost
                    log.exception("could not write %d call records", len(batch))
            if stopping:
                return
