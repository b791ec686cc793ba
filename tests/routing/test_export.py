"""Table tests of the routing table a SIP front may answer from (routing/export.py)."""

from __future__ import annotations

from tests.conftest import TUESDAY_MORNING
from veertien.directory import Directory
from veertien.numbering import NumberingConfig
from veertien.routing import CallFacts, OpeningHours, RoutingContext, Rule, Settings, decide
from veertien.routing.export import DirectRoute, dialled_forms, direct_routes

LELYSTAD = "sip:+31320000001@127.0.0.1:5080"


def by_dialled(ctx: RoutingContext) -> dict[str, DirectRoute]:
    return {r.dialled: r for r in direct_routes(ctx)}


def test_forms_of_a_14_number_and_an_access_number() -> None:
    assert dialled_forms("140320") == ("140320", "+31140320", "0031140320")
    assert dialled_forms("0113000140") == ("0113000140", "+31113000140", "0031113000140")


def test_single_municipality_areas_in_every_form(demo: Directory) -> None:
    routes = by_dialled(RoutingContext(demo))
    for form in dialled_forms("140320"):
        assert routes[form].target == LELYSTAD
        assert routes[form].area_code == "0320" and routes[form].rule is Rule.SINGLE_MUNICIPALITY
    assert not any(form in routes for form in dialled_forms("140113"))  # shared: a dialogue


def test_every_exported_route_is_what_a_node_decides_at_any_time(demo: Directory) -> None:
    ctx = RoutingContext(demo)
    for route in direct_routes(ctx):
        for hour in (3, 10, 22):
            decision = decide(CallFacts(route.dialled, TUESDAY_MORNING.replace(hour=hour)), ctx)
            assert (decision.target, decision.municipality) == (route.target, route.municipality)


def test_opening_hours_departments_and_announcements_stay_with_the_nodes(demo: Directory) -> None:
    code = by_dialled(RoutingContext(demo))["140320"].municipality
    hours = OpeningHours.from_json({"tue": ["09:00-17:00"]})
    for changes in ({"hours": hours}, {"calamity": True}):
        settings = Settings().with_municipality(code, **changes)
        assert "140320" not in by_dialled(RoutingContext(demo, settings))
    rerouted = Settings().with_municipality(
        code, calamity=True, calamity_destination="sip:crisis@127.0.0.1:5080"
    )
    route = by_dialled(RoutingContext(demo, rerouted))["140320"]
    assert (route.target, route.rule) == ("sip:crisis@127.0.0.1:5080", Rule.CALAMITY)


def test_access_numbers_but_not_the_national_access_number(demo: Directory) -> None:
    numbering = NumberingConfig(access_numbers={"0320000140": "0320", "0880000140": "national"})
    routes = by_dialled(RoutingContext(demo, Settings(numbering=numbering)))
    assert routes["+31320000140"].target == LELYSTAD
    assert not any(form in routes for form in dialled_forms("0880000140"))
