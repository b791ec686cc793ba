"""Routing over the national reference set (../shared/data), as the foundation issue asks."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from tests.conftest import TUESDAY_MORNING
from veertien.directory import ConnectionStatus, Directory
from veertien.numbering import dutch_area_codes
from veertien.routing import (
    Announcement,
    CallFacts,
    DecisionKind,
    Message,
    RoutingContext,
    Rule,
    Settings,
    decide,
    decide_municipality,
)

LELYSTAD, HAARLEMMERMEER, OLST_WIJHE = "GM0995", "GM0394", "GM1773"


def _with_destinations(national: Directory) -> Settings:
    """Give every municipality a test destination, as an operator's import would."""
    settings = Settings()
    for code in national.municipalities:
        settings = settings.with_municipality(code, destination=f"sip:{code}@127.0.0.1:5080")
    return settings


@pytest.fixture(scope="module")
def ctx(national: Directory) -> RoutingContext:
    return RoutingContext(national, _with_destinations(national))


def test_every_area_code_gets_a_decision(ctx: RoutingContext) -> None:
    kinds: Counter[DecisionKind] = Counter()
    for code in dutch_area_codes():
        decision = decide(CallFacts(f"14{code}", TUESDAY_MORNING), ctx)
        assert decision.kind in (DecisionKind.REDIRECT, DecisionKind.IVR), (code, decision)
        assert decision.area_code == code or decision.municipality is not None
        if decision.kind is DecisionKind.IVR:
            assert len([c for c in decision.candidates if c.in_menu]) >= 2
            assert decision.target is not None
        kinds[decision.kind] += 1
    assert sum(kinds.values()) == 141
    assert kinds[DecisionKind.REDIRECT] >= 1


def test_without_destinations_every_area_still_gets_a_clear_decision(
    national: Directory,
) -> None:
    ctx = RoutingContext(national)
    for code in dutch_area_codes():
        decision = decide(CallFacts(f"14{code}", TUESDAY_MORNING), ctx)
        if decision.kind is not DecisionKind.IVR:
            assert decision.kind is DecisionKind.ANNOUNCE
            assert decision.rule is Rule.NO_DESTINATION and decision.message


def test_0113_offers_the_five_municipalities(ctx: RoutingContext) -> None:
    decision = decide(CallFacts("140113", TUESDAY_MORNING), ctx)
    assert decision.kind is DecisionKind.IVR
    assert sorted(c.name for c in decision.candidates) == [
        "Borsele",
        "Goes",
        "Kapelle",
        "Noord-Beveland",
        "Reimerswaal",
    ]


def test_0578_offers_epe_and_heerde_and_olst_wijhe_only_by_name(ctx: RoutingContext) -> None:
    decision = decide(CallFacts("140578", TUESDAY_MORNING), ctx)
    assert [c.name for c in decision.candidates if c.in_menu] == ["Epe", "Heerde"]
    assert [c.code for c in decision.candidates if not c.in_menu] == [OLST_WIJHE]


def test_0320_redirects_straight_to_lelystad(ctx: RoutingContext) -> None:
    decision = decide(CallFacts("140320", TUESDAY_MORNING), ctx)
    assert (decision.kind, decision.municipality) == (DecisionKind.REDIRECT, LELYSTAD)
    assert decision.target == f"sip:{LELYSTAD}@127.0.0.1:5080"


@pytest.mark.parametrize("dialled", ["140116", "14084"])
def test_not_area_codes_are_rejected(ctx: RoutingContext, dialled: str) -> None:
    decision = decide(CallFacts(dialled, TUESDAY_MORNING), ctx)
    assert (decision.kind, decision.rule) == (DecisionKind.REJECT, Rule.UNKNOWN_NUMBER)
    assert "is not a Dutch area code" in decision.reason


def test_haarlemmermeer_not_connected_is_offered_on_020_with_its_number(
    national: Directory,
    ctx: RoutingContext,
) -> None:
    settings = ctx.settings.with_municipality(HAARLEMMERMEER, status=ConnectionStatus.NOT_CONNECTED)
    munis = dict(national.municipalities)
    munis[HAARLEMMERMEER] = replace(munis[HAARLEMMERMEER], public_number="0900 1852")
    directory = Directory(munis, national.places, national.memberships, national.postcodes)
    here = RoutingContext(directory, settings)
    decision = decide(CallFacts("14020", TUESDAY_MORNING), here)
    meer = next(c for c in decision.candidates if c.code == HAARLEMMERMEER)
    assert meer.status is ConnectionStatus.NOT_CONNECTED and meer.in_menu
    assert meer.public_number == "0900 1852"
    told = decide_municipality(HAARLEMMERMEER, CallFacts("14020", TUESDAY_MORNING), here)
    assert told.kind is DecisionKind.ANNOUNCE and told.rule is Rule.NOT_CONNECTED
    assert told.message == Message.of(
        Announcement.NOT_CONNECTED, name="Haarlemmermeer", number="0900 1852"
    )
