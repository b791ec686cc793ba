"""Calls that need a dialogue: the shared-area menu in early media, then a 302.

The platform never answers these calls: it sends `183 Session Progress` with an SDP answer,
plays the menu over RTP, listens for RFC 4733 keys, and ends the INVITE with a `302` to the
chosen municipality (or the area's default), so no media stays on the platform after the choice.
A caller who offers no G.711 audio gets the direct 302 to the area's default instead.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol, TypeVar

from veertien.call.answered import AnsweredLeg, OurMedia
from veertien.call.bridge import OutboundLeg, new_session_id
from veertien.call.port import PromptCache, RtpIvrPort, Understanding
from veertien.call.redirect import caller_of, masked, redirect_headers
from veertien.call.summary import phase_durations, phase_of, stages
from veertien.ivr.area import area_flow, department_flow
from veertien.ivr.flow import Flow, opening_prompts
from veertien.ivr.runner import EventKind, IvrEvent, Outcome, OutcomeKind, run_flow
from veertien.media.g711 import Law
from veertien.media.session import PacingStats, RtpSession
from veertien.records import CallRecord, CallRecordSink, Phase, Stage
from veertien.routing import CallFacts, RoutingContext, RoutingDecision, decide_municipality
from veertien.sip.core import IncomingAck, IncomingRequest, Output, SipCore
from veertien.sip.dialog import DialogId
from veertien.sip.sdp import (
    AudioChoice,
    SdpError,
    SessionDescription,
    answer,
    choose_audio,
    parse_sdp,
)
from veertien.sip.transaction import Deliver, Timeout, TxnKey
from veertien.speech.matcher import matcher_for_codes
from veertien.speech.policy import Policy
from veertien.speech.pool import Listener
from veertien.speech.synthesis import SynthesisError

log = logging.getLogger("veertien.call")


class SampleStore(Protocol):
    """Where kept utterances go (storage.samples.AudioSamples in the service)."""

    def save(self, code: str, utterances: Sequence[bytes], day: date) -> object: ...


Send = Callable[[list[Output]], None]
MAX_BRIDGE_S = 4 * 3600.0  # a bridged call is ended after four hours at the latest


@dataclass
class _Timing:
    first_us: float = 0.0  # INVITE → our first answer (183, or 200) handed over; 0 until then


@dataclass(frozen=True)
class _Call:
    event: IncomingRequest
    decision: RoutingDecision
    facts: CallFacts
    ctx: RoutingContext
    started: float
    offer: SessionDescription  # the caller's SDP, parsed once
    choice: AudioChoice  # the codec and DTMF type taken from it
    audio: list[bytes] = field(default_factory=list)  # utterances, for sampling where allowed
    timing: _Timing = field(default_factory=_Timing)


class DialogueManager:
    def __init__(
        self,
        core: SipCore,
        records: CallRecordSink,
        prompts: PromptCache,
        clock: Callable[[], float],
        media_host: str = "127.0.0.1",
    ) -> None:
        self.core = core
        self.records = records
        self.prompts = prompts
        self.listener: Listener | None = None  # set when speech is on (settings: speech)
        self.clock = clock
        self.media_host = media_host
        self.send: Send = lambda outputs: None
        self.contact = f"sip:veertien@{media_host}:5060"
        self.tasks: dict[TxnKey, asyncio.Task[None]] = {}
        self.legs: dict[DialogId, AnsweredLeg] = {}
        self.pacing = PacingStats()  # of all dialogues' RTP, for benchmarks and metrics
        self.outbound: list[OutboundLeg] = []  # our calls to municipalities, when bridging
        self.samples: SampleStore | None = None  # where kept utterances go (audio_sampling)
        self.saving: set[asyncio.Future[Any]] = set()  # samples being written (awaited at stop)

    def attach(self, send: Send, sip_address: tuple[str, int]) -> None:
        """Where outputs produced later (183, 302, REFER ...) go (the endpoint's dispatch), and
        the address our SIP listens on (for Contact and Via)."""
        self.send = send
        host = f"[{sip_address[0]}]" if ":" in sip_address[0] else sip_address[0]
        self.contact = f"sip:veertien@{host}:{sip_address[1]}"

    def in_dialog(self, event: IncomingRequest | IncomingAck) -> list[Output] | None:
        leg = next((g for g in self.legs.values() if g.dialog.matches(event.request)), None)
        if leg is None:
            outbound = next((o for o in self.outbound if o.matches(event.request)), None)
            if outbound is None:
                return None
            return [] if isinstance(event, IncomingAck) else outbound.on_request(event)
        if isinstance(event, IncomingAck):
            leg.on_ack()
            return []
        return leg.on_request(event)

    def client_event(self, event: Deliver | Timeout) -> bool:
        for outbound in self.outbound:
            if event.key in outbound.keys:
                if isinstance(event, Deliver):
                    outbound.on_response(event.key, event.response)
                return True
        for leg in self.legs.values():
            if leg.owns(event.key):
                if isinstance(event, Deliver):
                    leg.on_response(event.key, event.response)
                else:
                    leg.on_timeout(event.key)
                return True
        return False

    def start(
        self,
        event: IncomingRequest,
        decision: RoutingDecision,
        facts: CallFacts,
        ctx: RoutingContext,
        now: float,
    ) -> list[Output] | None:
        try:
            offer = parse_sdp(event.request.body)
            choice = choose_audio(offer)
        except SdpError as exc:
            log.info("call %s: no dialogue (%s); direct to the area's default", facts.dialled, exc)
            return None
        call = _Call(event, decision, facts, ctx, self.clock(), offer, choice)
        task = asyncio.get_running_loop().create_task(self._run(call))
        self.tasks[event.key] = task
        task.add_done_callback(lambda _: self.tasks.pop(event.key, None))
        return []

    async def stop(self) -> None:
        """Cancel every running dialogue and wait until each has written its record."""
        tasks = list(self.tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*self.saving, return_exceptions=True)
        if self.listener is not None:
            await asyncio.to_thread(self.listener.close)
            self.listener = None

    def cancelled(self, key: TxnKey) -> None:
        task = self.tasks.get(key)
        if task is not None:
            task.cancel()

    async def _run(self, call: _Call) -> None:
        choice = call.choice
        law = Law(choice.encoding)
        dtmf = int(choice.dtmf_payload_type) if choice.dtmf_payload_type else None
        session = RtpSession(law, dtmf, (choice.remote_address, choice.remote_port), self.pacing)
        events: list[IvrEvent] = []
        try:
            port = await session.open(self.media_host)
            session_id = str(int.from_bytes(os.urandom(4)))
            sdp = answer(call.offer, choice, (self.media_host, port), session_id)
            if _handover_of(call) != "302":
                await self._answered(call, session, sdp.to_bytes(), (port, session_id), events)
                return
            self._respond(call, 183, None, [("Content-Type", "application/sdp")], sdp.to_bytes())
            first_answer_us = call.timing.first_us = (self.clock() - call.started) * 1e6
            flow = self._flow(call)
            self.prompts.prefetch(opening_prompts(flow), law)
            outcome = await run_flow(flow, self._port(call, session), events, self.clock)
            self._finish(call, outcome, session, first_answer_us)
        except asyncio.CancelledError:
            # the caller's CANCEL (the core has answered 487), or the server stopping: then the
            # pending INVITE gets 503 (a no-op once a final response has gone)
            self._respond(call, 503, "Service Stopping")
            self._write(call, 487, "cancelled", _ended(events), call.timing.first_us)
        except (SynthesisError, OSError) as exc:
            log.error("call %s: dialogue failed: %s", call.facts.dialled, exc)
            self._respond(call, 500, "Dialogue Failed")
            self._write(call, 500, "failed", _ended(events), call.timing.first_us)
        except Exception:  # a bug must not leave the caller hanging: end the call, say why
            log.exception("call %s: dialogue failed", call.facts.dialled)
            self._respond(call, 500, "Dialogue Failed")
            self._write(call, 500, "failed", _ended(events), call.timing.first_us)
        finally:
            session.close()

    def _port(self, call: _Call, session: RtpSession) -> RtpIvrPort:
        understanding = None
        settings = call.ctx.settings
        if self._speech_on(call):
            matcher = matcher_for_codes(call.ctx.directory, call.decision.named_codes())
            names = sorted({n.text for n in matcher.names if n.kind != "place"})
            policy = Policy(**settings.speech_thresholds)
            understanding = Understanding(self.listener, matcher, names, policy, keep=call.audio)
        return RtpIvrPort(session, self.prompts, understanding)

    def _speech_on(self, call: _Call) -> bool:
        """Whether this call's dialogue listens for names: the setting, and recognisers up."""
        return call.ctx.settings.speech and self.listener is not None

    def _flow(self, call: _Call) -> Flow:
        if call.decision.departments:  # straight to one municipality: its departments' menu
            return department_flow(call.decision, call.ctx.settings.key_timeout_s)
        return area_flow(
            call.decision,
            lambda code: decide_municipality(code, call.facts, call.ctx),
            call.ctx.settings.key_timeout_s,
            speech=self._speech_on(call),
        )

    async def _answered(
        self,
        call: _Call,
        session: RtpSession,
        sdp: bytes,
        media: tuple[int, str],
        events: list[IvrEvent],
    ) -> None:
        """Answer, run the dialogue, then REFER the caller to the choice (or BYE). `media` is
        our RTP port and SDP session id."""
        port, session_id = media
        leg = AnsweredLeg(
            self.core,
            self.send,
            call.event,
            self.contact,
            OurMedia(self.media_host, port, session_id),
        )
        self.legs[leg.dialog.id] = leg
        try:
            first_us = call.timing.first_us = (self.clock() - call.started) * 1e6
            if not await leg.answer(sdp):
                self._write(call, 200, "no ACK", _ended(events), first_us)
                return
            flow = self._flow(call)
            self.prompts.prefetch(opening_prompts(flow), session.law)
            dialogue = run_flow(flow, self._port(call, session), events, self.clock)
            outcome = await _unless_hung_up(leg, dialogue)
            if outcome is None:
                ended = _ended(events)
                self._write(
                    call,
                    200,
                    "caller hung up",
                    ended,
                    first_us,
                    handover="refer",
                    phase=phase_of(ended.events).value,
                )
                return
            await self._hand_over(call, leg, session, outcome, first_us)
        except Exception:
            await leg.bye()  # never leave an answered caller on an open line
            raise
        finally:
            self.legs.pop(leg.dialog.id, None)

    async def _hand_over(
        self, call: _Call, leg: AnsweredLeg, session: RtpSession, outcome: Outcome, first_us: float
    ) -> None:
        if (
            outcome.kind is OutcomeKind.TRANSFER
            and outcome.target
            and (_handover_of(call) == "bridge")
        ):
            await self._bridge(call, leg, session, outcome, first_us)
            return
        if outcome.kind is OutcomeKind.TRANSFER and outcome.target:
            heard = session.heard_at
            key_ms = (self.clock() - heard) * 1000 if heard is not None else None
            status = await _unless_hung_up(leg, leg.refer(outcome.target))
            await leg.bye()
            if status is None:
                result, status, hung_up = "caller hung up", 200, Phase.TRANSFER.value
            else:
                ok = 200 <= status < 300
                result, hung_up = ("transferred" if ok else f"transfer failed ({status})"), None
            self._write(
                call,
                status,
                result,
                outcome,
                first_us,
                key_ms=key_ms,
                handover="refer",
                phase=hung_up,
                notes=tuple(leg.notes),
                reached=_handed_over(leg.referred, result),
            )
            return
        await leg.bye()
        self._write(
            call, 200, "announced", outcome, first_us, handover="refer", notes=tuple(leg.notes)
        )

    async def _bridge(
        self, call: _Call, leg: AnsweredLeg, session: RtpSession, outcome: Outcome, first_us: float
    ) -> None:
        """Call the municipality ourselves and relay the media until either side hangs up."""
        assert outcome.target is not None
        other = RtpSession(
            session.law,
            session.dtmf.payload_type if session.dtmf else None,
            ("127.0.0.1", 9),
            self.pacing,
        )
        port = await other.open(self.media_host)
        dtmf = session.dtmf.payload_type if session.dtmf else None
        outbound = OutboundLeg(
            self.core,
            self.send,
            self.contact,
            OurMedia(self.media_host, port, new_session_id()),
            (session.law.payload_type, session.law.value, dtmf),
        )
        self.outbound.append(outbound)
        try:
            caller = call.facts.caller or "anonymous"
            status = await outbound.call(outcome.target, caller)
            if 200 <= status < 300 and outbound.remote_media is not None:
                other.remote = outbound.remote_media
                session.relay, other.relay = other, session
                ends = [
                    asyncio.ensure_future(leg.ended.wait()),
                    asyncio.ensure_future(outbound.ended.wait()),
                ]
                await asyncio.wait(ends, timeout=MAX_BRIDGE_S, return_when=asyncio.FIRST_COMPLETED)
                for end in ends:
                    end.cancel()
            result = "bridged" if 200 <= status < 300 else f"bridge failed ({status})"
            await outbound.bye()
            await leg.bye()
            self._write(
                call,
                status,
                result,
                outcome,
                first_us,
                handover="bridge",
                notes=(("bridge", outcome.target), ("answered", str(status))),
                reached=_handed_over(True, result),
            )
        finally:
            other.close()
            self.outbound.remove(outbound)

    def _respond(
        self,
        call: _Call,
        status: int,
        reason: str | None,
        headers: list[tuple[str, str]] | None = None,
        body: bytes = b"",
    ) -> None:
        now = asyncio.get_running_loop().time()
        self.send(self.core.respond(call.event.key, status, reason, headers or [], body, now=now))

    def _finish(self, call: _Call, outcome: Outcome, session: RtpSession, first_us: float) -> None:
        if outcome.kind is OutcomeKind.TRANSFER and outcome.target:
            self._respond(
                call, 302, "Moved Temporarily", redirect_headers(outcome.target, call.facts.dialled)
            )
            heard = session.heard_at
            key_ms = (self.clock() - heard) * 1000 if heard is not None else None
            self._write(
                call, 302, "transferred", outcome, first_us, key_ms=key_ms,
                reached=(Stage.TRANSFERRED,),
            )  # fmt: skip
            return
        self._respond(call, 480, "Announcement Played")
        self._write(call, 480, "announced", outcome, first_us)

    @staticmethod
    def _dialogue(call: _Call, outcome: Outcome) -> tuple[tuple[str, str], ...]:
        """The dialogue for the record; what the caller said only where the municipality the call
        went to keeps transcripts (otherwise "[not kept]")."""
        code = outcome.municipality
        keep = code is not None and call.ctx.settings.for_municipality(code).keep_transcripts
        out, previous = [], None
        for event in outcome.events:
            said = event.kind is EventKind.SPEECH or (
                event.kind is EventKind.INVALID and previous is EventKind.SPEECH
            )
            out.append((event.kind.value, "[not kept]" if said and not keep else event.detail))
            previous = event.kind
        return tuple(out)

    def _write(
        self,
        call: _Call,
        status: int,
        result: str,
        outcome: Outcome,
        first_us: float,
        *,
        key_ms: float | None = None,
        handover: str = "302",
        phase: str | None = None,
        notes: tuple[tuple[str, str], ...] = (),
        reached: tuple[Stage, ...] = (),
    ) -> None:
        request, decision, events = call.event.request, call.decision, outcome.events
        if phase is None and result == "cancelled":
            phase = phase_of(events).value
        funnel = (*stages(events, speech=self._speech_on(call)), *reached)
        record = CallRecord(
            call_id=request.header("Call-ID") or "",
            started=call.facts.at.isoformat(timespec="milliseconds"),
            transport=call.event.peer.transport.value.lower(),
            peer=str(call.event.peer),
            dialled=call.facts.dialled,
            caller=caller_of(request.header("From"), request.header("P-Asserted-Identity")),
            decision=decision.kind.value,
            rule=decision.rule.value,
            reason=decision.reason,
            data_version=decision.data_version,
            municipality=outcome.municipality,
            target=outcome.target,
            response=status,
            outcome=result,
            pdd_us=round(first_us, 1),
            route=_route(events),
            dialogue=self._dialogue(call, outcome) + notes,
            phase=phase,
            handover=handover,
            duration_ms=round((self.clock() - call.started) * 1000, 1),
            key_to_transfer_ms=round(key_ms, 2) if key_ms is not None else None,
            area_code=decision.area_code,
            final_rule=_final_rule(call, outcome.municipality),
            stages=tuple(s.value for s in Stage if s in funnel),
            phase_ms=phase_durations(events),
        )
        self.records.write(record)
        self._sample(call, outcome.municipality)
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

    def _sample(self, call: _Call, code: str | None) -> None:
        """Keep the call's utterances where its municipality samples audio for tuning."""
        if self.samples is None or code is None or not call.audio:
            return
        share = call.ctx.settings.for_municipality(code).audio_sampling
        if share <= 0 or random.random() >= share:
            return
        saving = asyncio.ensure_future(
            asyncio.to_thread(self.samples.save, code, list(call.audio), call.facts.at.date())
        )
        self.saving.add(saving)
        saving.add_done_callback(self.saving.discard)
        saving.add_done_callback(_logged)


def _logged(done: asyncio.Future[Any]) -> None:
    if not done.cancelled() and done.exception() is not None:
        log.error("could not keep audio samples: %s", done.exception())


def _handover_of(call: _Call) -> str:
    """The hand-over for this call: with `handover: refer`, REFER when the caller allows it (no
    Allow header: assume so), else a media bridge; otherwise early media and a 302."""
    if call.ctx.settings.handover != "refer":
        return "302"
    allow = call.event.request.header("Allow")
    return "refer" if allow is None or "REFER" in allow.upper() else "bridge"


T = TypeVar("T")


async def _unless_hung_up(leg: AnsweredLeg, work: Coroutine[Any, Any, T]) -> T | None:
    """What `work` (the dialogue, a REFER) comes to, or None when the caller hangs up first."""
    task = asyncio.ensure_future(work)
    hangup = asyncio.ensure_future(leg.ended.wait())
    done, _ = await asyncio.wait({task, hangup}, return_when=asyncio.FIRST_COMPLETED)
    for pending in (task, hangup):
        if pending not in done:
            pending.cancel()
    return task.result() if task in done else None


def _route(events: Sequence[IvrEvent]) -> str:
    """ "keys" when the caller chose from the keypad menu, "speech" when a spoken name (perhaps
    confirmed with key 1) decided."""
    if any(e.kind is EventKind.KEY and not e.step.startswith("confirm") for e in events):
        return "keys"
    spoken = (EventKind.SPEECH, EventKind.HEARD)
    return "speech" if any(e.kind in spoken for e in events) else "keys"


def _ended(events: list[IvrEvent]) -> Outcome:
    """The outcome of a dialogue that stopped early (cancelled by the caller, or failed)."""
    return Outcome(OutcomeKind.HANGUP, None, None, tuple(events))


def _final_rule(call: _Call, municipality: str | None) -> str:
    """The rule behind where the call went: the chosen municipality's (closed, calamity, ...)
    when the caller chose one, else the call's own."""
    if municipality is None or call.decision.municipality == municipality:
        return call.decision.rule.value
    return decide_municipality(municipality, call.facts, call.ctx).rule.value


def _handed_over(accepted: bool, result: str) -> tuple[Stage, ...]:
    """Funnel stages of an answered call's hand-over: REFER accepted (or our INVITE sent), and
    whether the municipality answered, which REFER and bridge let the platform know."""
    if result == "caller hung up":  # during the transfer: whether it was answered is unknown
        return (Stage.TRANSFERRED,) if accepted else ()
    if not accepted:  # REFER refused: not handed over, and so not answered
        return (Stage.ANSWER_KNOWN,)
    if result in ("transferred", "bridged"):
        return (Stage.TRANSFERRED, Stage.ANSWER_KNOWN, Stage.ANSWERED)
    return (Stage.TRANSFERRED, Stage.ANSWER_KNOWN)
