"""Call records in the database, written by one background thread in batches.

The event loop only puts records on a queue. The writer wakes every `interval` seconds and
inserts what has queued up in one transaction; once that commits, a crash loses nothing of it
(SQLite in WAL mode with synchronous=FULL; PostgreSQL's own durability). At most `interval`
seconds of records are in memory only; `close()` writes them all.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from sqlalchemy import Engine, insert

from veertien.storage.callcolumns import row
from veertien.storage.schema import call_records

log = logging.getLogger("veertien.storage")


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


class DatabaseSink:
    """A `CallRecordSink` that inserts into `call_records`."""

    def __init__(self, engine: Engine, interval: float = 0.1) -> None:
        self.engine = engine
        self._writer = BatchWriter(self._insert, interval, "call-records-db")

    def write(self, record: JsonRecord) -> None:
        self._writer.write(record)

    def close(self) -> None:
        self._writer.close()

    @property
    def depth(self) -> int:
        return self._writer.depth

    def _insert(self, batch: Sequence[JsonRecord]) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(call_records), [row(r.to_json()) for r in batch])
