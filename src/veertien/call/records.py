"""Call records: one per call, written through a `CallRecordSink`.

For now the sink appends JSON lines to `calls.jsonl` in the data folder, from a writer thread so
the event loop never waits on the disk; the storage issue replaces it with the database behind
the same protocol.
"""

from __future__ import annotations

import json
import queue
import threading
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Protocol


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
    outcome: str  # "redirected", "refused", "transferred", "announced", "cancelled", ...
    pdd_us: float  # INVITE taken by the handler → first answer (final, or 183) handed over
    route: str = "direct"  # "direct" (302 at once) or "keys" (the dialogue)
    dialogue: tuple[tuple[str, str], ...] = ()  # (event, detail): prompt, key, timeout, ...
    phase: str | None = None  # where a caller who hung up was: "menu", "announcement", ...
    duration_ms: float | None = None  # INVITE → final response, for dialogues
    key_to_transfer_ms: float | None = None  # the caller's last key → the transfer sent
    handover: str = "302"  # "302" (redirect, also after early media) or "refer"

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in RECORD_FIELDS}


RECORD_FIELDS = tuple(f.name for f in fields(CallRecord))


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
    """Appends one JSON object per line to a file, from a background thread.

    The thread wakes every `interval` seconds and writes what has queued up in one go, so that a
    busy server hands it the interpreter a few times a second rather than once per call. At
    most `interval` seconds of records are in memory only; `close()` writes them all.
    """

    def __init__(self, path: Path, interval: float = 0.1) -> None:
        self.path = path
        self.interval = interval
        path.parent.mkdir(parents=True, exist_ok=True)
        self._queue: queue.SimpleQueue[CallRecord] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="call-records", daemon=True)
        self._thread.start()

    def write(self, record: CallRecord) -> None:
        self._queue.put(record)

    def close(self) -> None:
        """Write what is queued, then stop."""
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        with self.path.open("a", encoding="utf-8") as handle:
            while True:
                stopping = self._stop.wait(self.interval)
                lines = []
                while not self._queue.empty():
                    record = self._queue.get()
                    lines.append(json.dumps(record.to_json(), ensure_ascii=False))
                if lines:
                    handle.write("\n".join(lines) + "\n")
                    handle.flush()
                if stopping:
                    return
