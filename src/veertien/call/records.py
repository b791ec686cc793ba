"""Call records: one per call, written through a `CallRecordSink`.

The service writes each record to the database (storage.calls.DatabaseSink) and appends it to
`calls.jsonl` in the data folder, both from writer threads: the event loop never waits on a disk
or a database.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from veertien.storage.calls import BatchWriter, JsonRecord


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
    area_code: str | None = None  # the area code dialled (14 + area code, or its access number)
    final_rule: str | None = None  # the rule behind where the call went in the end
    stages: tuple[str, ...] = ()  # funnel stages reached (call.summary.Stage values)
    phase_ms: tuple[tuple[str, float], ...] = ()  # (phase, ms): greeting, menu, recognition, ...

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
    """Appends one JSON object per line to a file, from a background thread (batched every
    `interval` seconds, see storage.calls.BatchWriter)."""

    def __init__(self, path: Path, interval: float = 0.1) -> None:
        self.path = path
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

    def _append(self, batch: Sequence[JsonRecord]) -> None:
        lines = [json.dumps(r.to_json(), ensure_ascii=False) for r in batch]
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
    try:
        return datetime.fromisoformat(json.loads(line)["started"])
    except (ValueError, KeyError, TypeError):
        return None


class TeeSink:
    """Several sinks at once (the database, and the JSON lines file for `tail -f`)."""

    def __init__(self, *sinks: CallRecordSink) -> None:
        self.sinks = sinks

    def write(self, record: CallRecord) -> None:
        for sink in self.sinks:
            sink.write(record)

    def close(self) -> None:
        for sink in self.sinks:
            sink.close()


class HashingSink:
    """Passes records on with the caller's number hashed (storage.privacy.CallerHasher): the
    database and calls.jsonl never see the number itself."""

    def __init__(self, inner: CallRecordSink, hasher: Callable[[str | None], str | None]) -> None:
        self.inner = inner
        self.hasher = hasher

    def write(self, record: CallRecord) -> None:
        self.inner.write(replace(record, caller=self.hasher(record.caller)))

    def close(self) -> None:
        self.inner.close()
