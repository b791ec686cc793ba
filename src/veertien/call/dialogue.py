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
from collections.abc import Callable
from dataclasses import dataclass

from veertien.call.records import CallRecord, CallRecordSink
from veertien.call.redirect import caller_of, redirect_headers
from veertien.ivr.area import area_flow
from veertien.ivr.runner import EventKind, IvrEvent, Outcome, OutcomeKind, run_flow
from veertien.media.g711 import Law, encode, silence
from veertien.media.session import RtpSession
from veertien.routing import CallFacts, RoutingContext, RoutingDecision, decide_municipality
from veertien.sip.core import IncomingRequest, Output, SipCore
from veertien.sip.sdp import SdpError, answer, choose_audio, parse_sdp
from veertien.sip.transaction import TxnKey
from veertien.speech.synthesis import Synthesiser, SynthesisError

log = logging.getLogger("veertien.call")
Send = Callable[[list[Output]], None]


class PromptCache:
    """Prompt audio per (law, text): synthesised once (off the event loop), then from memory."""

    def __init__(self, synthesiser: Synthesiser) -> None:
        self.synthesiser = synthesiser
        self._audio: dict[tuple[Law, str], bytes] = {}

    async def audio(self, text: str, law: Law) -> bytes:
        found = self._audio.get((law, text))
        if found is None:
            pcm = await asyncio.to_thread(self.synthesiser.render, text)
            found = encode(pcm, law) + silence(law, 1600)  # 200 ms to breathe after it
            self._audio[(law, text)] = found
        return found


class RtpIvrPort:
    """The IVR's media port on an RTP session."""

    def __init__(self, session: RtpSession, prompts: PromptCache) -> None:
        self.session = session
        self.prompts = prompts

    async def say(self, text: str, barge_in: bool) -> bool:
        return await self.session.play(await self.prompts.audio(text, self.session.law), barge_in)

    async def key(self, timeout: float) -> str | None:
        return await self.session.key(timeout)


@dataclass(frozen=True)
class _Call:
    event: IncomingRequest
    decision: RoutingDecision
    facts: CallFacts
    ctx: RoutingContext
    started: float


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
        self.clock = clock
        self.media_host = media_host
        self.send: Send = lambda outputs: None
        self.tasks: dict[TxnKey, asyncio.Task[None]] = {}

    def attach(self, send: Send) -> None:
        """Where outputs produced later (183, 302, ...) go: the endpoint's dispatch."""
        self.send = send

    def start(
        self,
        event: IncomingRequest,
        decision: RoutingDecision,
        facts: CallFacts,
        ctx: RoutingContext,
        now: float,
    ) -> list[Output] | None:
        try:
            choose_audio(parse_sdp(event.request.body))
        except SdpError as exc:
            log.info("call %s: no dialogue (%s); direct to the area's default", facts.dialled, exc)
            return None
        call = _Call(event, decision, facts, ctx, self.clock())
        task = asyncio.get_running_loop().create_task(self._run(call))
        self.tasks[event.key] = task
        task.add_done_callback(lambda _: self.tasks.pop(event.key, None))
        return []

    def cancelled(self, key: TxnKey) -> None:
        task = self.tasks.get(key)
        if task is not None:
            task.cancel()

    async def _run(self, call: _Call) -> None:
        choice = choose_audio(parse_sdp(call.event.request.body))
        law = Law(choice.encoding)
        dtmf = int(choice.dtmf_payload_type) if choice.dtmf_payload_type else None
        session = RtpSession(law, dtmf, (choice.remote_address, choice.remote_port))
        events: list[IvrEvent] = []
        try:
            port = await session.open(self.media_host)
            offer = parse_sdp(call.event.request.body)
            sdp = answer(offer, choice, self.media_host, port, str(int.from_bytes(os.urandom(4))))
            self._respond(call, 183, None, [("Content-Type", "application/sdp")], sdp.to_bytes())
            first_answer_us = (self.clock() - call.started) * 1e6
            flow = area_flow(
                call.decision,
                lambda code: decide_municipality(code, call.facts, call.ctx),
                call.ctx.settings.key_timeout_s,
            )
            outcome = await run_flow(flow, _Recording(RtpIvrPort(session, self.prompts), events))
            self._finish(call, outcome, session, first_answer_us)
        except asyncio.CancelledError:
            self._write(call, 487, "cancelled", _ended(events), 0.0)
        except (SynthesisError, OSError) as exc:
            log.error("call %s: dialogue failed: %s", call.facts.dialled, exc)
            self._respond(call, 500, "Dialogue Failed")
            self._write(call, 500, "failed", _ended(events), 0.0)
        finally:
            session.close()

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
            self._write(call, 302, "transferred", outcome, first_us, key_ms=key_ms)
            return
        self._respond(call, 480, "Announcement Played")
        self._write(call, 480, "announced", outcome, first_us)

    def _write(
        self,
        call: _Call,
        status: int,
        result: str,
        outcome: Outcome,
        first_us: float,
        *,
        key_ms: float | None = None,
    ) -> None:
        request, decision, events = call.event.request, call.decision, outcome.events
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
            route="keys",
            dialogue=tuple((e.kind.value, e.detail) for e in events),
            phase=_phase(events) if result == "cancelled" else None,
            duration_ms=round((self.clock() - call.started) * 1000, 1),
            key_to_transfer_ms=round(key_ms, 2) if key_ms is not None else None,
        )
        self.records.write(record)
        log.info(
            "call %s from %s %s → %d %s (dialogue: %s) %.0f ms",
            call.facts.dialled,
            record.caller or "anonymous",
            call.event.peer,
            status,
            outcome.target or result,
            " ".join(f"{k}={d}" if k == "key" else k for k, d in record.dialogue),
            record.duration_ms or 0,
        )


def _ended(events: list[IvrEvent]) -> Outcome:
    """The outcome of a dialogue that stopped early (cancelled by the caller, or failed)."""
    return Outcome(OutcomeKind.HANGUP, None, None, tuple(events))


class _Recording:
    """Passes through to the port and keeps the runner's progress for a cancelled call."""

    def __init__(self, port: RtpIvrPort, events: list[IvrEvent]) -> None:
        self.port = port
        self.events = events

    async def say(self, text: str, barge_in: bool) -> bool:
        self.events.append(IvrEvent(EventKind.PROMPT, "", text))
        return await self.port.say(text, barge_in)

    async def key(self, timeout: float) -> str | None:
        found = await self.port.key(timeout)
        self.events.append(IvrEvent(EventKind.KEY if found else EventKind.TIMEOUT, "", found or ""))
        return found


def _phase(events: tuple[IvrEvent, ...]) -> str:
    """Where the caller was when they hung up: before the greeting, in the menu, or listening
    to an announcement."""
    prompts = [e for e in events if e.kind is EventKind.PROMPT]
    if not prompts:
        return "greeting"
    return "menu" if "toets" in prompts[-1].detail else "announcement"
