"""Dialogue flows as data, validated when built.

A `Flow` is a set of named steps and a start. Each step names the steps that follow it, so a
flow is a small graph that can be checked before any caller meets it: every name must exist,
keys must be DTMF keys, and every path must end in a transfer or a hang-up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

KEYS = frozenset("0123456789*#")


class FlowError(ValueError):
    """A flow is not valid; the text says which step and why."""


@dataclass(frozen=True, slots=True)
class Play:
    text: str
    next: str
    barge_in: bool = True


@dataclass(frozen=True, slots=True)
class Gather:
    """Say `prompt` and wait for a key (pressed during the prompt or up to `timeout_s` after)."""

    prompt: str
    choices: Mapping[str, str]  # key → step
    on_timeout: str
    on_invalid: str
    timeout_s: float = 5.0
    barge_in: bool = True


@dataclass(frozen=True, slots=True)
class Confirm:
    """Ask a yes/no question: 1 is yes, 2 is no (speech adds "ja"/"nee" later)."""

    question: str
    on_yes: str
    on_no: str
    on_timeout: str
    timeout_s: float = 5.0


@dataclass(frozen=True, slots=True)
class Announce:
    text: str
    next: str


@dataclass(frozen=True, slots=True)
class Transfer:
    target: str
    municipality: str | None = None
    text: str | None = None  # said before the hand-over, if set


@dataclass(frozen=True, slots=True)
class Hangup:
    reason: str = "end of dialogue"


Step = Play | Gather | Confirm | Announce | Transfer | Hangup


def _targets(step: Step) -> tuple[str, ...]:
    if isinstance(step, Play | Announce):
        return (step.next,)
    if isinstance(step, Gather):
        return (*step.choices.values(), step.on_timeout, step.on_invalid)
    if isinstance(step, Confirm):
        return (step.on_yes, step.on_no, step.on_timeout)
    return ()


@dataclass(frozen=True)
class Flow:
    start: str
    steps: Mapping[str, Step] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", MappingProxyType(dict(self.steps)))
        self._validate()

    def _validate(self) -> None:
        if self.start not in self.steps:
            raise FlowError(f"start step {self.start!r} does not exist")
        for name, step in self.steps.items():
            for target in _targets(step):
                if target not in self.steps:
                    raise FlowError(f"step {name!r} leads to unknown step {target!r}")
            if isinstance(step, Gather):
                bad = sorted(set(step.choices) - KEYS)
                if bad or not step.choices:
                    raise FlowError(f"step {name!r}: choices must be DTMF keys, not {bad}")
            if isinstance(step, Gather | Confirm) and step.timeout_s <= 0:
                raise FlowError(f"step {name!r}: timeout must be positive")
        self._check_ends()

    def _check_ends(self) -> None:
        """Every step must be able to reach a Transfer or a Hangup."""
        ending = {n for n, s in self.steps.items() if isinstance(s, Transfer | Hangup)}
        changed = True
        while changed:
            changed = False
            for name, step in self.steps.items():
                if name not in ending and any(t in ending for t in _targets(step)):
                    ending.add(name)
                    changed = True
        stuck = sorted(set(self.steps) - ending)
        if stuck:
            raise FlowError(f"steps {stuck} never reach a transfer or a hang-up")
