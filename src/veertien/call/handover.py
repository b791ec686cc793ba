"""Handing an answered call over: answer, run the dialogue, then REFER the caller to the choice
(RFC 3515) or, for a caller that cannot take a REFER, call the municipality ourselves and relay
the media (bridge). The early-media path (a 302 after the menu) is in dialogue.py."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from veertien.call.answered import AnsweredLeg, OurMedia
from veertien.call.bridge import OutboundLeg, new_session_id
from veertien.call.recorder import Recorder, handed_over
from veertien.call.state import DialogueCall, Handover, ended
from veertien.call.summary import phase_of
from veertien.ivr.runner import IvrEvent, Outcome, OutcomeKind
from veertien.media.session import PacingStats, RtpSession
from veertien.records import Phase
from veertien.sip.ua import UserAgent

log = logging.getLogger("veertien.call")
MAX_BRIDGE_S = 4 * 3600.0  # a bridged call is ended after four hours at the latest
T = TypeVar("T")
Dialogue = Callable[[DialogueCall, RtpSession, list[IvrEvent]], Coroutine[Any, Any, Outcome]]


class AnsweredHandover:
    """REFER and bridge hand-overs over the user agent `ua`; `dialogue` runs a call's flow."""

    def __init__(
        self,
        ua: UserAgent,
        recorder: Recorder,
        clock: Callable[[], float],
        pacing: PacingStats,
        media_host: str,
    ) -> None:
        self.ua = ua
        self.recorder = recorder
        self.clock = clock
        self.pacing = pacing
        self.media_host = media_host

    async def run(
        self,
        call: DialogueCall,
        session: RtpSession,
        sdp: bytes,
        media: OurMedia,
        events: list[IvrEvent],
        *,
        dialogue: Dialogue,
    ) -> None:
        """Answer, run the dialogue, then REFER the caller to the choice (or BYE)."""
        leg = AnsweredLeg(self.ua, call.event, media)
        write = self.recorder.write
        try:
            first_us = call.timing.first_us = (self.clock() - call.started) * 1e6
            if not await leg.answer(sdp):
                write(call, 200, "no ACK", ended(events), first_us)
                return
            outcome = await unless_hung_up(leg, dialogue(call, session, events))
            if outcome is None:
                gone = ended(events)
                phase = phase_of(gone.events).value
                write(
                    call,
                    200,
                    "caller hung up",
                    gone,
                    first_us,
                    handover=Handover.REFER,
                    phase=phase,
                )
                return
            await self._hand_over(_Answered(call, leg, session, first_us), outcome)
        except Exception:
            await leg.bye()  # never leave an answered caller on an open line
            raise
        finally:
            leg.close()

    async def _hand_over(self, answered: _Answered, outcome: Outcome) -> None:
        transfer = outcome.kind is OutcomeKind.TRANSFER and outcome.target
        if transfer and answered.call.handover is Handover.BRIDGE:
            await self._bridge(answered, outcome)
        elif transfer:
            await self._refer(answered, outcome)
        else:
            await answered.leg.bye()
            self.recorder.write(
                answered.call, 200, "announced", outcome, answered.first_us,
                handover=Handover.REFER, notes=tuple(answered.leg.notes),
            )  # fmt: skip

    async def _refer(self, answered: _Answered, outcome: Outcome) -> None:
        assert outcome.target is not None
        call, leg, heard = answered.call, answered.leg, answered.session.heard_at
        key_ms = (self.clock() - heard) * 1000 if heard is not None else None
        status = await unless_hung_up(leg, leg.refer(outcome.target))
        await leg.bye()
        if status is None:
            result, status, hung_up = "caller hung up", 200, Phase.TRANSFER.value
        else:
            ok = 200 <= status < 300
            result, hung_up = ("transferred" if ok else f"transfer failed ({status})"), None
        self.recorder.write(
            call, status, result, outcome, answered.first_us, key_ms=key_ms,
            handover=Handover.REFER, phase=hung_up, notes=tuple(leg.notes),
            reached=handed_over(leg.referred, result),
        )  # fmt: skip

    async def _bridge(self, answered: _Answered, outcome: Outcome) -> None:
        """Call the municipality ourselves and relay the media until either side hangs up."""
        assert outcome.target is not None
        call, leg, session = answered.call, answered.leg, answered.session
        dtmf = session.dtmf.payload_type if session.dtmf else None
        other = RtpSession(session.law, dtmf, ("127.0.0.1", 9), self.pacing)
        port = await other.open(self.media_host)
        outbound = OutboundLeg(
            self.ua,
            OurMedia(self.media_host, port, new_session_id()),
            (str(session.law.payload_type), session.law.value, str(dtmf) if dtmf else None),
        )
        try:
            status = await outbound.call(outcome.target, call.facts.caller or "anonymous")
            if 200 <= status < 300 and outbound.remote_media is not None:
                other.remote = outbound.remote_media
                other.trust({other.remote[0]}, send_unlatched=True)  # the destination we chose
                session.relay, other.relay = other, session
                await _first_to_end(leg.ended, outbound.ended)
            result = "bridged" if 200 <= status < 300 else f"bridge failed ({status})"
            await outbound.bye()
            await leg.bye()
            self.recorder.write(
                call, status, result, outcome, answered.first_us, handover=Handover.BRIDGE,
                notes=(("bridge", outcome.target), ("answered", str(status))),
                reached=handed_over(True, result),
            )  # fmt: skip
        finally:
            other.close()
            outbound.close()


@dataclass(frozen=True, slots=True)
class _Answered:
    """An answered call whose dialogue is over: what the hand-over works with."""

    call: DialogueCall
    leg: AnsweredLeg
    session: RtpSession
    first_us: float


async def _first_to_end(*events: asyncio.Event) -> None:
    """Until one of `events` is set (one side hung up), at most `MAX_BRIDGE_S`."""
    ends = [asyncio.ensure_future(e.wait()) for e in events]
    await asyncio.wait(ends, timeout=MAX_BRIDGE_S, return_when=asyncio.FIRST_COMPLETED)
    for end in ends:
        end.cancel()


async def unless_hung_up(leg: AnsweredLeg, work: Coroutine[Any, Any, T]) -> T | None:
    """What `work` (the dialogue, a REFER) comes to, or None when the caller hangs up first."""
    task = asyncio.ensure_future(work)
    hangup = asyncio.ensure_future(leg.ended.wait())
    done, _ = await asyncio.wait({task, hangup}, return_when=asyncio.FIRST_COMPLETED)
    for pending in (task, hangup):
        if pending not in done:
            pending.cancel()
    return task.result() if task in done else None
