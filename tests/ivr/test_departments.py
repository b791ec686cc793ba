"""Departments: a municipality's own menu before the transfer, routed straight or after the
area menu; settings validation; and a real call through the service pressing a department key."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import pytest

from tests.conftest import TUESDAY_MORNING, keys_only
from tests.ivr.fakeport import FakePort
from veertien.directory import demo_directory
from veertien.ivr.area import AreaResolver, area_flow, department_flow
from veertien.ivr.runner import run_flow
from veertien.records import MemorySink
from veertien.routing import (
    CallFacts,
    DecisionKind,
    Department,
    RoutingContext,
    Settings,
    SettingsError,
    decide,
    decide_municipality,
)
from veertien.routing.settings import MunicipalitySettings
from veertien.server.service import start_service
from veertien.storage import DataDir
from veertien.testcall.caller import place_call

BURGERZAKEN = Department("Burgerzaken", "sip:burgerzaken@lelystad.example")
BELASTINGEN = Department("Belastingen", "sip:belastingen@lelystad.example")


def _ctx(code: str) -> RoutingContext:
    settings = Settings().with_municipality(code, departments=(BURGERZAKEN, BELASTINGEN))
    return RoutingContext(demo_directory(), settings)


def test_a_municipality_with_departments_is_redirected_after_their_menu() -> None:
    decision = decide(CallFacts("140320", TUESDAY_MORNING), _ctx("GM0995"))
    assert decision.kind is DecisionKind.REDIRECT and decision.departments == (
        BURGERZAKEN,
        BELASTINGEN,
    )
    assert "after a menu of 2 departments" in decision.reason
    assert decision.to_json()["departments"][0]["name"] == "Burgerzaken"


@pytest.mark.parametrize(
    ("answers", "target"),
    [
        (("2",), BELASTINGEN.destination),
        ((None,), "sip:+31320000001@127.0.0.1:5080"),  # stays on the line: the main number
        (("7", "1"), BURGERZAKEN.destination),  # a wrong key: the menu once more
    ],
)
async def test_the_department_menu(answers: tuple[str | None, ...], target: str) -> None:
    decision = decide(CallFacts("140320", TUESDAY_MORNING), _ctx("GM0995"))
    port = FakePort(*answers)
    outcome = await run_flow(department_flow(decision), port)
    assert outcome.target == target and outcome.municipality == "GM0995"
    assert port.heard[0].startswith("Welkom") and "Voor Burgerzaken, toets 1." in port.heard[1]


async def test_departments_after_the_area_menu() -> None:
    ctx = _ctx("GM0664")
    facts = CallFacts("140113", TUESDAY_MORNING)
    decision = decide(facts, ctx)
    resolver = AreaResolver(decision, partial(decide_municipality, facts=facts, ctx=ctx))
    port = FakePort("2", "1")  # Goes, then Burgerzaken
    outcome = await run_flow(area_flow(decision), port, resolver=resolver)
    assert outcome.target == BURGERZAKEN.destination
    assert port.heard[2].startswith("Voor Burgerzaken, toets 1. Voor Belastingen, toets 2.")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("x", "a list"),
        ([{"name": "A"}], "exactly a name and a destination"),
        ([{"name": "A", "destination": "http://x"}], "not a usable sip:"),
        ([{"name": "", "destination": "sip:x"}], "needs a name"),
        ([{"name": "A", "destination": "sip:x"}] * 10, "at most 9"),
    ],
)
def test_bad_departments_are_refused(value: object, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        MunicipalitySettings.from_json({"departments": value})


def test_departments_round_trip() -> None:
    own = MunicipalitySettings(departments=(BURGERZAKEN,))
    assert MunicipalitySettings.from_json(own.to_json()) == own


@pytest.mark.usefixtures("voices")
async def test_a_real_call_presses_a_department_key(tmp_path: Path) -> None:
    departments = [d.to_json() for d in (BURGERZAKEN, BELASTINGEN)]
    settings = {"key_timeout_s": 3, "municipalities": {"GM0995": {"departments": departments}}}
    (tmp_path / "settings.json").write_text(json.dumps(settings))
    sink = MemorySink()
    service = await start_service(DataDir(keys_only(tmp_path)), "127.0.0.1", 0, sink)
    try:
        result = await place_call(
            "140320", "127.0.0.1", service.address[1], keys="2", key_after_s=1.0, timeout=30,
            show=lambda _: None,
        )  # fmt: skip
    finally:
        await service.close()
    assert result.final is not None and result.final.status == 302
    assert result.final.header("Contact") == f"<{BELASTINGEN.destination}>"
    (record,) = sink.records
    assert record.route == "keys" and record.municipality == "GM0995"
