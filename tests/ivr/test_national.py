"""The national dialogue over the national set: names, homonyms, postcodes, organisations."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import TUESDAY_MORNING
from tests.ivr.fakeport import Answer, FakePort
from veertien.directory import Directory
from veertien.directory.lexicon import lexicon_of
from veertien.ivr.flow import QUESTION_PHASES, Phase
from veertien.ivr.national import NationalResolver, national_flow
from veertien.ivr.runner import EventKind, IvrEvent, Outcome, OutcomeKind, Understood, run_flow
from veertien.routing import (
    CallFacts,
    RoutingContext,
    Settings,
    decide,
    decide_municipality,
    decide_organisation,
)
from veertien.speech.matcher import Action

DEFAULT = "sip:landelijk@127.0.0.1:5080"


def line(code: str) -> str:
    return f"sip:{code}@127.0.0.1:5080"


@pytest.fixture(scope="module")
def ctx(national: Directory, demo: Directory) -> RoutingContext:
    munis = {c: replace(m, destination=line(c)) for c, m in national.municipalities.items()}
    directory = replace(national, municipalities=munis, organisations=demo.organisations)
    return RoutingContext(directory, Settings.from_json({"national_default": DEFAULT}))


class LenientPort(FakePort):
    """A caller who may start speaking while keys are awaited: that ends the keys."""

    async def key(self, timeout: float) -> str | None:
        if self.script and isinstance(self.script[0], bytes):
            return None
        return await super().key(timeout)

    async def understand(self, audio: bytes, among: tuple[str, ...] = ()) -> Understood:
        if not isinstance(self.meanings[audio], Understood):  # "ja" where a name is asked
            return Understood(Action.RETRY, None, "ja")
        return await super().understand(audio, among)

    async def yes_no(self, audio: bytes) -> bool | None:
        meaning = self.meanings[audio]
        return meaning if isinstance(meaning, bool) else None

    async def between(self, audio: bytes, codes: tuple[str, str]) -> str | None:
        meaning = self.meanings[audio]
        code = meaning.municipality if isinstance(meaning, Understood) else None
        return code if code in codes else None


async def call(
    ctx: RoutingContext, *answers: Answer, speech: bool = True, caller: str | None = None,
    port_type: type[FakePort] = FakePort, **meanings: Understood | bool | str | None,
) -> tuple[Outcome, FakePort, list[IvrEvent]]:  # fmt: skip
    facts = CallFacts("14", TUESDAY_MORNING, caller)
    decision = decide(facts, ctx)
    events: list[IvrEvent] = []
    own = [m.municipality for m in ctx.directory.members(decision.caller_area or "")]
    resolver = NationalResolver(
        decision, lexicon_of(ctx.directory), lambda c: decide_municipality(c, facts, ctx),
        lambda c: decide_organisation(c, ctx), events, own=own, speech=speech,
    )  # fmt: skip
    port = port_type(*answers, meanings={k.encode(): v for k, v in meanings.items()})
    outcome = await run_flow(national_flow(speech=speech), port, events, resolver=resolver)
    return outcome, port, events


def said(code: str, action: Action = Action.ACCEPT, second: str | None = None) -> Understood:
    return Understood(action, code, "…", second)


def questions(events: list[IvrEvent]) -> list[Phase]:
    return [e.phase for e in events if e.kind is EventKind.PROMPT and e.phase in QUESTION_PHASES]


async def test_a_spoken_municipality_goes_there(ctx: RoutingContext) -> None:
    outcome, port, events = await call(ctx, b"goes", goes=said("GM0664"))
    assert (outcome.kind, outcome.target) == (OutcomeKind.TRANSFER, line("GM0664"))
    assert port.heard[0] == "Welkom bij 14, het nummer van de overheid."
    assert port.heard[1].startswith("Zeg de naam van uw gemeente of woonplaats")
    assert questions(events) == [Phase.MENU]


async def test_a_keyed_postcode_goes_to_its_municipality(ctx: RoutingContext) -> None:
    outcome, _, _ = await call(ctx, "4", "4", "6", "1")
    assert outcome.target == line("GM0664")
    assert outcome.choice is not None and outcome.choice.code == "4461"


async def test_without_speech_the_postcode_is_asked_at_once(ctx: RoutingContext) -> None:
    outcome, port, _ = await call(ctx, "2", "7", "6", "1", speech=False)
    assert outcome.target == line("GM1892")  # Zevenhuizen, Zuidplas
    assert port.heard[1] == "Toets of zeg de vier cijfers van uw postcode."


async def test_a_spoken_postcode_counts(ctx: RoutingContext) -> None:
    outcome, _, _ = await call(ctx, b"pc", pc=said("9354"))
    assert outcome.target == line("GM1969")


async def test_a_spoken_postcode_is_confirmed(ctx: RoutingContext) -> None:
    outcome, port, _ = await call(ctx, b"pc", "1", pc=said("9354", Action.CONFIRM))
    assert port.heard[2].startswith("Bedoelt u Westerkwartier?")
    assert outcome.target == line("GM1969")


async def test_no_to_a_spoken_postcode_asks_it_again(ctx: RoutingContext) -> None:
    outcome, port, _ = await call(
        ctx, None, b"pc", "2", "4", "4", "6", "1", pc=said("9354", Action.CONFIRM)
    )
    assert port.heard[2] == "Toets of zeg de vier cijfers van uw postcode."
    assert port.heard[3].startswith("Bedoelt u Westerkwartier?")
    assert port.heard[4].startswith("Dat heb ik niet goed verstaan.")
    assert outcome.target == line("GM0664")


async def test_a_homonym_place_asks_the_province_then_the_postcode(ctx: RoutingContext) -> None:
    outcome, port, events = await call(
        ctx, b"zh", "5", "2", "7", "6", "1", zh=said("many:zevenhuizen")
    )
    assert port.heard[2].startswith("Zevenhuizen ligt in meer dan één provincie.")
    assert "Voor Zuid-Holland, toets 5." in port.heard[2]
    assert port.heard[3].startswith("Zevenhuizen ligt in meer dan één gemeente.")
    assert outcome.target == line("GM1892")
    assert questions(events) == [Phase.MENU, Phase.NARROW, Phase.POSTCODE]


async def test_a_province_with_one_of_them_goes_there(ctx: RoutingContext) -> None:
    outcome, port, _ = await call(
        ctx, b"zh", b"utrecht", zh=said("many:zevenhuizen"), utrecht=said("province:Utrecht")
    )
    assert outcome.target == line("GM0313")  # Bunschoten
    assert port.among[-1] == tuple(
        f"province:{p}" for p in ("Fryslân", "Groningen", "Noord-Brabant", "Utrecht",
                                  "Zuid-Holland")
    )  # fmt: skip


async def test_the_two_bergens(ctx: RoutingContext) -> None:
    outcome, port, _ = await call(ctx, b"b", "1", b=said("many:bergen"))
    assert "Voor Limburg, toets 1. Voor Noord-Holland, toets 2." in port.heard[2]
    assert outcome.target == line("GM0893")


async def test_the_callers_own_province_is_offered_first(ctx: RoutingContext) -> None:
    _, port, _ = await call(ctx, b"b", "1", b=said("many:bergen"), caller="0725550000")
    assert "Voor Noord-Holland, toets 1. Voor Limburg, toets 2." in port.heard[2]


async def test_an_organisation_goes_to_its_destination(ctx: RoutingContext) -> None:
    outcome, _, _ = await call(ctx, b"bd", bd=said("org:belastingdienst"))
    assert outcome.target == "sip:+31880000101@127.0.0.1:5080"
    assert outcome.choice is not None and outcome.choice.name == "Belastingdienst"


async def test_an_organisation_without_destination_is_announced(
    ctx: RoutingContext, demo: Directory
) -> None:
    orgs = tuple(replace(o, destination=None) for o in demo.organisations)
    bare = RoutingContext(replace(ctx.directory, organisations=orgs), ctx.settings)
    outcome, port, _ = await call(bare, b"uwv", uwv=said("org:uwv"))
    assert outcome.kind is OutcomeKind.HANGUP
    assert port.heard[-1].startswith("UWV is via dit nummer op dit moment niet bereikbaar.")


async def test_a_former_municipality_split_over_four_asks_the_postcode(
    ctx: RoutingContext,
) -> None:
    # Haaren went to Boxtel, Oisterwijk, Tilburg and Vught, all in Noord-Brabant
    outcome, port, _ = await call(ctx, b"h", "5", "0", "7", "6", h=said("many:haaren"))
    assert port.heard[2].startswith("Haaren ligt in meer dan één gemeente.")
    assert outcome.choice is not None and outcome.choice.code == "5076"


async def test_no_to_the_confirmation_asks_the_postcode(ctx: RoutingContext) -> None:
    outcome, port, _ = await call(
        ctx, b"epe", b"nee", "4", "4", "6", "1", epe=said("GM0232", Action.CONFIRM), nee=False
    )
    assert port.heard[2].startswith("Bedoelt u Epe?")
    assert outcome.target == line("GM0664")


async def test_after_two_questions_a_homonym_goes_to_the_postcode(ctx: RoutingContext) -> None:
    outcome, port, events = await call(
        ctx, b"two", "2", "4", "4", "6", "1",
        two=said("GM0232", Action.CHOOSE, second="many:bergen"),
    )  # fmt: skip
    assert port.heard[2].startswith("Bedoelt u Epe of Bergen?")
    assert port.heard[3].startswith("Bergen ligt in meer dan één gemeente.")
    assert questions(events) == [Phase.MENU, Phase.CHOOSE, Phase.POSTCODE]
    assert outcome.target == line("GM0664")


async def test_nothing_understood_ends_at_the_national_default(ctx: RoutingContext) -> None:
    outcome, _, events = await call(
        ctx, b"huh", "0", "0", "0", "0", None, huh=said("", Action.RETRY)
    )
    assert (outcome.kind, outcome.target) == (OutcomeKind.TRANSFER, DEFAULT)
    assert questions(events) == [Phase.MENU, Phase.POSTCODE, Phase.POSTCODE]
    assert events[-1].phase is Phase.DEFAULT


ANSWERS = st.sampled_from(
    [None, "1", "2", "4", "6", b"goes", b"zh", b"bergen", b"utrecht", b"nee", b"ja", b"?"]
)
MEANINGS = {
    "goes": said("GM0664", Action.CONFIRM), "zh": said("many:zevenhuizen"),
    "bergen": said("GM0373", Action.CHOOSE, second="many:bergen"),
    "utrecht": said("province:Utrecht"), "nee": False, "ja": True, "?": said("", Action.RETRY),
}  # fmt: skip


@pytest.fixture(scope="module")
def holder(ctx: RoutingContext) -> list[RoutingContext]:
    """The context in a list: hypothesis prints its examples' arguments, not this."""
    return [ctx]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(answers=st.lists(ANSWERS, max_size=20))
async def test_never_more_than_two_questions_before_the_postcode_and_never_a_loop(
    holder: list[RoutingContext], answers: list[Answer]
) -> None:
    outcome, _, events = await call(holder[0], *answers, port_type=LenientPort, **MEANINGS)  # type: ignore[arg-type]
    asked = questions(events)
    before = asked.index(Phase.POSTCODE) if Phase.POSTCODE in asked else len(asked)
    assert before <= 2
    assert len(asked) <= 5, asked
    assert outcome.kind is OutcomeKind.TRANSFER
