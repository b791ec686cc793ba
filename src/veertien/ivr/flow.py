"""Dialogue flows as data, validated when built.

A `Flow` is a set of named steps and a start. Each step names the steps that follow it, so a
flow is a small graph that can be checked before any caller meets it: every name must exist,
keys must be DTMF keys, and every path must end in a transfer, a hang-up or a `Route`.

Each step has a `Phase`: what part of the dialogue it is (greeting, menu, confirmation, ...).
The funnel and the call record read phases, never step names. What the caller chose is a typed
`Choice`; a `Route` step's continuation is resolved at run time from that choice (by the
runner's `Resolver`), so a dialogue over every municipality is not built step by step ahead.
What a step says is `Spoken`: messages from the prompt catalogue (ivr.prompts), or plain text
where a person wrote it (a flow from JSON, a municipality's own message).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType

from veertien.errors import InputError
from veertien.ivr.prompts import DEFAULT_LANGUAGE, PROMPTS, Piece
from veertien.routing import Message
from veertien.routing.languages import LANGUAGES

KEYS = frozenset("0123456789*#")
DIGITS = "digits"  # in a Gather's `among`: only spoken digits count (a postcode said)
Spoken = str | tuple[Message, ...]  # plain text, or messages from the prompt catalogue


class Phase(Enum):
    """What part of the dialogue a step is."""

    GREETING = "greeting"
    MENU = "menu"  # the first question: a key, or a name
    REPEAT = "repeat"  # asked again after no or an unclear answer
    KEYPAD = "keypad"  # speech did not work out: the keypad menu
    CONFIRM = "confirm"  # "Bedoelt u ...?"
    CHOOSE = "choose"  # "Bedoelt u Amsterdam of Amstelveen?"
    DEPARTMENTS = "departments"  # a municipality's department menu
    ANNOUNCEMENT = "announcement"  # a message, then the end
    ROUTE = "route"  # where the choice leads, decided at run time
    TRANSFER = "transfer"
    DEFAULT = "default"  # nobody was chosen: the transfer to the area's default desk
    NARROW = "narrow"  # national: "In welke provincie?" for a name in several provinces
    POSTCODE = "postcode"  # national: the postcode asked
    END = "end"


MENU_PHASES = frozenset({Phase.MENU, Phase.REPEAT, Phase.KEYPAD})
QUESTION_PHASES = MENU_PHASES | {Phase.CONFIRM, Phase.CHOOSE, Phase.NARROW, Phase.POSTCODE}


class ChoiceKind(Enum):
    """What a caller can choose; the national number adds places, postcodes and services."""

    MUNICIPALITY = "municipality"
    PLACE = "place"
    POSTCODE = "postcode"
    SERVICE = "service"
    DEPARTMENT = "department"


@dataclass(frozen=True, slots=True)
class Choice:
    """What the caller chose (by key or by name): a municipality's CBS code and its name, say."""

    kind: ChoiceKind
    code: str
    name: str


class FlowError(InputError):
    """A flow is not valid; the text says which step and why."""


@dataclass(frozen=True, slots=True)
class Play:
    text: Spoken
    next: str
    barge_in: bool = True
    phase: Phase = Phase.GREETING
    language: str | None = None  # spoken in this language (an offer of it), not the call's


@dataclass(frozen=True, slots=True)
class Gather:
    """Say `prompt` and collect keys: pressed during the prompt or up to `timeout_s` after it,
    up to `max_digits` (or until #, or `inter_digit_s` without a key). The keys collected are
    looked up in `choices` ("1", or "4461" for a postcode: the next step) and in `keyed` (a
    municipality's code: the caller's choice, and on to `on_chosen`). With `speech`, a name
    the recogniser is sure of is the choice (on to `on_chosen`); one it is unsure of goes to
    `on_unsure` (a confirmation) with the choice pending. With `lookup`, keys that are neither
    go to the resolver as a code (a postcode's four digits); `among` limits what a spoken
    answer is understood as to these codes (the provinces of "In welke provincie?")."""

    prompt: Spoken
    choices: Mapping[str, str]  # keys → step
    on_timeout: str
    on_invalid: str
    timeout_s: float = 5.0
    barge_in: bool = True
    max_digits: int = 1
    inter_digit_s: float = 3.0
    speech: bool = False  # also listen for a spoken answer
    keyed: Mapping[str, str] = field(default_factory=dict)  # keys → municipality code
    on_chosen: str | None = None  # where a choice (by key or by a sure name) goes
    on_unsure: str | None = None  # where an unsure name goes (a Confirm), with the choice
    phase: Phase = Phase.MENU
    on_choose: str | None = None  # where two close names go (a Between), with both pending
    lookup: bool = False  # other keys are a code for the resolver (a postcode)
    among: tuple[str, ...] = ()  # a spoken answer is one of these codes (empty: any)
    languages: Mapping[str, str] = field(default_factory=dict)  # key → the call's new language


@dataclass(frozen=True, slots=True)
class Confirm:
    """Ask a yes/no question: 1 is yes, 2 is no (with `speech` also "ja" / "nee"). The
    question's messages get the pending choice's name as their `name` unless they set one."""

    question: Spoken
    on_yes: str
    on_no: str
    on_timeout: str
    timeout_s: float = 5.0
    speech: bool = False  # "ja" / "nee" as well as 1 / 2
    phase: Phase = Phase.CONFIRM


@dataclass(frozen=True, slots=True)
class Between:
    """Ask which of two close names the caller meant: key 1 is the first, 2 the second (with
    `speech` also one of the names said again). The question's messages get the pending pair
    as `first` and `second`. A choice goes on to `on_chosen`; anything else to `on_none`."""

    question: Spoken
    on_chosen: str
    on_none: str
    on_timeout: str
    timeout_s: float = 5.0
    speech: bool = False
    phase: Phase = Phase.CHOOSE


@dataclass(frozen=True, slots=True)
class Announce:
    text: Spoken
    next: str
    phase: Phase = Phase.ANNOUNCEMENT


@dataclass(frozen=True, slots=True)
class Transfer:
    target: str
    municipality: str | None = None
    text: Spoken = ""  # said before the hand-over, if set
    phase: Phase = Phase.TRANSFER


@dataclass(frozen=True, slots=True)
class Hangup:
    reason: str = "end of dialogue"
    phase: Phase = Phase.END


@dataclass(frozen=True, slots=True)
class Route:
    """Go where the caller's choice leads: the runner's resolver gives the flow that follows
    (a transfer, an announcement, a department menu)."""

    phase: Phase = Phase.ROUTE


@dataclass(frozen=True, slots=True)
class Fallback:
    """Where a caller goes when no choice was made: the runner's resolver gives the flow (the
    area's default desk), told which choices the caller refused, so that a caller who said
    "nee" to a municipality is never sent there as the default."""

    phase: Phase = Phase.TRANSFER


Step = Play | Gather | Confirm | Between | Announce | Transfer | Hangup | Route | Fallback


def _targets(step: Step) -> tuple[str, ...]:
    if isinstance(step, Play | Announce):
        return (step.next,)
    if isinstance(step, Gather):
        chosen = (step.on_chosen,) if step.on_chosen is not None else ()
        unsure = tuple(t for t in (step.on_unsure, step.on_choose) if t is not None)
        return (*step.choices.values(), *chosen, *unsure, step.on_timeout, step.on_invalid)
    if isinstance(step, Confirm):
        return (step.on_yes, step.on_no, step.on_timeout)
    if isinstance(step, Between):
        return (step.on_chosen, step.on_none, step.on_timeout)
    return ()


@dataclass(frozen=True)
class Flow:
    start: str
    steps: Mapping[str, Step] = field(default_factory=dict)
    language: str = DEFAULT_LANGUAGE  # of the prompts (ivr.prompts)

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
                self._check_languages(name, step)
                keys = {**step.choices, **step.keyed}
                bad = sorted(c for c in keys if not c or set(c) - KEYS or len(c) > step.max_digits)
                if step.keyed and step.on_chosen is None:
                    raise FlowError(f"step {name!r}: keys that choose need an on_chosen step")
                if (step.speech or step.lookup) and step.on_chosen is None:
                    raise FlowError(f"step {name!r}: listening for names needs an on_chosen step")
                if bad or not (keys or step.lookup) or step.max_digits < 1:
                    raise FlowError(
                        f"step {name!r}: choices must be at most {step.max_digits} "
                        f"DTMF keys, not {bad}"
                    )
            if isinstance(step, Gather | Confirm | Between) and step.timeout_s <= 0:
                raise FlowError(f"step {name!r}: timeout must be positive")
        self._check_ends()

    @staticmethod
    def _check_languages(name: str, step: Gather) -> None:
        taken = set(step.choices) | set(step.keyed)
        for key, language in step.languages.items():
            if key in taken or len(key) != 1 or key not in KEYS:
                raise FlowError(f"step {name!r}: language key {key!r} is not a free DTMF key")
            if language not in LANGUAGES:
                raise FlowError(f"step {name!r}: {language!r} is not one of {list(LANGUAGES)}")

    def _check_ends(self) -> None:
        """Every step must be able to reach a Transfer or a Hangup."""
        ending = {
            n for n, s in self.steps.items() if isinstance(s, Transfer | Hangup | Route | Fallback)
        }
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
    "route": Route,
    "fallback": Fallback,
    "play": Play,
    "gather": Gather,
    "confirm": Confirm,
    "between": Between,
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
    values = dict(values)
    if "phase" in values:
        try:
            values["phase"] = Phase(values["phase"])
        except ValueError:
            names = sorted(p.value for p in Phase)
            raise FlowError(f"step {name!r}: phase must be one of {names}") from None
    return kind(**values)  # type: ignore[arg-type]


def opening_prompts(flow: Flow, steps: int = 2) -> list[tuple[str, tuple[Piece, ...]]]:
    """The first `steps` prompts a caller will hear, each its language and sentences (to make
    ahead)."""
    found: list[tuple[str, tuple[Piece, ...]]] = []
    name = flow.start
    for _ in range(steps):
        step = flow.steps.get(name)
        if isinstance(step, Play):
            language = step.language or flow.language
            found.append((language, PROMPTS.pieces(step.text, language)))
            name = step.next
        elif isinstance(step, Gather):
            found.append((flow.language, PROMPTS.pieces(step.prompt, flow.language)))
            break
        else:
            break
    return found
