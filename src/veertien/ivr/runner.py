"""Runs a `Flow` against a media port. The port does the timing, so tests drive flows with a
fake port and no clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from veertien.ivr.flow import Announce, Confirm, Flow, Gather, Play, Step, Transfer

MAX_STEPS = 50


@dataclass(frozen=True, slots=True)
class Understood:
    """What the speech side made of an utterance."""

    action: str  # "accept", "confirm" or "retry"
    municipality: str | None
    transcript: str


class IvrPort(Protocol):
    async def say(self, text: str, barge_in: bool) -> bool:
        """Play a prompt; True if the caller interrupted it (a key is then waiting)."""
        ...

    async def key(self, timeout: float) -> str | None:
        """The next key the caller pressed (also one pressed earlier), or None on time-out."""
        ...

    async def answer(self, timeout: float, speech: bool) -> str | bytes | None:
        """A key, or (with `speech`) an utterance's audio, whichever comes first."""
        ...

    async def understand(self, audio: bytes) -> Understood:
        """Which municipality the caller named, and how sure that is."""
        ...

    async def yes_no(self, audio: bytes) -> bool | None:
        """Whether the caller said yes or no (None: neither)."""
        ...


class EventKind(Enum):
    PROMPT = "prompt"
    HEARD = "heard"  # an utterance arrived; what it means is not known yet
    SPEECH = "speech"
    INTERRUPTED = "interrupted"
    KEY = "key"
    TIMEOUT = "timeout"
    INVALID = "invalid"
    CONFIRMED = "confirmed"
    DENIED = "denied"
    ANNOUNCE = "announce"
    TRANSFER = "transfer"
    HANGUP = "hangup"


@dataclass(frozen=True, slots=True)
class IvrEvent:
    kind: EventKind
    step: str
    detail: str = ""
    at: float = 0.0  # when, on the clock given to run_flow (seconds; 0 without one)


class OutcomeKind(Enum):
    TRANSFER = "transfer"
    HANGUP = "hangup"


@dataclass(frozen=True, slots=True)
class Outcome:
    kind: OutcomeKind
    target: str | None
    municipality: str | None
    events: tuple[IvrEvent, ...]


class _Run:
    def __init__(
        self, flow: Flow, port: IvrPort, events: list[IvrEvent], clock: Callable[[], float]
    ) -> None:
        self.flow = flow
        self.port = port
        self.events = events
        self.clock = clock

    def note(self, kind: EventKind, step: str, detail: str = "") -> None:
        self.events.append(IvrEvent(kind, step, detail, self.clock()))

    async def say(self, name: str, text: str, barge_in: bool) -> None:
        self.note(EventKind.PROMPT, name, text)
        if await self.port.say(text, barge_in):
            self.note(EventKind.INTERRUPTED, name)

    async def step(self, name: str, step: Step) -> str | Outcome:
        if isinstance(step, Play | Announce):
            if isinstance(step, Announce):
                self.note(EventKind.ANNOUNCE, name, step.text)
            await self.say(name, step.text, isinstance(step, Play) and step.barge_in)
            return step.next
        if isinstance(step, Gather):
            return await self.gather(name, step)
        if isinstance(step, Confirm):
            return await self.confirm(name, step)
        if isinstance(step, Transfer):
            if step.text:
                await self.say(name, step.text, False)
            self.note(EventKind.TRANSFER, name, step.target)
            return Outcome(OutcomeKind.TRANSFER, step.target, step.municipality, tuple(self.events))
        self.note(EventKind.HANGUP, name, step.reason)
        return Outcome(OutcomeKind.HANGUP, None, None, tuple(self.events))

    async def gather(self, name: str, step: Gather) -> str:
        await self.say(name, step.prompt, step.barge_in)
        first = await self.port.answer(step.timeout_s, step.speech)
        if isinstance(first, bytes):
            return await self.spoken(name, step, first)
        keys = await self.keys(step, first)
        if not keys:
            self.note(EventKind.TIMEOUT, name)
            return step.on_timeout
        self.note(EventKind.KEY, name, keys)
        if keys in step.choices:
            return step.choices[keys]
        self.note(EventKind.INVALID, name, keys)
        return step.on_invalid

    async def spoken(self, name: str, step: Gather, audio: bytes) -> str:
        self.note(EventKind.HEARD, name)
        understood = await self.port.understand(audio)
        self.note(EventKind.SPEECH, name, understood.transcript)
        code = understood.municipality or ""
        if understood.action == "accept" and code in step.spoken:
            return step.spoken[code]
        if understood.action in ("accept", "confirm") and code in step.confirm:
            return step.confirm[code]
        self.note(EventKind.INVALID, name, understood.transcript)
        return step.on_invalid

    async def keys(self, step: Gather, first: str | None) -> str:
        """Up to `max_digits` keys; # ends early; a pause of `inter_digit_s` ends too."""
        collected = first or ""
        while first is not None and len(collected) < step.max_digits:
            key = await self.port.key(step.inter_digit_s)
            if key is None or key == "#":
                break
            collected += key
        return collected

    async def confirm(self, name: str, step: Confirm) -> str:
        await self.say(name, step.question, True)
        answer = await self.port.answer(step.timeout_s, step.speech)
        if answer is None:
            self.note(EventKind.TIMEOUT, name)
            return step.on_timeout
        if isinstance(answer, bytes):
            self.note(EventKind.HEARD, name)
            yes = await self.port.yes_no(answer)
            self.note(EventKind.SPEECH, name, {True: "ja", False: "nee", None: "?"}[yes])
            key = {True: "1", False: "2", None: ""}[yes]
        else:
            key = answer
            self.note(EventKind.KEY, name, key)
        if key == "1":
            self.note(EventKind.CONFIRMED, name)
            return step.on_yes
        self.note(EventKind.DENIED, name)
        return step.on_no


async def run_flow(
    flow: Flow,
    port: IvrPort,
    events: list[IvrEvent] | None = None,
    clock: Callable[[], float] = lambda: 0.0,
) -> Outcome:
    """Run `flow` to its end: a transfer or a hang-up (also after `MAX_STEPS`, as a guard).
    `events`, if given, is filled as the dialogue goes (so a caller who hangs up midway still
    leaves a record of how far they got); each event carries the time `clock` gave."""
    run = _Run(flow, port, events if events is not None else [], clock)
    name = flow.start
    for _ in range(MAX_STEPS):
        result = await run.step(name, flow.steps[name])
        if isinstance(result, Outcome):
            return result
        name = result
    run.note(EventKind.HANGUP, name, "too many steps")
    return Outcome(OutcomeKind.HANGUP, None, None, tuple(run.events))
