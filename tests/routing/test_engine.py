"""Table tests of the routing rules over the demo directory."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from functools import cache

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import AMS, TUESDAY_MORNING
from veertien.directory import ConnectionStatus, Directory, demo_directory
from veertien.numbering import NumberingConfig
from veertien.routing import (
    Announcement,
    CallFacts,
    DecisionKind,
    Message,
    OpeningHours,
    RoutingContext,
    Rule,
    Scope,
    Settings,
    decide,
    decide_municipality,
)

GOES = "GM0664"


def route(
    ctx: RoutingContext, dialled: str, at: datetime = TUESDAY_MORNING, caller: str | None = None
) -> tuple[DecisionKind, Rule, str | None]:
    decision = decide(CallFacts(dialled, at, caller), ctx)
    assert decision.data_version == ctx.data_version
    return decision.kind, decision.rule, decision.target


@pytest.fixture
def ctx(demo: Directory) -> RoutingContext:
    return RoutingContext(demo)


@pytest.mark.parametrize(
    ("dialled", "kind", "rule", "target"),
    [
        (
            "140320",
            DecisionKind.REDIRECT,
            Rule.SINGLE_MUNICIPALITY,
            "sip:+31320000001@127.0.0.1:5080",
        ),
        ("140113", DecisionKind.IVR, Rule.SHARED_AREA, "sip:+31113000004@127.0.0.1:5080"),
        ("140578", DecisionKind.IVR, Rule.SHARED_AREA, "sip:+31578000001@127.0.0.1:5080"),
        ("14020", DecisionKind.IVR, Rule.SHARED_AREA, "sip:+3120000001@127.0.0.1:5080"),
        (
            "140570",
            DecisionKind.REDIRECT,
            Rule.SINGLE_MUNICIPALITY,
            "sip:+31570000001@127.0.0.1:5080",
        ),
        ("14010", DecisionKind.REJECT, Rule.NO_MUNICIPALITY, None),
        ("140116", DecisionKind.REJECT, Rule.UNKNOWN_NUMBER, None),
        ("14084", DecisionKind.REJECT, Rule.UNKNOWN_NUMBER, None),
        ("14", DecisionKind.IVR, Rule.NATIONAL, None),
    ],
)
def test_demo_routes(
    ctx: RoutingContext, dialled: str, kind: DecisionKind, rule: Rule, target: str | None
) -> None:
    assert route(ctx, dialled) == (kind, rule, target)


def test_shared_area_lists_candidates_in_menu_order(ctx: RoutingContext) -> None:
    decision = decide(CallFacts("140113", TUESDAY_MORNING), ctx)
    assert decision.scope is Scope.AREA and decision.area_code == "0113"
    assert [c.name for c in decision.candidates] == [
        "Borsele",
        "Goes",
        "Reimerswaal",
        "Noord-Beveland",
        "Kapelle",
    ]
    assert all(c.in_menu for c in decision.candidates)


def test_a_sliver_is_understood_but_not_offered(ctx: RoutingContext) -> None:
    decision = decide(CallFacts("140578", TUESDAY_MORNING), ctx)
    assert [(c.name, c.in_menu) for c in decision.candidates] == [
        ("Epe", True),
        ("Heerde", True),
        ("Olst-Wijhe", False),
    ]


def test_not_connected_candidate_is_flagged_with_its_number(ctx: RoutingContext) -> None:
    decision = decide(CallFacts("14020", TUESDAY_MORNING), ctx)
    meer = next(c for c in decision.candidates if c.name == "Haarlemmermeer")
    assert meer.status is ConnectionStatus.NOT_CONNECTED and meer.public_number == "0900 1852"
    chosen = decide_municipality(meer.code, CallFacts("14020", TUESDAY_MORNING), ctx)
    assert chosen.kind is DecisionKind.ANNOUNCE and chosen.rule is Rule.NOT_CONNECTED
    assert chosen.message == Message.of(
        Announcement.NOT_CONNECTED, name="Haarlemmermeer", number="0900 1852"
    )


def test_selected_municipality_redirects_with_overflow(demo: Directory) -> None:
    settings = Settings().with_municipality(GOES, overflow_destination="sip:overflow@127.0.0.1")
    decision = decide_municipality(
        GOES, CallFacts("140113", TUESDAY_MORNING), RoutingContext(demo, settings)
    )
    assert decision.kind is DecisionKind.REDIRECT and decision.rule is Rule.SELECTED
    assert decision.target == "sip:+31113000001@127.0.0.1:5080"
    assert decision.fallback == "sip:overflow@127.0.0.1"


def test_calamity_switch_sends_calls_elsewhere_or_announces(demo: Directory) -> None:
    on = Settings().with_municipality("GM0995", calamity=True, calamity_destination="tel:+3188")
    assert route(RoutingContext(demo, on), "140320") == (
        DecisionKind.REDIRECT,
        Rule.CALAMITY,
        "tel:+3188",
    )
    bare = Settings().with_municipality("GM0995", calamity=True)
    decision = decide(CallFacts("140320", TUESDAY_MORNING), RoutingContext(demo, bare))
    assert decision.kind is DecisionKind.ANNOUNCE and decision.rule is Rule.CALAMITY
    assert decision.message == Message.of(Announcement.CALAMITY, name="Lelystad", number="")


def test_closed_hours_announce_or_redirect(demo: Directory) -> None:
    hours = OpeningHours.from_json({d: ["08:00-17:00"] for d in ("mon", "tue", "wed", "thu")})
    settings = Settings().with_municipality("GM0995", hours=hours, closed_message="Gesloten.")
    ctx = RoutingContext(demo, settings)
    assert route(ctx, "140320")[1] is Rule.SINGLE_MUNICIPALITY
    evening = TUESDAY_MORNING.replace(hour=20)
    decision = decide(CallFacts("140320", evening), ctx)
    assert (decision.kind, decision.rule, decision.message) == (
        DecisionKind.ANNOUNCE,
        Rule.CLOSED,
        Message.of(Announcement.OWN_TEXT, text="Gesloten."),
    )
    christmas = datetime(2026, 12, 25, 10, tzinfo=AMS)
    assert route(ctx, "140320", christmas)[1] is Rule.CLOSED
    to_voicemail = settings.with_municipality("GM0995", closed_destination="sip:vm@127.0.0.1")
    assert route(RoutingContext(demo, to_voicemail), "140320", evening) == (
        DecisionKind.REDIRECT,
        Rule.CLOSED,
        "sip:vm@127.0.0.1",
    )


def test_time_is_judged_in_the_platform_time_zone(demo: Directory) -> None:
    hours = OpeningHours.from_json({"tue": ["09:00-17:00"]})
    ctx = RoutingContext(demo, Settings().with_municipality("GM0995", hours=hours))
    assert route(ctx, "140320", datetime(2026, 11, 24, 7, 30, tzinfo=UTC))[1] is Rule.CLOSED
    assert route(ctx, "140320", datetime(2026, 11, 24, 8, 30, tzinfo=UTC))[0] is (
        DecisionKind.REDIRECT
    )  # 09:30 in Amsterdam (CET)


def test_no_destination_gives_a_clear_announcement(demo: Directory) -> None:
    munis = dict(demo.municipalities)
    munis["GM0995"] = replace(munis["GM0995"], destination=None)
    bare = Directory(munis, demo.places, demo.memberships, demo.postcodes)
    decision = decide(CallFacts("140320", TUESDAY_MORNING), RoutingContext(bare))
    assert decision.kind is DecisionKind.ANNOUNCE and decision.rule is Rule.NO_DESTINATION
    assert decision.reason.endswith("Lelystad has no destination configured")


def test_settings_override_directory_destination_and_status(demo: Directory) -> None:
    settings = Settings().with_municipality("GM0995", destination="sip:new@127.0.0.1")
    assert route(RoutingContext(demo, settings), "140320")[2] == "sip:new@127.0.0.1"
    off = Settings().with_municipality("GM0995", status=ConnectionStatus.NOT_CONNECTED)
    assert route(RoutingContext(demo, off), "140320")[1] is Rule.NOT_CONNECTED


def test_single_participant_goes_direct_only_when_configured(demo: Directory) -> None:
    settings = Settings().with_municipality("GM0362", status=ConnectionStatus.NOT_CONNECTED)
    assert route(RoutingContext(demo, settings), "14020")[0] is DecisionKind.IVR
    direct = Settings(settings.municipalities, direct_when_single_participant=True)
    assert route(RoutingContext(demo, direct), "14020") == (
        DecisionKind.REDIRECT,
        Rule.SINGLE_MUNICIPALITY,
        "sip:+3120000001@127.0.0.1:5080",
    )


def test_area_default_can_be_set(demo: Directory) -> None:
    settings = Settings(area_defaults={"0113": "sip:kcc@goes.example"})
    assert route(RoutingContext(demo, settings), "140113")[2] == "sip:kcc@goes.example"


def test_access_number_routes_like_its_area(demo: Directory) -> None:
    settings = Settings(numbering=NumberingConfig(access_numbers={"0320000140": "0320"}))
    ctx = RoutingContext(demo, settings)
    assert route(ctx, "+31320000140")[1] is Rule.SINGLE_MUNICIPALITY


def test_caller_area_is_known_for_the_national_number(ctx: RoutingContext) -> None:
    decision = decide(CallFacts("14", TUESDAY_MORNING, caller="+31113123456"), ctx)
    assert decision.scope is Scope.NATIONAL and decision.caller_area == "0113"
    mobile = decide(CallFacts("14", TUESDAY_MORNING, caller="0612345678"), ctx)
    assert mobile.caller_area is None


def test_data_version_follows_directory_and_settings(demo: Directory) -> None:
    one = RoutingContext(demo).data_version
    two = RoutingContext(demo, Settings().with_municipality(GOES, calamity=True)).data_version
    assert one != two and one.split(".")[0] == two.split(".")[0] == demo.version


def test_decision_json_is_complete(ctx: RoutingContext) -> None:
    data = decide(CallFacts("14020", TUESDAY_MORNING), ctx).to_json()
    assert data["kind"] == "ivr" and data["rule"] == "shared_area"
    assert len(data["candidates"]) == 3 and data["candidates"][2]["status"] == "not_connected"


@given(st.text(max_size=30), st.one_of(st.none(), st.text(max_size=20)))
def test_decide_never_raises(dialled: str, caller: str | None) -> None:
    decision = decide(CallFacts(dialled, TUESDAY_MORNING, caller), _demo_ctx())
    assert decision.reason and decision.data_version == _demo_ctx().data_version


@cache
def _demo_ctx() -> RoutingContext:
    return RoutingContext(demo_directory())
