"""Runs a `Flow` against a media port. The port does the timing, so tests drive flows with a
fake port and no clock.

What the caller chose (a key that chooses, or a name) is kept as the run's `Choice`; a `Route`
step asks the `Resolver` for the flow that follows from it and runs that flow on."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from veertien.ivr.flow import (
    Announce,
    Between,
    Choice,
    Confirm,
    Fallback,
    Flow,
    Gather,
    Phase,
    Play,
    Route,
    Spoken,
    Step,
    Transfer,
)
from veertien.ivr.prompts import DEFAULT_LANGUAGE, PROMPTS, Catalogue, Piece
from veertien.speech.matcher import Action

MAX_STEPS = 50


@dataclass(frozen=True, slots=True)
class Understood:
    """What the speech side made of an utterance."""

    action: Action
    municipality: str | None
    transcript: str
    second: str | None = None  # with CHOOSE: the runner-up the caller is asked about


class IvrPort(Protocol):
    async def say(
        self,
        text: str,
        barge_in: bool,
        language: str = DEFAULT_LANGUAGE,
        pieces: tuple[Piece, ...] = (),
    ) -> bool:
        """Play a prompt in `language`'s voice (`pieces`: its sentences one by one, for the
        recordings that replace some); True if the caller interrupted it (a key is then
        waiting)."""
        ...

    def use_language(self, language: str) -> None:
        """The caller chose `language`: what they say from now on is heard in it."""
        ...

    async def key(self, timeout: float) -> str | None:
        """The next key the caller pressed (also one pressed earlier), or None on time-out."""
        ...

    async def answer(self, timeout: float, speech: bool) -> str | bytes | None:
        """A key, or (with `speech`) an utterance's audio, whichever comes first."""
        ...

    async def understand(self, audio: bytes, among: tuple[str, ...] = ()) -> Understood:
        """Which municipality (or, national, which code of the lexicon) the caller named, and
        how sure that is; with `among`, only one of those codes counts."""
        ...

    async def yes_no(self, audio: bytes) -> bool | None:
        """Whether the caller said yes or no (None: neither)."""
        ...

    async def between(self, audio: bytes, codes: tuple[str, str]) -> str | None:
        """Which of two municipalities the caller named (None: neither, clearly)."""
        ...


class Resolver(Protocol):
    """Run-time knowledge a flow does not carry: what a code stands for, and where a choice
    leads (for a municipality: its transfer, announcement or department menu)."""

    def choice(self, code: str) -> Choice | None:
        """The choice a code (by key or by name) stands for; None when it is unknown."""
        ...

    def route(self, choice: Choice) -> Flow:
        """The flow that follows the caller's choice."""
        ...

    def fallback(self, refused: frozenset[str]) -> Flow:
        """Where a caller goes who chose nothing (the default desk), never to one of the codes
        in `refused` (what the caller said "nee" to)."""
        ...


class NoResolver:
    """For flows without choices or routes."""

    def choice(self, code: str) -> Choice | None:
        return None

    def route(self, choice: Choice) -> Flow:
        raise LookupError(f"this flow cannot route a choice ({choice.code})")

    def fallback(self, refused: frozenset[str]) -> Flow:
        raise LookupError("this flow has no default destination")


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
    CHOSEN = "chosen"  # one of two close names, by key or by name
    ANNOUNCE = "announce"
    TRANSFER = "transfer"
    HANGUP = "hangup"
    LANGUAGE = "language"  # the caller chose a language (its code)


@dataclass(frozen=True, slots=True)
class IvrEvent:
    kind: EventKind
    step: str
    detail: str = ""
    at: float = 0.0  # when, on the clock given to run_flow (seconds; 0 without one)
    phase: Phase = Phase.MENU  # of the step it happened in


class OutcomeKind(Enum):
    TRANSFER = "transfer"
    HANGUP = "hangup"


@dataclass(frozen=True, slots=True)
class Outcome:
    kind: OutcomeKind
    target: str | None
    municipality: str | None
    events: tuple[IvrEvent, ...]
    choice: Choice | None = None  # what the caller chose, when they chose


class _Run:
    def __init__(
        self,
        port: IvrPort,
        events: list[IvrEvent],
        clock: Callable[[], float],
        resolver: Resolver,
        catalogue: Catalogue,
    ) -> None:
        self.port = port
        self.events = events
        self.clock = clock
        self.resolver = resolver
        self.catalogue = catalogue
        self.choice: Choice | None = None
        self.pair: tuple[Choice, Choice] | None = None  # pending the two-name question
        self.refused: set[str] = set()  # codes the caller said "nee" to
        self.flow_language = DEFAULT_LANGUAGE  # of the flow running now
        self.chosen_language: str | None = None  # by the caller: kept in the flows that follow

    @property
    def language(self) -> str:
        """What the prompts are said in: the caller's choice, else the flow's language."""
        return self.chosen_language or self.flow_language

    def note(self, kind: EventKind, step: str, phase: Phase, detail: str = "") -> None:
        self.events.append(IvrEvent(kind, step, detail, self.clock(), phase))

    def pieces(self, spoken: Spoken, language: str | None = None) -> tuple[Piece, ...]:
        defaults: dict[str, str] = {"name": self.choice.name} if self.choice else {}
        if self.pair is not None:
            defaults.update(first=self.pair[0].name, second=self.pair[1].name)
        return self.catalogue.pieces(spoken, language or self.language, defaults)

    def text(self, spoken: Spoken, language: str | None = None) -> str:
        return " ".join(piece.text for piece in self.pieces(spoken, language))

    async def say(
        self, name: str, phase: Phase, spoken: Spoken, barge_in: bool, language: str | None = None
    ) -> None:
        pieces = self.pieces(spoken, language)
        text = " ".join(piece.text for piece in pieces)
        self.note(EventKind.PROMPT, name, phase, text)
        if await self.port.say(text, barge_in, language or self.language, pieces):
            self.note(EventKind.INTERRUPTED, name, phase)

    def use(self, language: str, name: str, phase: Phase) -> None:
        """The caller chose `language`: every prompt from now on is in it."""
        self.chosen_language = language
        self.port.use_language(language)
        self.note(EventKind.LANGUAGE, name, phase, language)

    async def step(self, name: str, step: Step) -> str | Outcome | Flow:
        if isinstance(step, Play | Announce):
            if isinstance(step, Announce):
                self.note(EventKind.ANNOUNCE, name, step.phase, self.text(step.text))
                await self.say(name, step.phase, step.text, False)
            else:
                await self.say(name, step.phase, step.text, step.barge_in, step.language)
            return step.next
        if isinstance(step, Gather | Confirm | Between):
            return await self.ask(name, step)
        if isinstance(step, Route):
            if self.choice is None:
                raise LookupError(f"step {name!r} routes, but nothing was chosen")
            return self.resolver.route(self.choice)
        if isinstance(step, Fallback):
            return self.resolver.fallback(frozenset(self.refused))
        if isinstance(step, Transfer):
            if step.text:
                await self.say(name, step.phase, step.text, False)
            self.note(EventKind.TRANSFER, name, step.phase, step.target)
            return self.outcome(OutcomeKind.TRANSFER, step.target, step.municipality)
        self.note(EventKind.HANGUP, name, step.phase, step.reason)
        return self.outcome(OutcomeKind.HANGUP, None, None)

    async def ask(self, name: str, step: Gather | Confirm | Between) -> str:
        """A step that waits for the caller's answer."""
        if isinstance(step, Gather):
            return await self.gather(name, step)
        if isinstance(step, Confirm):
            return await self.confirm(name, step)
        return await self.between(name, step)

    def outcome(self, kind: OutcomeKind, target: str | None, municipality: str | None) -> Outcome:
        return Outcome(kind, target, municipality, tuple(self.events), self.choice)

    async def gather(self, name: str, step: Gather) -> str:
        await self.say(name, step.phase, step.prompt, step.barge_in)
        first = await self.port.answer(step.timeout_s, step.speech)
        if isinstance(first, bytes):
            return await self.spoken(name, step, first)
        # a language key is one key: no waiting for the rest of a postcode
        keys = first if first in step.languages else await self.keys(step, first)
        if not keys:
            self.note(EventKind.TIMEOUT, name, step.phase)
            return step.on_timeout
        self.note(EventKind.KEY, name, step.phase, keys)
        if keys in step.languages:
            self.use(step.languages[keys], name, step.phase)
            return name  # the same question, now in the caller's language
        if keys in step.choices:
            return step.choices[keys]
        chosen = self.resolver.choice(step.keyed[keys]) if keys in step.keyed else None
        if chosen is None and step.lookup and keys not in step.keyed:
            chosen = self.resolver.choice(keys)
        if chosen is not None and step.on_chosen is not None:
            return self.chose(chosen, step.on_chosen)
        self.note(EventKind.INVALID, name, step.phase, keys)
        return step.on_invalid

    def chose(self, choice: Choice, then: str) -> str:
        self.choice = choice
        return then

    async def spoken(self, name: str, step: Gather, audio: bytes) -> str:
        self.note(EventKind.HEARD, name, step.phase)
        understood = await self.port.understand(audio, step.among)
        self.note(EventKind.SPEECH, name, step.phase, understood.transcript)
        heard = self.resolver.choice(understood.municipality or "")
        if heard is not None and step.on_chosen is not None:
            if understood.action is Action.ACCEPT:
                return self.chose(heard, step.on_chosen)
            if understood.action is Action.CONFIRM and step.on_unsure is not None:
                self.choice = heard  # pending: the confirmation asks about it
                return step.on_unsure
            other = self.resolver.choice(understood.second or "")
            if understood.action is Action.CHOOSE and other is not None:
                if step.on_choose is not None:
                    self.pair = (heard, other)  # pending: the two-name question
                    return step.on_choose
                if step.on_unsure is not None:
                    self.choice = heard
                    return step.on_unsure
        self.note(EventKind.INVALID, name, step.phase, understood.transcript)
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
        await self.say(name, step.phase, step.question, True)
        answer = await self.port.answer(step.timeout_s, step.speech)
        if answer is None:
            self.note(EventKind.TIMEOUT, name, step.phase)
            return step.on_timeout
        if isinstance(answer, bytes):
            self.note(EventKind.HEARD, name, step.phase)
            yes = await self.port.yes_no(answer)
            said = {True: "ja", False: "nee", None: "?"}[yes]
            self.note(EventKind.SPEECH, name, step.phase, said)
            key = {True: "1", False: "2", None: ""}[yes]
        else:
            key = answer
            self.note(EventKind.KEY, name, step.phase, key)
        if key == "1":
            self.note(EventKind.CONFIRMED, name, step.phase)
            return step.on_yes
        self.note(EventKind.DENIED, name, step.phase)
        if key == "2" and self.choice is not None:  # a clear "nee", not an unclear answer
            self.refused.add(self.choice.code)
        self.choice = None
        return step.on_no

    async def between(self, name: str, step: Between) -> str:
        if self.pair is None:
            raise LookupError(f"step {name!r} asks between two names, but none are pending")
        pair = self.pair
        await self.say(name, step.phase, step.question, True)  # its words name the pair
        self.pair = None
        answer = await self.port.answer(step.timeout_s, step.speech)
        if answer is None:
            self.note(EventKind.TIMEOUT, name, step.phase)
            return step.on_timeout
        picked: Choice | None = None
        if isinstance(answer, bytes):
            self.note(EventKind.HEARD, name, step.phase)
            code = await self.port.between(answer, (pair[0].code, pair[1].code))
            self.note(EventKind.SPEECH, name, step.phase, code or "?")
            picked = next((c for c in pair if c.code == code), None)
        else:
            self.note(EventKind.KEY, name, step.phase, answer)
            picked = {"1": pair[0], "2": pair[1]}.get(answer)
        if picked is None:
            self.note(EventKind.INVALID, name, step.phase)
            return step.on_none
        self.note(EventKind.CHOSEN, name, step.phase, picked.code)
        return self.chose(picked, step.on_chosen)


def language_of(events: Sequence[IvrEvent]) -> str:
    """The language the caller chose last in these events (Dutch when they chose none)."""
    chosen = [e.detail for e in events if e.kind is EventKind.LANGUAGE]
    return chosen[-1] if chosen else DEFAULT_LANGUAGE


async def run_flow(
    flow: Flow,
    port: IvrPort,
    events: list[IvrEvent] | None = None,
    clock: Callable[[], float] = lambda: 0.0,
    resolver: Resolver | None = None,
    *,
    catalogue: Catalogue = PROMPTS,
) -> Outcome:
    """Run `flow` to its end: a transfer or a hang-up (also after `MAX_STEPS`, as a guard).
    A `Route` step continues in the flow the `resolver` gives for the caller's choice.
    `events`, if given, is filled as the dialogue goes (so a caller who hangs up midway still
    leaves a record of how far they got); each event carries the time `clock` gave."""
    run = _Run(
        port, events if events is not None else [], clock, resolver or NoResolver(), catalogue
    )
    run.flow_language = flow.language
    name, step = flow.start, flow.steps[flow.start]
    for _ in range(MAX_STEPS):
        result = await run.step(name, step)
        if isinstance(result, Outcome):
            return result
        if isinstance(result, Flow):
            flow, name = result, result.start
            run.flow_language = flow.language
        else:
            name = result
        step = flow.steps[name]
    run.note(EventKind.HANGUP, name, step.phase, "too many steps")
    return run.outcome(OutcomeKind.HANGUP, None, None)
