"""The shared-area dialogue: greet, offer the municipalities by key, hand over.

Greeting, then the menu ("Voor Goes, toets 1. ...") → a key → that municipality (or its announcement
when it is not connected, closed, ...). No key or a wrong one → the menu once more → the area's
default destination (the region's main contact centre).
"""

from __future__ import annotations

from collections.abc import Callable

from veertien.ivr.flow import Announce, Confirm, Flow, Gather, Hangup, Play, Step, Transfer
from veertien.routing import Candidate, DecisionKind, RoutingDecision

GREETING = "Welkom bij het telefoonnummer van uw gemeente."
AGAIN = "Dat heb ik niet goed verstaan."
NO_DEFAULT = (
    "Wij kunnen u nu helaas niet doorverbinden. Kijk voor het telefoonnummer van uw "
    "gemeente op de website van de gemeente."
)
SAY_OR_PRESS = "Zeg de naam van uw gemeente of woonplaats, of toets het nummer."
CONFIRM = "Bedoelt u {name}? Zeg ja of nee, of toets 1 voor ja en 2 voor nee."
MAX_KEYS = 9


def menu_text(candidates: tuple[Candidate, ...]) -> str:
    offered = [c for c in candidates if c.in_menu][:MAX_KEYS]
    return " ".join(f"Voor {c.name}, toets {n}." for n, c in enumerate(offered, start=1))


def area_flow(
    decision: RoutingDecision,
    choose: Callable[[str], RoutingDecision],
    timeout_s: float = 5.0,
    *,
    speech: bool = False,
) -> Flow:
    """The dialogue for an IVR decision; `choose(code)` decides for a chosen municipality.
    With `speech`, the caller may also say a name (slivers and places included): sure → that
    municipality; unsure → "Bedoelt u ...?"; not understood (or "nee") → asked once more, by
    name or key; then the keypad menu once more; then the area's default destination."""
    offered = [c for c in decision.candidates if c.in_menu][:MAX_KEYS]
    menu = menu_text(decision.candidates)
    choices = {str(n): f"choice-{c.code}" for n, c in enumerate(offered, start=1)}
    reachable = list(decision.candidates) if speech else offered
    spoken = {c.code: f"choice-{c.code}" for c in reachable} if speech else {}
    first = f"{SAY_OR_PRESS} {menu}" if speech else menu
    retry = "repeat" if speech else "again"
    steps: dict[str, Step] = {
        "greeting": Play(GREETING, "menu"),
        "menu": _gather(
            first,
            choices,
            retry,
            timeout_s=timeout_s,
            spoken=spoken,
            confirm=_confirms(reachable, "1"),
        ),
        "again": Gather(f"{AGAIN} {menu}", choices, "default", "default", timeout_s),
        "bye": Hangup(),
        "default": Transfer(decision.target) if decision.target else Announce(NO_DEFAULT, "bye"),
    }
    for candidate in reachable:
        chosen = choose(candidate.code)
        steps[f"choice-{candidate.code}"] = _choice(chosen)
        steps.update(department_steps(chosen, timeout_s))
    if speech:
        again = f"{AGAIN} {SAY_OR_PRESS} {menu}"
        steps["repeat"] = _gather(
            again,
            choices,
            "again",
            timeout_s=timeout_s,
            spoken=spoken,
            confirm=_confirms(reachable, "2"),
        )
        for round_, otherwise in (("1", "repeat"), ("2", "again")):
            for candidate in reachable:
                steps[f"confirm{round_}-{candidate.code}"] = Confirm(
                    CONFIRM.format(name=candidate.name),
                    f"choice-{candidate.code}",
                    otherwise,
                    otherwise,
                    timeout_s,
                    speech=True,
                )
    return Flow("greeting", steps)


STAY = "Voor andere vragen blijft u aan de lijn."


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
    menu = " ".join(f"Voor {d.name}, toets {n}." for n, d in enumerate(offered, start=1))
    choices = {str(n): f"dept-{code}-{n}" for n in range(1, len(offered) + 1)}
    steps: dict[str, Step] = {
        f"choice-{code}": Gather(
            f"{menu} {STAY}", choices, f"dept-{code}-main", f"dept-{code}-again",
            timeout_s,
        ),
        f"dept-{code}-again": Gather(
            f"{AGAIN} {menu} {STAY}", choices, f"dept-{code}-main", f"dept-{code}-main", timeout_s
        ),
        f"dept-{code}-main": Transfer(chosen.target, code),
    }  # fmt: skip
    for n, department in enumerate(offered, start=1):
        steps[f"dept-{code}-{n}"] = Transfer(department.destination, code)
    return steps


def _confirms(candidates: list[Candidate], round_: str) -> dict[str, str]:
    return {c.code: f"confirm{round_}-{c.code}" for c in candidates}


def _gather(
    prompt: str,
    choices: dict[str, str],
    otherwise: str,
    *,
    timeout_s: float,
    spoken: dict[str, str],
    confirm: dict[str, str],
) -> Gather:
    """A menu step that takes a key or, when `spoken` is given, a name."""
    if not spoken:
        return Gather(prompt, choices, otherwise, otherwise, timeout_s)
    return Gather(
        prompt,
        choices,
        otherwise,
        otherwise,
        timeout_s,
        speech=True,
        spoken=spoken,
        confirm=confirm,
    )


def _choice(chosen: RoutingDecision) -> Step:
    if chosen.kind is DecisionKind.REDIRECT and chosen.target:
        return Transfer(chosen.target, chosen.municipality)
    if chosen.kind is DecisionKind.ANNOUNCE and chosen.message:
        return Announce(chosen.message, next="bye")
    return Transfer(chosen.target) if chosen.target else Announce(NO_DEFAULT, next="bye")
