"""calls.jsonl: every call record as one JSON line, for `tail -f` (the database is the record
of truth); appended by a writer thread, purged by the retention job."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from veertien.records.record import CallRecord
from veertien.records.writer import INTERVAL_S, BatchWriter, JsonRecord

TAIL_BYTES = 64 * 1024 * 1024  # the most of calls.jsonl read back at a start (tail())
CHUNK = 1024 * 1024


class JsonLinesSink:
    """Appends one JSON object per line to a file, from a background thread (batched every
    `interval` seconds, see storage.calls.BatchWriter)."""

    def __init__(self, path: Path, interval: float = INTERVAL_S, node: str | None = None) -> None:
        self.path = path
        self.node = node  # written into every line when given (several nodes, one cluster)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = path.open("a", encoding="utf-8")
        self._lock = threading.Lock()  # the writer thread appends; purge() rewrites
        self._writer = BatchWriter(self._append, interval, "call-records")

    def write(self, record: CallRecord) -> None:
        self._writer.write(record)

    def close(self) -> None:
        self._writer.close()
        self._handle.close()

    @property
    def depth(self) -> int:
        return self._writer.depth

    @property
    def writer(self) -> BatchWriter:
        return self._writer

    def _append(self, batch: Sequence[JsonRecord]) -> None:
        extra = {"node": self.node} if self.node is not None else {}
        lines = [json.dumps(r.to_json() | extra, ensure_ascii=False) for r in batch]
        with self._lock:
            self._handle.write("\n".join(lines) + "\n")
            self._handle.flush()

    def purge(self, before: datetime) -> int:
        """Drop the lines of calls that started before `before` (retention); the file is
        replaced in one step. A line that cannot be read is kept, not silently lost."""
        with self._lock:
            if not self._oldest_before(before):
                return 0
            self._handle.close()
            try:
                kept, gone = [], 0
                for line in self.path.read_text(encoding="utf-8").splitlines():
                    started = _started(line)
                    if started is not None and started < before:
                        gone += 1
                    else:
                        kept.append(line)
                if gone:
                    spare = self.path.with_suffix(".jsonl.tmp")
                    spare.write_text("".join(f"{k}\n" for k in kept), encoding="utf-8")
                    os.replace(spare, self.path)
            finally:
                self._handle = self.path.open("a", encoding="utf-8")
        return gone

    def _oldest_before(self, before: datetime) -> bool:
        """Whether the first line (the oldest: lines are appended as calls end) is from before
        `before`, or unreadable: otherwise there is nothing to purge and no need to read on."""
        with self.path.open(encoding="utf-8") as lines:
            first = lines.readline()
        started = _started(first) if first else before
        return started is None or started < before


def _started(line: str) -> datetime | None:
    parsed = _parsed(line)
    return parsed[1] if parsed is not None else None


def _parsed(line: str | bytes) -> tuple[dict[str, Any], datetime] | None:
    """A line's record and when its call started; None for a line that cannot be read."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    started = record.get("started") if isinstance(record, dict) else None
    if not isinstance(started, str):
        return None
    try:
        return record, datetime.fromisoformat(started)
    except ValueError:
        return None


def tail(path: Path, span: timedelta, limit: int = TAIL_BYTES) -> list[dict[str, Any]]:
    """The records at the end of calls.jsonl that started at most `span` before the last one,
    oldest first, read backwards from the end and no more than `limit` bytes of it (lines are
    appended as calls end, so the walk stops at the first older line). Unreadable lines are
    skipped; a missing file has none."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return []
    found: list[dict[str, Any]] = []
    since: datetime | None = None
    with handle:
        for line in _backwards(handle, limit):
            parsed = _parsed(line)
            if parsed is None or parsed[1].tzinfo is None:  # every record says its offset
                continue
            record, started = parsed
            since = started - span if since is None else since
            if started < since:
                break
            found.append(record)
    found.reverse()
    return found


def _backwards(handle: BinaryIO, limit: int) -> Iterator[bytes]:
    """The file's complete lines, last first, from at most its last `limit` bytes."""
    end = handle.seek(0, os.SEEK_END)
    start, rest = end, b""
    while start > max(0, end - limit):
        step = min(CHUNK, start - max(0, end - limit))
        start -= step
        handle.seek(start)
        lines = (handle.read(step) + rest).split(b"\n")
        rest = lines[0] if start > 0 else b""  # maybe the end of a line that began earlier
        yield from reversed(lines[1:] if start > 0 else lines)
    # a partial line left at the limit is not a whole record: dropped
