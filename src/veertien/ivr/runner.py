"""Runs a `Flow` against a media port. The port does the timing, so tests drive flows with a
fake port and no clock."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from veertien.ivr.flow import Announce, Confirm, Flow, Gather, Play, Step, Transfer

MAX_STEPS = 50


class IvrPort(Protocol):
    async def say(self, text: str, barge_in: bool) -> bool:
        """Play a prompt; True if the caller interrupted it (a key is then waiting)."""
        ...

    async def key(self, timeout: float) -> str | None:
        """The next key the caller pressed (also one pressed earlier), or None on time-out."""
        ...


class EventKind(Enum):
    PROMPT = "prompt"
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
    def __init__(self, flow: Flow, port: IvrPort) -> None:
        self.flow = flow
        self.port = port
        self.events: list[IvrEvent] = []

    def note(self, kind: EventKind, step: str, detail: str = "") -> None:
        self.events.append(IvrEvent(kind, step, detail))

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
        keys = await self.keys(step)
        if not keys:
            self.note(EventKind.TIMEOUT, name)
            return step.on_timeout
        self.note(EventKind.KEY, name, keys)
        if keys in step.choices:
            return step.choices[keys]
        self.note(EventKind.INVALID, name, keys)
        return step.on_invalid

    async def keys(self, step: Gather) -> str:
        """Up to `max_digits` keys; # ends early; a pause of `inter_digit_s` ends too."""
        collected = ""
        timeout = step.timeout_s
        while len(collected) < step.max_digits:
            key = await self.port.key(timeout)
            if key is None or (key == "#" and collected):
                break
            collected += key
            timeout = step.inter_digit_s
        return collected

    async def confirm(self, name: str, step: Confirm) -> str:
        await self.say(name, step.question, True)
        key = await self.port.key(step.timeout_s)
        if key is None:
            self.note(EventKind.TIMEOUT, name)
            return step.on_timeout
        self.note(EventKind.KEY, name, key)
        if key == "1":
            self.note(EventKind.CONFIRMED, name)
            return step.on_yes
        self.note(EventKind.DENIED, name)
        return step.on_no


async def run_flow(flow: Flow, port: IvrPort) -> Outcome:
    """Run `flow` to its end: a transfer or a hang-up (also after `MAX_STEPS`, as a guard)."""
    run = _Run(flow, port)
    name = flow.start
    for _ in range(MAX_STEPS):
        result = await run.step(name, flow.steps[name])
        if isinstance(result, Outcome):
            return result
        name = result
    run.note(EventKind.HANGUP, name, "too many steps")
    return Outcome(OutcomeKind.HANGUP, None, None, tuple(run.events))
