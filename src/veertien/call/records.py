"""Call records: one per call, written through a `CallRecordSink`.

For now the sink appends JSON lines to `calls.jsonl` in the data folder, from a writer thread so
the event loop never waits on the disk; the storage issue replaces it with the database behind
the same protocol.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger("veertien.records")


@dataclass(frozen=True, slots=True)
class CallRecord:
    call_id: str
    started: str  # ISO 8601 wall-clock time the INVITE arrived
    transport: str  # "udp" / "tcp"
    peer: str
    dialled: str  # as it arrived (Request-URI user part)
    caller: str | None
    decision: str  # redirect / ivr / announce / reject
    rule: str
    reason: str
    data_version: str
    municipality: str | None
    target: str | None
    response: int  # the final SIP status we sent
    outcome: str  # "redirected", "rejected", "cancelled", ...
    pdd_us: float  # INVITE taken by the handler → final response handed to the transport

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class CallRecordSink(Protocol):
    def write(self, record: CallRecord) -> None: ...

    def close(self) -> None: ...


class MemorySink:
    """Keeps records in a list (tests)."""

    def __init__(self) -> None:
        self.records: list[CallRecord] = []

    def write(self, record: CallRecord) -> None:
        self.records.append(record)

    def close(self) -> None:
        return None


class JsonLinesSink:
    """Appends one JSON object per line to a file, from a background thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._queue: queue.SimpleQueue[CallRecord | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="call-records", daemon=True)
        self._thread.start()

    def write(self, record: CallRecord) -> None:
        self._queue.put(record)

    def close(self) -> None:
        """Write what is queued, then stop."""
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        with self.path.open("a", encoding="utf-8") as handle:
            while True:
                record = self._queue.get()
                batch = [record]
                while not self._queue.empty() and batch[-1] is not None:
                    batch.append(self._queue.get())
                for item in batch:
                    if item is not None:
                        handle.write(json.dumps(item.to_json(), ensure_ascii=False) + "\n")
                handle.flush()
                if batch[-1] is None:
                    return
