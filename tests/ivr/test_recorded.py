"""The sentences a municipality records for a language without a voice: every sentence a
caller who chose it hears (run the dialogue and compare), the greeting and other languages'
offers left out, the two-name question and closed/calamity messages optional."""

from __future__ import annotations

from functools import partial

import pytest

from tests.conftest import TUESDAY_MORNING
from tests.ivr.fakeport import Answer, FakePort
from veertien.directory import demo_directory
from veertien.ivr.area import AreaResolver, area_flow, language_keys
from veertien.ivr.prompts import PROMPTS, Prompt, say
from veertien.ivr.recorded import Sentences, area_sentences
from veertien.ivr.runner import Understood, run_flow
from veertien.routing import CallFacts, RoutingContext, RoutingDecision, decide
from veertien.routing import decide_municipality as decide_one
from veertien.speech.matcher import Action

CTX = RoutingContext(demo_directory())
FACTS = CallFacts("140113", TUESDAY_MORNING)


def _area(speech: bool) -> tuple[RoutingDecision, Sentences]:
    decision = decide(FACTS, CTX)
    choose = partial(decide_one, facts=FACTS, ctx=CTX)
    return decision, area_sentences(decision, "fy", choose, speech=speech, key="8")


async def _heard_in_frisian(speech: bool, *answers: Answer, **meanings: Understood) -> list[str]:
    decision, _ = _area(speech)
    flow = area_flow(decision, speech=speech, languages=language_keys(decision, {"fy": "8"}))
    resolver = AreaResolver(decision, partial(decide_one, facts=FACTS, ctx=CTX))
    found = {k.encode(): v for k, v in meanings.items()}
    port = FakePort(*answers, meanings=found | {b"ja": True, b"nee": False})
    await run_flow(flow, port, resolver=resolver)
    return [
        p.text
        for language, pieces in zip(port.voices, port.pieces, strict=True)
        if language == "fy"
        for p in pieces
    ]


def test_the_frisian_sentences_of_0113_by_keys() -> None:
    _, sentences = _area(speech=False)
    assert sentences.required[0] == "Foar it Frysk, druk op 8."
    assert "Foar Goes, druk op 2." in sentences.required
    assert "Dat haw ik net goed ferstien." in sentences.required
    assert PROMPTS.text(say(Prompt.GREETING), "fy") not in sentences.all  # heard in Dutch
    assert not any(s.startswith("Bedoele jo") for s in sentences.all)  # no speech: no questions
    closed = PROMPTS.text(say("closed", name="Goes"), "fy")
    assert closed in sentences.optional and closed not in sentences.required
    assert len(set(sentences.all)) == len(sentences.all)


def test_with_speech_each_name_is_confirmed_and_each_pair_optional() -> None:
    decision, sentences = _area(speech=True)
    names = [c.name for c in decision.candidates]
    for name in names:
        assert PROMPTS.text(say(Prompt.CONFIRM, name=name), "fy") in sentences.required
    pairs = [s for s in sentences.optional if s.startswith("Bedoele jo") and " of " in s]
    assert len(pairs) == len(names) * (len(names) - 1)


@pytest.mark.parametrize(
    "answers",
    [("8", "2"), ("8", None, None), ("8", "7", "3")],
    ids=["goes", "no-key-twice", "wrong-then-borsele"],
)
async def test_every_frisian_sentence_heard_by_keys_is_required(answers: tuple[Answer]) -> None:
    _, sentences = _area(speech=False)
    heard = await _heard_in_frisian(False, *answers)
    assert heard and set(heard) <= set(sentences.required)


async def test_every_frisian_sentence_heard_with_speech_is_listed() -> None:
    _, sentences = _area(speech=True)
    unsure = Understood(Action.CONFIRM, "GM0664", "Goes")
    close = Understood(Action.CHOOSE, "GM0664", "Goes", "GM0654")
    heard = await _heard_in_frisian(True, "8", b"goes", b"nee", b"twee", None, unsure=unsure,
                                    goes=unsure, twee=close)  # fmt: skip
    assert heard and set(heard) <= set(sentences.all)
    heard = await _heard_in_frisian(True, "8", b"goes", b"ja", goes=unsure)
    assert heard and set(heard) <= set(sentences.required)
