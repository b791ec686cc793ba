"""Call records in the database, written by one background thread in batches.

The event loop only puts records on a queue. The writer wakes every `interval` seconds (0.05)
and inserts what has queued up in one transaction; once that commits, a crash loses nothing of
it (SQLite in WAL mode with synchronous=FULL; PostgreSQL's own durability). About 100 ms of
records are in memory only: when the writer falls behind that, new calls get 503 until it has
caught up (records.writer); `close()` writes them all.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import Engine, insert

from veertien.records.columns import row
from veertien.records.writer import INTERVAL_S, BatchWriter, JsonRecord
from veertien.storage.schema import call_records

log = logging.getLogger("veertien.storage")


class DatabaseSink:
    """A `CallRecordSink` that inserts into `call_records`."""

    def __init__(self, engine: Engine, interval: float = INTERVAL_S) -> None:
        self.engine = engine
        self._writer = BatchWriter(self._insert, interval, "call-records-db")

    def write(self, record: JsonRecord) -> None:
        self._writer.write(record)

    def close(self) -> None:
        self._writer.close()

    @property
    def depth(self) -> int:
        return self._writer.depth

    @property
    def writer(self) -> BatchWriter:
        return self._writer

    def _insert(self, batch: Sequence[JsonRecord]) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(call_records), [row(r.to_json()) for r in batch])
