"""The caller's language in the shared-area dialogue: offered by key after the greeting, each
offer in its own language; the key turns every prompt after it to that language (and the
speech side to it), also in the flows that follow a choice."""

from __future__ import annotations

from functools import partial

import pytest

from tests.conftest import TUESDAY_MORNING
from tests.ivr.fakeport import FakePort
from veertien.directory import Directory, demo_directory
from veertien.directory.lexicon import lexicon_of
from veertien.ivr.area import AreaResolver, area_flow, language_keys
from veertien.ivr.flow import Flow, FlowError, Gather, Hangup
from veertien.ivr.national import NationalResolver, national_flow
from veertien.ivr.runner import EventKind, IvrEvent, OutcomeKind, language_of, run_flow
from veertien.routing import (
    CallFacts,
    RoutingContext,
    Settings,
    decide,
    decide_municipality,
    decide_organisation,
)
from veertien.routing.languages import national_keys

GOES = "sip:+31113000001@127.0.0.1:5080"


def _area(
    dialled: str, offer: dict[str, str], *, speech: bool = False, settings: Settings | None = None
) -> tuple[Flow, AreaResolver, dict[str, str]]:
    ctx = RoutingContext(demo_directory(), settings or Settings())
    facts = CallFacts(dialled, TUESDAY_MORNING)
    decision = decide(facts, ctx)
    keys = language_keys(decision, offer)
    flow = area_flow(decision, speech=speech, languages=keys)
    return flow, AreaResolver(decision, partial(decide_municipality, facts=facts, ctx=ctx)), keys


async def test_key_nine_turns_the_dialogue_to_english() -> None:
    flow, resolver, _ = _area("140113", {"en": "9"})
    port = FakePort("9", "2")
    outcome = await run_flow(flow, port, resolver=resolver)
    assert (outcome.kind, outcome.target) == (OutcomeKind.TRANSFER, GOES)
    assert port.heard[:2] == [
        "Welkom bij het telefoonnummer van uw gemeente.",
        "For English, press 9.",
    ]
    assert port.voices[:2] == ["nl", "en"]  # the offer in the language it offers
    assert port.heard[2].startswith("Voor Borsele, toets 1.")  # the menu, in Dutch
    assert port.heard[3].startswith("For Borsele, press 1. For Goes, press 2.")  # again: English
    assert port.voices[3:] == ["en"] * len(port.heard[3:])
    assert port.listening == "en"
    assert language_of(outcome.events) == "en"
    assert [e.detail for e in outcome.events if e.kind is EventKind.LANGUAGE] == ["en"]


async def test_without_the_key_everything_stays_dutch() -> None:
    flow, resolver, _ = _area("140113", {"en": "9"})
    port = FakePort("2")
    outcome = await run_flow(flow, port, resolver=resolver)
    assert outcome.target == GOES and language_of(outcome.events) == "nl"
    assert port.voices[1] == "en" and set(port.voices[2:]) == {"nl"}


async def test_the_language_holds_in_the_flow_after_the_choice() -> None:
    """A municipality chosen after English was chosen: its announcement is English too."""
    code = "GM0664"  # Goes
    settings = Settings().with_municipality(code, calamity=True)
    flow, resolver, _ = _area("140113", {"en": "9"}, settings=settings)
    port = FakePort("9", "2")
    outcome = await run_flow(flow, port, resolver=resolver)
    assert outcome.kind is OutcomeKind.HANGUP
    assert port.heard[-1] == (
        "The municipality of Goes cannot be reached because of a disruption. "
        "Please try again later."
    )


async def test_with_speech_the_name_is_asked_again_in_english() -> None:
    flow, resolver, _ = _area("140113", {"en": "9", "fy": "8"}, speech=True)
    port = FakePort("9", "2")
    outcome = await run_flow(flow, port, resolver=resolver)
    assert outcome.target == GOES
    assert port.heard[:4] == [
        "Welkom bij uw gemeente.",
        "For English, press 9.",
        "Foar it Frysk, druk op 8.",
        "Zeg de naam van uw gemeente of woonplaats.",
    ]
    assert port.heard[4] == "Say the name of your municipality or town."


def test_a_language_key_that_chooses_a_municipality_is_not_offered() -> None:
    _, _, keys = _area("140113", {"en": "1", "fy": "8"})  # 1 is Borsele here
    assert keys == {"8": "fy"}


@pytest.mark.parametrize(
    ("languages", "why"),
    [({"1": "en"}, "not a free DTMF key"), ({"9": "de"}, "not one of"), ({"99": "en"}, "free")],
)
def test_flows_refuse_language_keys_that_cannot_work(languages: dict[str, str], why: str) -> None:
    step = Gather("x", {"1": "end"}, "end", "end", languages=languages)
    with pytest.raises(FlowError, match=why):
        Flow("menu", {"menu": step, "end": Hangup()})


async def test_the_national_number_offers_english_on_star(demo: Directory) -> None:
    """Its first question takes a postcode (1 to 9 first), so only 0 and * choose a language;
    the star is taken at once, without waiting for more digits."""
    ctx = RoutingContext(demo, Settings.from_json({"national_default": "sip:l@127.0.0.1"}))
    facts = CallFacts("14", TUESDAY_MORNING)
    decision = decide(facts, ctx)
    events: list[IvrEvent] = []
    resolver = NationalResolver(
        decision, lexicon_of(demo), partial(decide_municipality, facts=facts, ctx=ctx),
        partial(decide_organisation, ctx=ctx), events,
    )  # fmt: skip
    keys = national_keys({"en": "*", "fy": "9"})
    assert keys == {"*": "en"}
    port = FakePort("*", "8", "1", "6", "1")
    outcome = await run_flow(national_flow(languages=keys), port, events, resolver=resolver)
    assert outcome.kind is OutcomeKind.TRANSFER and outcome.municipality == "GM0232"  # Epe
    assert port.heard[1:4] == [
        "For English, press *.",
        "Toets of zeg de vier cijfers van uw postcode.",
        "Enter or say the four digits of your postcode.",
    ]
    assert language_of(outcome.events) == "en"
