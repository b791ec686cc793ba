"""The routing table a SIP front (Kamailio) may answer from without asking a node.

A pure function of the routing snapshot: for every dialled form a node accepts for an area
number or an access number, the decision `decide` makes, kept only when it is a plain 302 that
depends on neither the time nor the caller: one municipality (or its calamity destination),
no department menu, no opening hours. Anything not in the table goes to a node as before, so
leaving a number out is always safe. The front companion (server/front.py) writes it for
Kamailio's `htable` on every data version (docs/cluster.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from veertien.numbering import NATIONAL_ACCESS
from veertien.routing.decision import DecisionKind, RoutingDecision, Rule
from veertien.routing.engine import CallFacts, RoutingContext, decide

# Any instant: no exported decision depends on it (municipalities with hours are left out).
_AT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
_STATIC_RULES = (Rule.SINGLE_MUNICIPALITY, Rule.CALAMITY)


@dataclass(frozen=True, slots=True)
class DirectRoute:
    dialled: str  # exactly as the Request-URI's user part
    target: str  # the 302's Contact URI
    municipality: str
    area_code: str | None
    rule: Rule
    reason: str = ""  # the decision's reason, as a node's call record has it


def dialled_forms(national: str) -> tuple[str, ...]:
    """The forms a carrier sends a national number in: 140113, +31140113, 0031140113
    (a 14 number has no trunk 0; an access number 0113000140 is +31113000140)."""
    e164 = national.removeprefix("0")
    return (national, f"+31{e164}", f"0031{e164}")


def direct_routes(ctx: RoutingContext) -> tuple[DirectRoute, ...]:
    """Every dialled form whose answer is a fixed 302, in a stable order."""
    numbers = [f"14{code}" for code in sorted(ctx.directory.area_codes())]
    access = ctx.settings.numbering.access_numbers
    numbers += sorted(n for n, area in access.items() if area != NATIONAL_ACCESS)
    found = (
        _route(form, decide(CallFacts(form, _AT), ctx), ctx)
        for number in numbers
        for form in dialled_forms(number)
    )
    return tuple(route for route in found if route is not None)


def _route(form: str, decision: RoutingDecision, ctx: RoutingContext) -> DirectRoute | None:
    """The route for `form` if its decision is a 302 fixed in time, else None."""
    target, code = decision.target, decision.municipality
    if decision.kind is not DecisionKind.REDIRECT or decision.rule not in _STATIC_RULES:
        return None
    if target is None or code is None or decision.departments:
        return None
    if ctx.settings.for_municipality(code).hours is not None:
        return None
    return DirectRoute(form, target, code, decision.area_code, decision.rule, decision.reason)
