"""The call record: one per call, written through a `CallRecordSink`.

The service writes each record to the database (storage.calls.DatabaseSink) and appends it to
`calls.jsonl` in the data folder (records.journal), both from writer threads: the event loop
never waits on a disk or a database.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
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
    area_code: str | None = None  # the area code dialled (14 + area code, or its access number)
    final_rule: str | None = None  # the rule behind where the call went in the end
    stages: tuple[str, ...] = ()  # funnel stages reached (records.funnel.Stage values)
    phase_ms: tuple[tuple[str, float], ...] = ()  # (phase, ms): greeting, menu, recognition, ...
    municipality_name: str | None = None  # the municipality's name beside its CBS code
    organisation: str | None = None  # national number: the organisation the call went to
    language: str = "nl"  # the caller's language (chosen in the dialogue; Dutch by default)
    learning_version: str = "none"  # the learned set the call was heard with (veertien.learning)

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
