"""The record of a dialogue call: what was decided, said and pressed, how it ended, where
its caller hung up; and its utterances kept where the municipality samples audio."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Sequence
from typing import Any

from veertien.call.redirect import caller_of, masked, name_of
from veertien.call.state import DialogueCall, Handover, SampleStore, ended
from veertien.call.summary import phase_durations, phase_of, stages
from veertien.ivr.flow import ChoiceKind
from veertien.ivr.flow import Phase as StepPhase
from veertien.ivr.runner import EventKind, IvrEvent, Outcome, language_of
from veertien.records import CallRecord, CallRecordSink, Stage
from veertien.routing import decide_municipality, decide_organisation

log = logging.getLogger("veertien.call")


class Recorder:
    """Writes dialogue calls' records to `records`; `speech_on(call)` says whether names could
    be said in the call's dialogue."""

    def __init__(
        self,
        records: CallRecordSink,
        clock: Callable[[], float],
        speech_on: Callable[[DialogueCall], bool],
    ) -> None:
        self.records = records
        self.clock = clock
        self.speech_on = speech_on
        self.samples: SampleStore | None = None  # where kept utterances go (audio_sampling)
        self.saving: set[asyncio.Future[Any]] = set()  # samples being written (awaited at stop)
        # told when a dialogue starts (the database keeps it open until its record comes, so
        # that a node dying inside dialogues leaves a record of each; storage.calls)
        self.opened: Callable[[CallRecord], None] | None = None

    def open(self, call: DialogueCall) -> None:
        """A dialogue starts: its record as far as it is known now, to whom wants it."""
        if self.opened is not None:
            record = CallRecord(**self._common(call, 0, "started", ended([]), 0.0))
            self.opened(record)

    def write(
        self,
        call: DialogueCall,
        status: int,
        result: str,
        outcome: Outcome,
        first_us: float,
        *,
        key_ms: float | None = None,
        handover: Handover = Handover.EARLY_MEDIA,
        phase: str | None = None,
        notes: tuple[tuple[str, str], ...] = (),
        reached: tuple[Stage, ...] = (),
    ) -> None:
        events = outcome.events
        if phase is None and result == "cancelled":
            phase = phase_of(events).value
        funnel = (*stages(events, speech=self.speech_on(call)), *reached)
        record = CallRecord(
            **self._common(call, status, result, outcome, first_us),
            dialogue=_dialogue(call, outcome) + notes,
            phase=phase,
            handover=handover.value,
            key_to_transfer_ms=round(key_ms, 2) if key_ms is not None else None,
            stages=tuple(s.value for s in Stage if s in funnel),
        )
        self.records.write(record)
        self.sample(call, outcome.municipality)
        log.info(
            "call %s from %s %s → %d %s (dialogue: %s) %.0f ms",
            call.facts.dialled,
            masked(record.caller),
            call.event.peer,
            status,
            outcome.target or result,
            " ".join(f"{k}={d}" if k == "key" else k for k, d in record.dialogue),
            record.duration_ms or 0,
        )

    def _common(
        self, call: DialogueCall, status: int, result: str, outcome: Outcome, first_us: float
    ) -> dict[str, Any]:
        """The fields every dialogue record has, from the call and how it came out."""
        request, decision = call.event.request, call.decision
        return {
            "call_id": request.header("Call-ID") or "",
            "started": call.facts.at.isoformat(timespec="milliseconds"),
            "transport": call.event.peer.transport.value.lower(),
            "peer": str(call.event.peer),
            "dialled": call.facts.dialled,
            "caller": caller_of(request.header("From"), request.header("P-Asserted-Identity")),
            "decision": decision.kind.value,
            "rule": decision.rule.value,
            "reason": decision.reason,
            "data_version": decision.data_version,
            "municipality": outcome.municipality,
            "municipality_name": name_of(call.ctx, outcome.municipality),
            "target": outcome.target,
            "response": status,
            "outcome": result,
            "pdd_us": round(first_us, 1),
            "route": route_of(outcome.events),
            "duration_ms": round((self.clock() - call.started) * 1000, 1),
            "area_code": decision.area_code,
            "final_rule": _final_rule(call, outcome),
            "organisation": _organisation(outcome),
            "phase_ms": phase_durations(outcome.events),
            "language": language_of(outcome.events),
            "learning_version": call.learning,
        }

    def sample(self, call: DialogueCall, code: str | None) -> None:
        """Keep the call's utterances where its municipality samples audio for tuning."""
        if self.samples is None or code is None or not call.audio:
            return
        share = call.ctx.settings.for_municipality(code).privacy.audio_sampling
        if share <= 0 or random.random() >= share:
            return
        saving = asyncio.ensure_future(
            asyncio.to_thread(self.samples.save, code, list(call.audio), call.facts.at.date())
        )
        self.saving.add(saving)
        saving.add_done_callback(self.saving.discard)
        saving.add_done_callback(_logged)


def _dialogue(call: DialogueCall, outcome: Outcome) -> tuple[tuple[str, str], ...]:
    """The dialogue for the record; what the caller said only where the municipality the call
    went to keeps transcripts (otherwise "[not kept]")."""
    code = outcome.municipality
    keep = code is not None and call.ctx.settings.for_municipality(code).privacy.keep_transcripts
    out, previous = [], None
    for event in outcome.events:
        said = event.kind is EventKind.SPEECH or (
            event.kind is EventKind.INVALID and previous is EventKind.SPEECH
        )
        out.append((event.kind.value, "[not kept]" if said and not keep else event.detail))
        previous = event.kind
    return tuple(out)


def _logged(done: asyncio.Future[Any]) -> None:
    if not done.cancelled() and done.exception() is not None:
        log.error("could not keep audio samples: %s", done.exception())


def route_of(events: Sequence[IvrEvent]) -> str:
    """ "keys" when the caller chose from the keypad menu, "speech" when a spoken name (perhaps
    confirmed with key 1, or one of two close names picked by key) decided."""
    answering = (StepPhase.CONFIRM, StepPhase.CHOOSE)
    if any(e.kind is EventKind.KEY and e.phase not in answering for e in events):
        return "keys"
    spoken = (EventKind.SPEECH, EventKind.HEARD)
    return "speech" if any(e.kind in spoken for e in events) else "keys"


def _organisation(outcome: Outcome) -> str | None:
    choice = outcome.choice
    return choice.code if choice is not None and choice.kind is ChoiceKind.SERVICE else None


def _final_rule(call: DialogueCall, outcome: Outcome) -> str:
    """The rule behind where the call went: the chosen municipality's (closed, calamity, ...)
    when the caller chose one, an organisation's, else the call's own."""
    municipality, organisation = outcome.municipality, _organisation(outcome)
    if organisation is not None:
        return decide_organisation(organisation, call.ctx).rule.value
    if municipality is None or call.decision.municipality == municipality:
        return call.decision.rule.value
    return decide_municipality(municipality, call.facts, call.ctx).rule.value


def handed_over(accepted: bool, result: str) -> tuple[Stage, ...]:
    """Funnel stages of an answered call's hand-over: REFER accepted (or our INVITE sent), and
    whether the municipality answered, which REFER and bridge let the platform know."""
    if result == "caller hung up":  # during the transfer: whether it was answered is unknown
        return (Stage.TRANSFERRED,) if accepted else ()
    if not accepted:  # REFER refused: not handed over, and so not answered
        return (Stage.ANSWER_KNOWN,)
    if result in ("transferred", "bridged"):
        return (Stage.TRANSFERRED, Stage.ANSWER_KNOWN, Stage.ANSWERED)
    return (Stage.TRANSFERRED, Stage.ANSWER_KNOWN)
