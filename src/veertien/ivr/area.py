"""The shared-area dialogue: greet, offer the municipalities by key (or ask for the name),
hand over.

Greeting, then the menu ("Voor Goes, toets 1. ...") → a key → that municipality (or its announcement
when it is not connected, closed, ...). No key or a wrong one → the menu once more → the area's
default destination (the region's main contact centre). Where a choice leads is resolved when
it is made (`AreaResolver`), so the flow itself has the same few steps for 2 municipalities or
342. The words are the prompt catalogue's (ivr.prompts).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from veertien.ivr.flow import (
    Announce,
    Between,
    Choice,
    ChoiceKind,
    Confirm,
    Fallback,
    Flow,
    Gather,
    Hangup,
    Phase,
    Play,
    Route,
    Step,
    Transfer,
)
from veertien.ivr.prompts import Prompt, Words, say
from veertien.routing import Candidate, DecisionKind, RoutingDecision
from veertien.routing.languages import free_keys

MAX_KEYS = 9
GREETING: Words = (say(Prompt.GREETING),)
NO_DEFAULT: Words = (say(Prompt.NO_DEFAULT),)


def menu_words(candidates: tuple[Candidate, ...]) -> Words:
    offered = [c for c in candidates if c.in_menu][:MAX_KEYS]
    return tuple(say(Prompt.MENU_ITEM, name=c.name, key=n) for n, c in enumerate(offered, 1))


class AreaResolver:
    """What a code heard or pressed in an area's dialogue stands for, and where it leads:
    `choose(code)` decides for the chosen municipality (routing.decide_municipality)."""

    def __init__(
        self,
        decision: RoutingDecision,
        choose: Callable[[str], RoutingDecision],
        timeout_s: float = 5.0,
    ) -> None:
        self.names = {c.code: c.name for c in decision.candidates}
        self.offered = [c.code for c in decision.candidates if c.in_menu]
        self.default = decision.target
        self.decide = choose
        self.timeout_s = timeout_s

    def choice(self, code: str) -> Choice | None:
        name = self.names.get(code)
        return Choice(ChoiceKind.MUNICIPALITY, code, name) if name is not None else None

    def route(self, choice: Choice) -> Flow:
        return chosen_flow(self.decide(choice.code), self.timeout_s)

    def fallback(self, refused: frozenset[str]) -> Flow:
        """The area's default desk, unless it is the line of a municipality the caller refused:
        then the first municipality in the menu the caller did not refuse that takes calls
        (and without one, the announcement that we cannot connect)."""
        refused_lines = {self._line(code) for code in refused} - {None}
        if self.default and self.default not in refused_lines:
            return Flow("default", {"default": Transfer(self.default, phase=Phase.DEFAULT)})
        for code in self.offered:
            line = self._line(code)
            if code not in refused and line and line not in refused_lines:
                return Flow("default", {"default": Transfer(line, code, phase=Phase.DEFAULT)})
        return Flow("default", {"default": Announce(NO_DEFAULT, "bye"), "bye": Hangup()})

    def _line(self, code: str) -> str | None:
        chosen = self.decide(code)
        return chosen.target if chosen.kind is DecisionKind.REDIRECT else None


def language_keys(decision: RoutingDecision, offer: Mapping[str, str]) -> dict[str, str]:
    """The languages `offer` (language → key) that this area's menu leaves a key free for, as
    key → language; a language whose key chooses a municipality here is not offered."""
    offered = [c for c in decision.candidates if c.in_menu][:MAX_KEYS]
    return free_keys(offer, len(offered))


def language_offers(languages: Mapping[str, str], then: str) -> tuple[str, dict[str, Step]]:
    """ "For English, press 9." in English, then "Foar it Frysk, druk op 8." in Frisian, ...:
    the first step's name and the steps, the last going on to `then`."""
    steps: dict[str, Step] = {}
    names = [f"offer-{language}" for language in languages.values()]
    for n, (key, language) in enumerate(languages.items()):
        following = names[n + 1] if n + 1 < len(names) else then
        steps[names[n]] = Play((say(Prompt.OFFER, key=key),), following, language=language)
    return (names[0] if names else then), steps


def area_flow(
    decision: RoutingDecision,
    timeout_s: float = 5.0,
    *,
    speech: bool = False,
    languages: Mapping[str, str] | None = None,
) -> Flow:
    """The dialogue for an IVR decision (run it with an `AreaResolver`). With `speech`, the
    caller is greeted and asked for the name in two short sentences (keys work from the start); the
    key list follows only when the caller says nothing or is not understood. A name (slivers
    and places included): sure → that municipality; unsure → "Bedoelt u ...?"; two close
    names → "Bedoelt u A of B?"; not understood (or "nee") → asked once more, by name or key;
    then the keypad menu once more; then the area's default destination (never the line of a
    municipality the caller refused: `AreaResolver.fallback`). `languages` (key → language,
    from `language_keys`) are offered after the greeting, each in its own language; the key
    turns the call to that language and asks the same question again in it."""
    offered = [c for c in decision.candidates if c.in_menu][:MAX_KEYS]
    keyed = {str(n): c.code for n, c in enumerate(offered, start=1)}
    menu = menu_words(decision.candidates)
    again: Words = (say(Prompt.AGAIN), *menu)
    chosen = dict(languages or {})
    first, offers = language_offers(chosen, "menu")
    steps: dict[str, Step] = {
        "greeting": Play(GREETING, first),
        **offers,
        "again": Gather(
            again, {}, "default", "default", timeout_s, keyed=keyed, on_chosen="route",
            phase=Phase.KEYPAD if speech else Phase.REPEAT, languages=chosen,
        ),
        "route": Route(),
        "bye": Hangup(),
        "default": Fallback(),
    }  # fmt: skip
    if not speech:
        steps["menu"] = Gather(
            menu, {}, "again", "again", timeout_s, keyed=keyed, on_chosen="route",
            languages=chosen,
        )  # fmt: skip
        return Flow("greeting", steps)
    ask: Words = (say(Prompt.SAY_OR_PRESS), *menu)
    steps["greeting"] = Play((say(Prompt.WELCOME),), first)
    steps["menu"] = _listening(
        (say(Prompt.ASK_NAME),), keyed, "repeat", "confirm1", "between1", timeout_s=timeout_s,
        phase=Phase.MENU, on_timeout="keys", languages=chosen,
    )  # fmt: skip
    steps["keys"] = _listening(
        ask, keyed, "repeat", "confirm2", "between2", timeout_s=timeout_s, phase=Phase.REPEAT,
        on_timeout="again", languages=chosen,
    )  # fmt: skip
    steps["repeat"] = _listening(
        (say(Prompt.AGAIN), *ask), keyed, "again", "confirm2", "between2", timeout_s=timeout_s,
        phase=Phase.REPEAT, languages=chosen,
    )  # fmt: skip
    for round_, otherwise in (("1", "repeat"), ("2", "again")):
        steps[f"confirm{round_}"] = Confirm(
            (say(Prompt.CONFIRM),), "route", otherwise, otherwise, timeout_s, speech=True
        )
        steps[f"between{round_}"] = Between(
            (say(Prompt.BETWEEN),), "route", otherwise, otherwise, timeout_s, speech=True
        )
    return Flow("greeting", steps)


def _listening(
    prompt: Words,
    keyed: dict[str, str],
    otherwise: str,
    unsure: str,
    close: str,
    *,
    timeout_s: float,
    phase: Phase,
    on_timeout: str | None = None,
    languages: Mapping[str, str] | None = None,
) -> Gather:
    """A menu step that takes a key or a name: a sure name is the choice, an unsure one goes to
    `unsure` (yes/no), two close ones to `close` (the two-name question)."""
    return Gather(
        prompt, {}, on_timeout or otherwise, otherwise, timeout_s, speech=True, keyed=keyed,
        on_chosen="route", on_unsure=unsure, phase=phase, on_choose=close,
        languages=dict(languages or {}),
    )  # fmt: skip


def department_flow(decision: RoutingDecision, timeout_s: float = 5.0) -> Flow:
    """The menu of a municipality's departments, for a call routed straight to it."""
    steps = department_steps(decision, timeout_s)
    greeting = Play(GREETING, f"choice-{decision.municipality}")
    return Flow("greeting", {"greeting": greeting, **steps, "bye": Hangup()})


def department_steps(chosen: RoutingDecision, timeout_s: float) -> dict[str, Step]:
    """For a municipality with departments: "Voor Burgerzaken, toets 1. ... Voor andere vragen
    blijft u aan de lijn." A key → that department; no key → the municipality's main line;
    a wrong key → the menu once more, then the main line. Empty without departments."""
    if chosen.kind is not DecisionKind.REDIRECT or not chosen.departments or not chosen.target:
        return {}
    code = chosen.municipality
    offered = chosen.departments[:MAX_KEYS]
    menu = tuple(say(Prompt.MENU_ITEM, name=d.name, key=n) for n, d in enumerate(offered, 1))
    prompt: Words = (*menu, say(Prompt.STAY))
    choices = {str(n): f"dept-{code}-{n}" for n in range(1, len(offered) + 1)}
    departments = Phase.DEPARTMENTS
    steps: dict[str, Step] = {
        f"choice-{code}": Gather(
            prompt, choices, f"dept-{code}-main", f"dept-{code}-again", timeout_s,
            phase=departments,
        ),
        f"dept-{code}-again": Gather(
            (say(Prompt.AGAIN), *prompt), choices, f"dept-{code}-main", f"dept-{code}-main",
            timeout_s, phase=departments,
        ),
        f"dept-{code}-main": Transfer(chosen.target, code),
    }  # fmt: skip
    for n, department in enumerate(offered, start=1):
        steps[f"dept-{code}-{n}"] = Transfer(department.destination, code)
    return steps


def chosen_flow(chosen: RoutingDecision, timeout_s: float = 5.0) -> Flow:
    """Where a chosen municipality's decision leads: its department menu, a transfer, or an
    announcement (not connected, closed, ...)."""
    code = chosen.municipality or "none"
    steps: dict[str, Step] = {f"choice-{code}": _choice(chosen), "bye": Hangup()}
    steps.update(department_steps(chosen, timeout_s))
    return Flow(f"choice-{code}", steps)


def _choice(chosen: RoutingDecision) -> Step:
    if chosen.kind is DecisionKind.REDIRECT and chosen.target:
        return Transfer(chosen.target, chosen.municipality)
    if chosen.kind is DecisionKind.ANNOUNCE and chosen.message:
        return Announce((chosen.message,), next="bye")
    if chosen.target:
        return Transfer(chosen.target)
    return Announce(NO_DEFAULT, next="bye")


__all__ = [
    "GREETING",
    "MAX_KEYS",
    "NO_DEFAULT",
    "AreaResolver",
    "area_flow",
    "chosen_flow",
    "department_flow",
    "department_steps",
    "language_keys",
    "language_offers",
    "menu_words",
]
