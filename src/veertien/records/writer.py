"""The batching thread behind every record sink that touches a disk or a database: the event
loop only puts records on a queue; the thread hands what queued up to `flush` every `interval`
seconds.

What a crash can lose is what is queued and not yet written: the records of the last
`interval` plus one flush. So that this stays at about 100 ms under any load the node takes,
the writer says it is `behind()` when the oldest record not yet written (waiting, or in the
batch being written) is older than `budget_s`, or when writing fails; the node then answers
new calls 503 (sip.overload) until it has caught up, rather than piling up records a `kill -9`
would take with it. A failed batch is kept and
written again (a full disk that is freed loses nothing); only past `capacity` records waiting
are records dropped, counted in `lost`. Failures are counted and logged once per 10 s.

A writer with `spool` set (the database's, when calls.jsonl keeps a crash-safe copy of every
record) holds to no time budget: while its writes are slow, stalled or failing (a PostgreSQL
restart) up to `spool` records wait and calls go on; only beyond that is it behind. What it
has not written when the node is killed, calls.jsonl has, and the node writes it to the
database at its next start (storage.calls.replay), so the journal's budget is the promise.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, Protocol

log = logging.getLogger("veertien.records")
INTERVAL_S = 0.05  # the writers wake this often
BUDGET_S = 0.08  # a record older than this waiting to be written: the node is behind
CAPACITY = 100_000  # records waiting (new and failed) before new ones are dropped
REPORT_S = 10.0  # a failing writer logs at most once per this


class JsonRecord(Protocol):
    def to_json(self) -> dict[str, Any]: ...


class BatchWriter:
    """A thread that hands whatever queued up to `flush` every `interval` seconds."""

    def __init__(
        self,
        flush: Callable[[Sequence[JsonRecord]], None],
        interval: float,
        name: str,
        *,
        budget_s: float = BUDGET_S,
        capacity: int = CAPACITY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval, self.budget_s, self.capacity, self.clock = (
            interval,
            budget_s,
            capacity,
            clock,
        )
        self.name = name
        self._flush = flush
        self._queue: deque[tuple[float, JsonRecord]] = deque()
        self._retry: list[tuple[float, JsonRecord]] = []  # a batch whose write failed
        self._writing: float | None = None  # when the oldest record of the batch in hand came
        self._in_hand = 0  # records in the batch being written
        self._lock = threading.Lock()
        self.failures = 0  # writes that failed
        self.lost = 0  # records dropped: more than `capacity` waiting
        self.failing = False  # the last write failed
        self.spool = 0  # records that may wait while writing fails (0: none, shed at once)
        self._reported = -REPORT_S
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def write(self, record: JsonRecord) -> None:
        with self._lock:
            if len(self._queue) + len(self._retry) >= self.capacity:
                self.lost += 1
                return
            self._queue.append((self.clock(), record))

    def behind(self) -> bool:
        """Whether new calls should wait: writing fails, or the oldest record waiting is older
        than the budget (what a crash would lose is growing). A spooling writer: only when
        more than `spool` records wait, in hand or queued."""
        if self.spool:
            return self.depth + self._in_hand > self.spool
        if self.failing:
            return True
        with self._lock:  # the batch being written is not safe either until it is
            waiting = [t for t in (self._writing, self._queue[0][0] if self._queue else None)
                       if t is not None]  # fmt: skip
        return bool(waiting) and self.clock() - min(waiting) > self.budget_s

    def close(self) -> None:
        """Write what is queued, then stop."""
        self._stop.set()
        self._thread.join(timeout=30)

    @property
    def depth(self) -> int:
        return len(self._queue) + len(self._retry)

    def _run(self) -> None:
        while True:
            stopping = self._stop.wait(self.interval)
            self.write_now()
            if stopping:
                return

    def _done_writing(self) -> None:
        with self._lock:
            self._writing, self._in_hand = None, 0

    def write_now(self) -> None:
        """One round: what failed before and what queued since, in one batch."""
        with self._lock:
            batch = [*self._retry, *self._queue]
            self._queue.clear()
            self._retry = []
            self._writing = min((t for t, _ in batch), default=None)
            self._in_hand = len(batch)
        if not batch:
            return
        try:
            self._flush([record for _, record in batch])
        except Exception as exc:  # keep the service up, keep the records, say so now and then
            self._done_writing()
            self.failures += 1
            self.failing = True
            with self._lock:
                self._retry = batch[: self.capacity]
                self.lost += len(batch) - len(self._retry)
            now = self.clock()
            if now - self._reported >= REPORT_S:
                self._reported = now
                log.error(
                    "%s: could not write %d call records (kept, tried again; %d failures so "
                    "far): %s", self.name, len(batch), self.failures, exc,
                )  # fmt: skip
            return
        self._done_writing()
        if self.failing:
            log.warning("%s: writing again; %d waiting records written", self.name, len(batch))
        self.failing = False
