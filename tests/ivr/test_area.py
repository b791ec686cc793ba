"""The shared-area dialogue built from real routing decisions over the demo directory."""

from __future__ import annotations

from functools import partial

from tests.conftest import TUESDAY_MORNING
from tests.ivr.fakeport import FakePort
from veertien.directory import demo_directory
from veertien.ivr.area import AreaResolver, area_flow, menu_words
from veertien.ivr.flow import Flow
from veertien.ivr.prompts import spoken_text
from veertien.ivr.runner import OutcomeKind, run_flow
from veertien.routing import (
    CallFacts,
    RoutingContext,
    RoutingDecision,
    decide,
    decide_municipality,
)


def _flow(dialled: str) -> tuple[RoutingDecision, Flow, AreaResolver]:
    ctx = RoutingContext(demo_directory())
    facts = CallFacts(dialled, TUESDAY_MORNING)
    decision = decide(facts, ctx)
    resolver = AreaResolver(decision, partial(decide_municipality, facts=facts, ctx=ctx))
    return decision, area_flow(decision), resolver


async def test_key_two_on_0113_goes_to_goes() -> None:
    _, flow, resolver = _flow("140113")
    port = FakePort("2")
    outcome = await run_flow(flow, port, resolver=resolver)
    assert (outcome.kind, outcome.target) == (
        OutcomeKind.TRANSFER,
        "sip:+31113000001@127.0.0.1:5080",
    )
    assert port.heard[0] == "Welkom bij het telefoonnummer van uw gemeente."
    assert port.heard[1].startswith("Voor Borsele, toets 1. Voor Goes, toets 2.")


async def test_no_key_twice_goes_to_the_area_default() -> None:
    _, flow, resolver = _flow("140113")
    outcome = await run_flow(flow, FakePort(None, "9"), resolver=resolver)
    assert outcome.target == "sip:+31113000004@127.0.0.1:5080"


async def test_not_connected_municipality_is_explained_with_its_number() -> None:
    _, flow, resolver = _flow("14020")
    port = FakePort("3")
    outcome = await run_flow(flow, port, resolver=resolver)
    assert outcome.kind is OutcomeKind.HANGUP
    assert "Haarlemmermeer is niet via dit nummer bereikbaar" in port.heard[-1]
    assert "0900 1852" in port.heard[-1]


def test_slivers_are_not_in_the_menu() -> None:
    decision, _, _ = _flow("140578")
    assert (
        spoken_text(menu_words(decision.candidates)) == "Voor Epe, toets 1. Voor Heerde, toets 2."
    )
