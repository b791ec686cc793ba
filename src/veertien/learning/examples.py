"""A learning example: one speech turn of a call, labelled with how the call came out.

Only turns whose outcome is known are examples: the call reached a municipality the caller
chose in the dialogue. No caller number (a hash, within the salt period, so that one caller
counts once) and no audio; the transcripts are kept only where the municipality the call went
to allows learning (`learn_from_calls`), with their own retention (`learning_retention_days`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any


class Label(Enum):
    """How the turn's call came out, seen from the turn."""

    ACCEPTED = "accepted"  # its leader was transferred to without a question
    CONFIRMED = "confirmed"  # "ja" (or key 1) to "Bedoelt u ...?" about its leader
    CHOSEN = "chosen"  # its leader picked from the two-name question
    CORRECTED = "corrected"  # its leader was not where the call went ("nee", then another)
    KEYED = "keyed"  # the caller chose by key after it


class How(Enum):
    """How the municipality the call went to was chosen in the end."""

    SPEECH = "speech"  # transferred on a name without a question
    CONFIRMED = "confirmed"
    CHOSEN = "chosen"
    KEYS = "keys"


TEACHING = frozenset({Label.CONFIRMED, Label.CHOSEN, Label.CORRECTED, Label.KEYED})
"""Labels that say something the recogniser did not already act on: a transfer without a
question (ACCEPTED) would only teach the learner what it already believed."""


@dataclass(frozen=True, slots=True)
class Candidate:
    municipality: str
    name: str  # its best-scoring name
    acoustic: float
    primed: float


@dataclass(frozen=True, slots=True)
class Turn:
    """One spoken name as the speech side judged it."""

    said: str  # the transcription made with the names as a prompt (or the first engine's)
    transcripts: tuple[tuple[str, str, float], ...]  # (engine, text, score), n-best per engine
    candidates: tuple[Candidate, ...]  # best first
    probability: float  # that the first is right
    action: str  # accept / confirm / choose / retry

    @property
    def leader(self) -> str | None:
        return self.candidates[0].municipality if self.candidates else None

    def to_json(self) -> dict[str, Any]:
        return {
            "said": self.said,
            "transcripts": [list(t) for t in self.transcripts],
            "candidates": [
                [c.municipality, c.name, round(c.acoustic, 4), round(c.primed, 4)]
                for c in self.candidates
            ],
            "probability": self.probability,
            "action": self.action,
        }


@dataclass(frozen=True, slots=True)
class Example:
    at_s: int  # Unix seconds
    area_code: str
    form: str  # what was said, folded (form_of)
    label: Label
    chosen: str  # the municipality the call went to
    caller: str | None  # hashed, or None (withheld)
    language: str
    learning_version: str  # the learned set the turn was judged with
    turn: Turn


def label_of(turn: Turn, chosen: str, how: How) -> Label:
    """The label of `turn` in a call that went to `chosen`, chosen in the end as `how`."""
    if how is How.KEYS:
        return Label.KEYED
    if turn.leader != chosen:
        return Label.CORRECTED
    return {How.SPEECH: Label.ACCEPTED, How.CONFIRMED: Label.CONFIRMED}.get(how, Label.CHOSEN)
