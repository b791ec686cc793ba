"""The shared-area dialogue: greet, offer the municipalities by key, hand over.

Greeting and menu ("Voor Goes, toets 1. ...") → a key → that municipality (or its announcement
when it is not connected, closed, ...). No key or a wrong one → the menu once more → the area's
default destination (the region's main contact centre).
"""

from __future__ import annotations

from collections.abc import Callable

from veertien.ivr.flow import Announce, Flow, Gather, Hangup, Step, Transfer
from veertien.routing import Candidate, DecisionKind, RoutingDecision

GREETING = "Welkom bij het telefoonnummer van uw gemeente."
AGAIN = "Dat heb ik niet goed verstaan."
NO_DEFAULT = (
    "Wij kunnen u nu helaas niet doorverbinden. Kijk voor het telefoonnummer van uw "
    "gemeente op de website van de gemeente."
)
MAX_KEYS = 9


def menu_text(candidates: tuple[Candidate, ...]) -> str:
    offered = [c for c in candidates if c.in_menu][:MAX_KEYS]
    return " ".join(f"Voor {c.name}, toets {n}." for n, c in enumerate(offered, start=1))


def area_flow(
    decision: RoutingDecision, choose: Callable[[str], RoutingDecision], timeout_s: float = 5.0
) -> Flow:
    """The dialogue for an IVR decision; `choose(code)` decides for a chosen municipality."""
    offered = [c for c in decision.candidates if c.in_menu][:MAX_KEYS]
    menu = menu_text(decision.candidates)
    choices = {str(n): f"choice-{c.code}" for n, c in enumerate(offered, start=1)}
    steps: dict[str, Step] = {
        "menu": Gather(f"{GREETING} {menu}", choices, "again", "again", timeout_s),
        "again": Gather(f"{AGAIN} {menu}", choices, "default", "default", timeout_s),
        "bye": Hangup(),
    }
    if decision.target:
        steps["default"] = Transfer(decision.target)
    else:
        steps["default"] = Announce(NO_DEFAULT, next="bye")
    for candidate in offered:
        steps[f"choice-{candidate.code}"] = _choice(choose(candidate.code))
    return Flow("menu", steps)


def _choice(chosen: RoutingDecision) -> Step:
    if chosen.kind is DecisionKind.REDIRECT and chosen.target:
        return Transfer(chosen.target, chosen.municipality)
    if chosen.kind is DecisionKind.ANNOUNCE and chosen.message:
        return Announce(chosen.message, next="bye")
    return Transfer(chosen.target) if chosen.target else Announce(NO_DEFAULT, next="bye")
