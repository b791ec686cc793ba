"""Calls that need a dialogue: the shared-area menu in early media, then a 302.

This module runs the dialogue (`DialogueManager`); handover.py hands answered calls over
(REFER, bridge), recorder.py writes their records, state.py holds one call's state.

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

from veertien.call.answered import OurMedia
from veertien.call.handover import AnsweredHandover
from veertien.call.languages import Speakable
from veertien.call.learn import Learning, NoLearning, examples_of
from veertien.call.national import national_dialogue, national_understanding
from veertien.call.port import RtpIvrPort, Understanding
from veertien.call.prompts import PromptCache
from veertien.call.recorder import Recorder
from veertien.call.redirect import redirect_headers
from veertien.call.state import DialogueCall, Handover, SampleStore, ended
from veertien.ivr.area import AreaResolver, area_flow, department_flow, language_keys
from veertien.ivr.flow import Flow, opening_prompts
from veertien.ivr.runner import IvrEvent, Outcome, OutcomeKind, Resolver, run_flow
from veertien.media.g711 import Law
from veertien.media.session import PacingStats, RtpSession, bare_host
from veertien.records import CallRecordSink, Stage
from veertien.routing import (
    CallFacts,
    RoutingContext,
    RoutingDecision,
    Scope,
    decide_municipality,
)
from veertien.routing.languages import national_keys
from veertien.sip.core import AckTimeout, IncomingAck, IncomingRequest, Output, SipCore
from veertien.sip.sdp import SdpError, answer, choose_audio, parse_sdp
from veertien.sip.transaction import Deliver, Timeout, TxnKey
from veertien.sip.transport import RateLimitedLog
from veertien.sip.ua import LocalEndpoint, UserAgent
from veertien.speech.matcher import matcher_for_codes
from veertien.speech.policy import transcript_policy
from veertien.speech.pool import Listener
from veertien.speech.scoring import policy_from
from veertien.speech.synthesis import SynthesisError

log = logging.getLogger("veertien.call")
Send = Callable[[list[Output]], None]
SessionFactory = Callable[[Law, int | None, tuple[str, int], PacingStats], RtpSession]


def _loop_time() -> float:
    return asyncio.get_running_loop().time()


class DialogueManager:
    def __init__(
        self,
        core: SipCore,
        records: CallRecordSink,
        prompts: PromptCache,
        clock: Callable[[], float],
        media_host: str = "127.0.0.1",
        *,
        sessions: SessionFactory = RtpSession,
    ) -> None:
        self.core = core
        self.sessions = sessions  # makes a call's RTP session (a fake one in tests)
        self.prompts = prompts
        self.listener: Listener | None = None  # set when speech is on (settings: speech)
        self.clock = clock
        self.media_host = media_host
        self.ua = UserAgent(core, LocalEndpoint(media_host, 5060), _loop_time)
        self.tasks: dict[TxnKey, asyncio.Task[None]] = {}
        self.pacing = PacingStats()  # of all dialogues' RTP, for benchmarks and metrics
        # RTP refused from others than the caller, and not sent before the caller proved itself
        self.rtp_guard = {"refused": 0, "withheld": 0, "busy": 0}
        self.speakable = Speakable(prompts)  # offered languages: a voice, or recorded
        self.busy_log = RateLimitedLog(log)
        self.learning: Learning = NoLearning()  # learned aliases, and where examples go
        self.recorder = Recorder(records, clock, self._speech_on)
        self.answered = AnsweredHandover(self.ua, self.recorder, clock, self.pacing, media_host)

    @property
    def samples(self) -> SampleStore | None:
        return self.recorder.samples

    @samples.setter
    def samples(self, store: SampleStore | None) -> None:
        self.recorder.samples = store

    @property
    def send(self) -> Send:
        return self.ua.send

    def attach(self, send: Send, sip_address: tuple[str, int]) -> None:
        """Where outputs produced later (183, 302, REFER ...) go (the endpoint's dispatch), and
        the address our SIP listens on (for Contact and Via)."""
        self.ua.send = send
        self.ua.local = LocalEndpoint(sip_address[0], sip_address[1])

    def in_dialog(self, event: IncomingRequest | IncomingAck) -> list[Output] | None:
        """A request (or ACK) in one of our dialogs, found by its dialog id."""
        return self.ua.on_event(event)

    def client_event(self, event: Deliver | Timeout | AckTimeout) -> bool:
        """A response to one of our requests, or no ACK for our 2xx: the user agent's."""
        return self.ua.on_event(event) is not None

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
        if len(self.tasks) >= ctx.settings.platform.max_dialogues:
            return self._busy(event, facts.dialled, "all dialogues in use")
        call = DialogueCall(
            event, decision, facts, ctx, self.clock(), offer, choice, learning=self.learning.version
        )
        self.recorder.open(call)
        task = asyncio.get_running_loop().create_task(self._run(call))
        self.tasks[event.key] = task
        task.add_done_callback(lambda _: self.tasks.pop(event.key, None))
        return []

    def _busy(self, event: IncomingRequest, dialled: str, why: str) -> list[Output]:
        """503 with Retry-After: the node cannot take one more dialogue now (counted, logged at
        most a few lines a second)."""
        self.rtp_guard["busy"] += 1
        self.busy_log.warning("call %s: 503, %s", dialled, why)
        headers = [("Retry-After", "5")]
        return self.core.respond(event.key, 503, "Busy", headers, now=self.ua.clock())

    async def stop(self) -> None:
        """Cancel every running dialogue and wait until each has written its record."""
        tasks = list(self.tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*self.recorder.saving, return_exceptions=True)
        if self.listener is not None:
            await asyncio.to_thread(self.listener.close)
            self.listener = None

    def cancelled(self, key: TxnKey) -> None:
        task = self.tasks.get(key)
        if task is not None:
            task.cancel()

    async def _run(self, call: DialogueCall) -> None:
        choice = call.choice
        law = Law(choice.encoding)
        dtmf = int(choice.dtmf_payload_type) if choice.dtmf_payload_type else None
        session = self.sessions(law, dtmf, (choice.remote_address, choice.remote_port), self.pacing)
        # RTP only from the caller (its SIP source or SDP address), latched on its first packet;
        # our audio goes to an SDP address that is not the SIP source only once it has proven
        # itself there, so an INVITE cannot aim the prompts at somebody else.
        signalling = call.event.peer.host
        own = bare_host(choice.remote_address) == bare_host(signalling)
        session.trust({signalling, choice.remote_address}, send_unlatched=own)
        events: list[IvrEvent] = []
        try:
            port = await session.open(self.media_host)
        except OSError as exc:  # no RTP port to be had: busy, not broken
            self.send(self._busy(call.event, call.facts.dialled, f"no RTP port ({exc})"))
            self.recorder.write(call, 503, "busy", ended(events), 0.0)
            return
        try:
            session_id = str(int.from_bytes(os.urandom(4)))
            sdp = answer(call.offer, choice, (self.media_host, port), session_id)
            if call.handover is not Handover.EARLY_MEDIA:
                media = OurMedia(self.media_host, port, session_id)
                await self.answered.run(
                    call, session, sdp.to_bytes(), media, events, dialogue=self._dialogue
                )
                return
            self._respond(call, 183, None, [("Content-Type", "application/sdp")], sdp.to_bytes())
            first_answer_us = call.timing.first_us = (self.clock() - call.started) * 1e6
            outcome = await self._dialogue(call, session, events)
            self._finish(call, outcome, session, first_answer_us)
        except asyncio.CancelledError:
            # the caller's CANCEL (the core has answered 487), or the server stopping: then the
            # pending INVITE gets 503 (a no-op once a final response has gone)
            self._respond(call, 503, "Service Stopping")
            self.recorder.write(call, 487, "cancelled", ended(events), call.timing.first_us)
        except (SynthesisError, OSError) as exc:
            log.error("call %s: dialogue failed: %s", call.facts.dialled, exc)
            self._respond(call, 500, "Dialogue Failed")
            self.recorder.write(call, 500, "failed", ended(events), call.timing.first_us)
        except Exception:  # a bug must not leave the caller hanging: end the call, say why
            log.exception("call %s: dialogue failed", call.facts.dialled)
            self._respond(call, 500, "Dialogue Failed")
            self.recorder.write(call, 500, "failed", ended(events), call.timing.first_us)
        finally:
            session.close()
            self.rtp_guard["refused"] += session.refused
            self.rtp_guard["withheld"] += session.withheld
            if session.refused:
                log.warning(
                    "call %s: %d RTP packets from others than the caller refused",
                    call.facts.dialled, session.refused,
                )  # fmt: skip

    async def _dialogue(
        self, call: DialogueCall, session: RtpSession, events: list[IvrEvent]
    ) -> Outcome:
        """Run the call's dialogue over its RTP session, its prompts made ahead."""
        flow, resolver = self._flow(call, events)
        area = call.decision.area_code or ""
        self.prompts.prefetch(opening_prompts(flow), session.law, area)
        outcome = await run_flow(flow, self._port(call, session), events, self.clock, resolver)
        for example in examples_of(call, outcome, call.learning, int(call.facts.at.timestamp())):
            self.learning.add(example)
        return outcome

    def _port(self, call: DialogueCall, session: RtpSession) -> RtpIvrPort:
        understanding = None
        settings = call.ctx.settings.platform
        if self._speech_on(call) and call.decision.scope is Scope.NATIONAL:
            understanding = national_understanding(call, self.listener)
        elif self._speech_on(call):
            area = call.decision.area_code
            learned = self.learning.aliases(area) if area else ()
            matcher = matcher_for_codes(
                call.ctx.directory, call.decision.named_codes(), learned=learned
            )
            names = sorted({n.text for n in matcher.names if n.kind != "place"})
            thresholds = settings.speech_thresholds
            understanding = Understanding(
                self.listener, matcher, names, transcript_policy(thresholds), keep=call.audio,
                scored=policy_from(thresholds), turns=call.turns,
            )  # fmt: skip
        return RtpIvrPort(session, self.prompts, understanding, area=call.decision.area_code or "")

    def _speech_on(self, call: DialogueCall) -> bool:
        """Whether this call's dialogue listens for names: the setting, and recognisers up."""
        return call.ctx.settings.platform.speech and self.listener is not None

    def _flow(self, call: DialogueCall, events: list[IvrEvent]) -> tuple[Flow, Resolver]:
        """The dialogue for this call and what resolves its choices at run time."""
        if call.decision.scope is Scope.NATIONAL:
            keys = national_keys(self._speakable(call))
            return national_dialogue(call, events, speech=self._speech_on(call), languages=keys)
        settings = call.ctx.settings.platform
        resolver = AreaResolver(
            call.decision,
            lambda code: decide_municipality(code, call.facts, call.ctx),
            settings.key_timeout_s,
        )
        if call.decision.departments:  # straight to one municipality: its departments' menu
            return department_flow(call.decision, settings.key_timeout_s), resolver
        flow = area_flow(
            call.decision, settings.key_timeout_s, speech=self._speech_on(call),
            languages=self._languages(call),
        )  # fmt: skip
        return flow, resolver

    def _languages(self, call: DialogueCall) -> dict[str, str]:
        """The languages offered in this area (key → language) that can be spoken here and
        whose key is free in its menu."""
        return language_keys(call.decision, self._speakable(call))

    def _speakable(self, call: DialogueCall) -> dict[str, str]:
        """The offer (language → key) for this call's area that can be spoken here: a voice,
        or every sentence recorded (call.languages)."""
        return self.speakable.offer(call, speech=self._speech_on(call))

    def _respond(
        self,
        call: DialogueCall,
        status: int,
        reason: str | None,
        headers: list[tuple[str, str]] | None = None,
        body: bytes = b"",
    ) -> None:
        now = self.ua.clock()
        self.send(self.core.respond(call.event.key, status, reason, headers or [], body, now=now))

    def _finish(
        self, call: DialogueCall, outcome: Outcome, session: RtpSession, first_us: float
    ) -> None:
        if outcome.kind is OutcomeKind.TRANSFER and outcome.target:
            self._respond(
                call, 302, "Moved Temporarily", redirect_headers(outcome.target, call.facts.dialled)
            )
            heard = session.heard_at
            key_ms = (self.clock() - heard) * 1000 if heard is not None else None
            self.recorder.write(
                call, 302, "transferred", outcome, first_us, key_ms=key_ms,
                reached=(Stage.TRANSFERRED,),
            )  # fmt: skip
            return
        self._respond(call, 480, "Announcement Played")
        self.recorder.write(call, 480, "announced", outcome, first_us)
