"""One dialogue call's state, and how it will be handed over."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Protocol

from veertien.ivr.runner import IvrEvent, Outcome, OutcomeKind
from veertien.learning.aliases import NONE_LEARNED
from veertien.learning.examples import Turn
from veertien.platform import HandoverMode
from veertien.routing import CallFacts, RoutingContext, RoutingDecision
from veertien.sip.core import IncomingRequest
from veertien.sip.sdp import AudioChoice, SessionDescription


class Handover(Enum):
    """How a call leaves the platform once the caller has chosen (the call record's value)."""

    EARLY_MEDIA = "302"  # never answered: the menu in early media, then a 302
    REFER = "refer"  # answered, then REFER (RFC 3515)
    BRIDGE = "bridge"  # answered, we call the municipality and relay the media


class SampleStore(Protocol):
    """Where kept utterances go (storage.samples.AudioSamples in the service)."""

    def save(self, code: str, utterances: Sequence[bytes], day: date) -> object: ...


@dataclass
class Timing:
    first_us: float = 0.0  # INVITE → our first answer (183, or 200) handed over; 0 until then


@dataclass(frozen=True)
class DialogueCall:
    event: IncomingRequest
    decision: RoutingDecision
    facts: CallFacts
    ctx: RoutingContext
    started: float
    offer: SessionDescription  # the caller's SDP, parsed once
    choice: AudioChoice  # the codec and DTMF type taken from it
    audio: list[bytes] = field(default_factory=list)  # utterances, for sampling where allowed
    turns: list[Turn] = field(default_factory=list)  # names heard, for learning where allowed
    timing: Timing = field(default_factory=Timing)
    learning: str = NONE_LEARNED  # the version of the learned set this call is heard with

    @property
    def handover(self) -> Handover:
        """With `handover: refer`, REFER when the caller allows it (no Allow header: assume
        so), else a media bridge; otherwise early media and a 302."""
        if self.ctx.settings.platform.handover is not HandoverMode.REFER:
            return Handover.EARLY_MEDIA
        allow = self.event.request.header("Allow")
        return Handover.REFER if allow is None or "REFER" in allow.upper() else Handover.BRIDGE


def ended(events: list[IvrEvent]) -> Outcome:
    """The outcome of a dialogue that stopped early (cancelled by the caller, or failed)."""
    return Outcome(OutcomeKind.HANGUP, None, None, tuple(events))
