"""Dialogue flows as data, validated when built.

A `Flow` is a set of named steps and a start. Each step names the steps that follow it, so a
flow is a small graph that can be checked before any caller meets it: every name must exist,
keys must be DTMF keys, and every path must end in a transfer or a hang-up.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from veertien.errors import InputError

KEYS = frozenset("0123456789*#")


class FlowError(InputError):
    """A flow is not valid; the text says which step and why."""


@dataclass(frozen=True, slots=True)
class Play:
    text: str
    next: str
    barge_in: bool = True


@dataclass(frozen=True, slots=True)
class Gather:
    """Say `prompt` and collect keys: pressed during the prompt or up to `timeout_s` after it,
    up to `max_digits` (or until #, or `inter_digit_s` without a key). The keys collected are
    looked up in `choices` ("1", or "4461" for a postcode)."""

    prompt: str
    choices: Mapping[str, str]  # keys → step
    on_timeout: str
    on_invalid: str
    timeout_s: float = 5.0
    barge_in: bool = True
    max_digits: int = 1
    inter_digit_s: float = 3.0
    speech: bool = False  # also listen for a spoken answer
    spoken: Mapping[str, str] = field(default_factory=dict)  # municipality → step, when sure
    confirm: Mapping[str, str] = field(default_factory=dict)  # municipality → step, when unsure


@dataclass(frozen=True, slots=True)
class Confirm:
    """Ask a yes/no question: 1 is yes, 2 is no (speech adds "ja"/"nee" later)."""

    question: str
    on_yes: str
    on_no: str
    on_timeout: str
    timeout_s: float = 5.0
    speech: bool = False  # "ja" / "nee" as well as 1 / 2


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
        return (
            *step.choices.values(),
            *step.spoken.values(),
            *step.confirm.values(),
            step.on_timeout,
            step.on_invalid,
        )
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
                bad = sorted(
                    c for c in step.choices if not c or set(c) - KEYS or len(c) > step.max_digits
                )
                if bad or not step.choices or step.max_digits < 1:
                    raise FlowError(
                        f"step {name!r}: choices must be at most {step.max_digits} "
                        f"DTMF keys, not {bad}"
                    )
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


_STEP_TYPES: dict[str, type[Step]] = {
    "play": Play,
    "gather": Gather,
    "confirm": Confirm,
    "announce": Announce,
    "transfer": Transfer,
    "hangup": Hangup,
}


def flow_from_json(data: Mapping[str, object]) -> Flow:
    """A flow from plain data: {"start": "menu", "steps": {"menu": {"type": "gather", ...}}}.
    Unknown types or fields, and every structural problem, raise `FlowError`."""
    steps_data = data.get("steps")
    if not isinstance(steps_data, Mapping) or not isinstance(data.get("start"), str):
        raise FlowError("a flow needs a start (text) and steps (an object)")
    steps: dict[str, Step] = {}
    for name, raw in steps_data.items():
        if not isinstance(raw, Mapping):
            raise FlowError(f"step {name!r} must be an object")
        fields = dict(raw)
        kind = _STEP_TYPES.get(str(fields.pop("type", "")))
        if kind is None:
            raise FlowError(f"step {name!r}: type must be one of {sorted(_STEP_TYPES)}")
        steps[str(name)] = _step(str(name), kind, fields)
    return Flow(str(data["start"]), steps)


def _step(name: str, kind: type[Step], values: Mapping[str, object]) -> Step:
    known = {f.name: f for f in dataclasses.fields(kind)}
    unknown = sorted(set(values) - set(known))
    missing = sorted(
        n
        for n, f in known.items()
        if n not in values
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    )
    if unknown or missing:
        raise FlowError(f"step {name!r}: unknown fields {unknown}, missing fields {missing}")
    return kind(**values)  # type: ignore[arg-type]


def opening_prompts(flow: Flow, steps: int = 2) -> list[str]:
    """The texts of the first `steps` prompts a caller will hear (to synthesise ahead)."""
    texts, name = [], flow.start
    for _ in range(steps):
        step = flow.steps.get(name)
        if isinstance(step, Play):
            texts.append(step.text)
            name = step.next
        elif isinstance(step, Gather):
            texts.append(step.prompt)
            break
        else:
            break
    return texts
