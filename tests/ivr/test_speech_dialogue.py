"""The dialogue policy with speech: the name asked first; sure → transfer, unsure → confirm,
two close names → the two-name question, not understood → keys."""

from __future__ import annotations

from functools import partial

from tests.conftest import TUESDAY_MORNING
from tests.ivr.fakeport import FakePort
from veertien.call.summary import stages
from veertien.directory import demo_directory
from veertien.ivr.area import AreaResolver, area_flow
from veertien.ivr.flow import Flow
from veertien.ivr.prompts import Prompt, say, spoken_text
from veertien.ivr.runner import EventKind, Outcome, OutcomeKind, Understood, run_flow
from veertien.records import Stage
from veertien.routing import CallFacts, RoutingContext, decide, decide_municipality
from veertien.speech.matcher import Action

SAY_OR_PRESS = spoken_text(say(Prompt.SAY_OR_PRESS))
ASK_NAME = spoken_text(say(Prompt.ASK_NAME))
WELCOME = spoken_text(say(Prompt.WELCOME))
Meanings = dict[bytes, Understood | bool | str | None]


def _flow(dialled: str) -> tuple[Flow, AreaResolver]:
    ctx = RoutingContext(demo_directory())
    facts = CallFacts(dialled, TUESDAY_MORNING)
    decision = decide(facts, ctx)
    resolver = AreaResolver(decision, partial(decide_municipality, facts=facts, ctx=ctx))
    return area_flow(decision, speech=True), resolver


async def _run(dialled: str, port: FakePort) -> Outcome:
    flow, resolver = _flow(dialled)
    return await run_flow(flow, port, resolver=resolver)


async def test_a_sure_answer_is_transferred_at_once() -> None:
    port = FakePort(b"goes", meanings={b"goes": Understood(Action.ACCEPT, "GM0664", "Goes.")})
    outcome = await _run("140113", port)
    assert outcome.target == "sip:+31113000001@127.0.0.1:5080"
    assert port.heard == [WELCOME, ASK_NAME]  # two short sentences, no key list: transferred
    assert (EventKind.SPEECH, "Goes.") in [(e.kind, e.detail) for e in outcome.events]


async def test_the_key_list_follows_when_the_caller_says_nothing() -> None:
    port = FakePort(None, "2")
    outcome = await _run("140113", port)
    assert outcome.target == "sip:+31113000001@127.0.0.1:5080"  # Goes, key 2
    assert port.heard[:2] == [WELCOME, ASK_NAME]
    assert port.heard[2].startswith(SAY_OR_PRESS) and "Voor Goes, toets 2." in port.heard[2]


async def test_a_key_during_the_first_question_chooses_at_once() -> None:
    outcome = await _run("140113", FakePort("2"))
    assert outcome.target == "sip:+31113000001@127.0.0.1:5080"


async def test_two_close_names_get_the_two_name_question_and_a_key_picks_one() -> None:
    meanings: Meanings = {b"epe?": Understood(Action.CHOOSE, "GM0232", "Eepe", "GM0246")}
    port = FakePort(b"epe?", "2", meanings=meanings)
    outcome = await _run("140578", port)
    assert outcome.target == "sip:+31578000002@127.0.0.1:5080"  # Heerde, the second
    assert port.heard[2] == (
        "Bedoelt u Epe of Heerde? Zeg de naam, of toets 1 voor Epe, 2 voor Heerde."
    )
    kinds = [(e.kind, e.phase.value) for e in outcome.events]
    assert (EventKind.CHOSEN, "choose") in kinds


async def test_the_two_name_question_answered_by_name() -> None:
    meanings: Meanings = {
        b"epe?": Understood(Action.CHOOSE, "GM0232", "Eepe", "GM0246"),
        b"epe": "GM0232",
    }
    outcome = await _run("140578", FakePort(b"epe?", b"epe", meanings=meanings))
    assert outcome.target == "sip:+31578000001@127.0.0.1:5080"  # Epe


async def test_neither_of_the_two_asks_again_then_the_keypad() -> None:
    meanings: Meanings = {
        b"epe?": Understood(Action.CHOOSE, "GM0232", "Eepe", "GM0246"),
        b"olst": "GM1773",  # named a third: not one of the two
    }
    port = FakePort(b"epe?", b"olst", None, None, meanings=meanings)
    outcome = await _run("140578", port)
    assert port.heard[3].startswith(f"Dat heb ik niet goed verstaan. {SAY_OR_PRESS}")
    assert outcome.kind is OutcomeKind.TRANSFER  # the keypad once more, then the default


async def test_an_unsure_answer_is_confirmed_by_voice_or_key() -> None:
    meanings: Meanings = {
        b"eep": Understood(Action.CONFIRM, "GM0232", "Eep"),
        b"ja": True,
        b"nee": False,
    }
    yes = FakePort(b"eep", b"ja", meanings=meanings)
    outcome = await _run("140578", yes)
    assert outcome.target == "sip:+31578000001@127.0.0.1:5080"
    assert yes.heard[2].startswith("Bedoelt u Epe?")
    by_key = await _run("140578", FakePort(b"eep", "1", meanings=meanings))
    assert by_key.target == "sip:+31578000001@127.0.0.1:5080"
    no_then_key = await _run("140578", FakePort(b"eep", b"nee", "2", meanings=meanings))
    assert no_then_key.target == "sip:+31578000002@127.0.0.1:5080"  # Heerde, by key


async def test_a_no_lets_the_caller_say_it_again() -> None:
    meanings: Meanings = {
        b"eep": Understood(Action.CONFIRM, "GM0232", "Eep"),
        b"heerde": Understood(Action.ACCEPT, "GM0246", "Heerde"),
        b"nee": False,
    }
    port = FakePort(b"eep", b"nee", b"heerde", meanings=meanings)
    outcome = await _run("140578", port)
    assert outcome.target == "sip:+31578000002@127.0.0.1:5080"
    assert port.heard[3].startswith(f"Dat heb ik niet goed verstaan. {SAY_OR_PRESS}")


async def test_two_wrong_guesses_end_at_the_keypad() -> None:
    meanings: Meanings = {
        b"eep": Understood(Action.CONFIRM, "GM0232", "Eep"),
        b"nee": False,
    }
    port = FakePort(b"eep", b"nee", b"eep", b"nee", "2", meanings=meanings)
    outcome = await _run("140578", port)
    assert outcome.target == "sip:+31578000002@127.0.0.1:5080"  # Heerde, by key
    assert port.heard[-1].startswith("Dat heb ik niet goed verstaan. Voor Epe, toets 1.")


async def test_not_understood_twice_falls_back_to_the_keypad_then_the_default() -> None:
    port = FakePort(b"?", b"?", None, meanings={b"?": Understood(Action.RETRY, None, "euh")})
    outcome = await _run("140113", port)
    assert outcome.target == "sip:+31113000004@127.0.0.1:5080"  # the area's default
    assert port.heard[2].startswith(f"Dat heb ik niet goed verstaan. {SAY_OR_PRESS}")
    assert port.heard[3].startswith("Dat heb ik niet goed verstaan. Voor Borsele, toets 1.")


async def test_a_sliver_can_be_named() -> None:
    port = FakePort(b"olst", meanings={b"olst": Understood(Action.ACCEPT, "GM1773", "Olst")})
    assert (await _run("140578", port)).target == "sip:+31570000001@127.0.0.1:5080"


async def test_a_named_municipality_that_is_not_connected_is_explained() -> None:
    port = FakePort(b"hm", meanings={b"hm": Understood(Action.ACCEPT, "GM0394", "Haarlemmermeer")})
    outcome = await _run("14020", port)
    assert outcome.kind is OutcomeKind.HANGUP and "0900 1852" in port.heard[-1]


async def test_the_default_desk_is_never_the_municipality_the_caller_refused() -> None:
    """A caller said "nee" twice to "Bedoelt u Borsele?" (whose line is the area's default
    desk) and pressed nothing at the keypad menu: sent to the next municipality in the menu,
    never to the one refused."""
    borsele = "sip:+31113000004@127.0.0.1:5080"  # the default of 14 0113
    meanings: Meanings = {b"b?": Understood(Action.CONFIRM, "GM0654", "Borsele"), b"nee": False}
    port = FakePort(b"b?", b"nee", b"b?", b"nee", None, meanings=meanings)
    outcome = await _run("140113", port)
    assert port.heard[-1].startswith("Dat heb ik niet goed verstaan. Voor Borsele, toets 1.")
    assert outcome.kind is OutcomeKind.TRANSFER and outcome.target != borsele
    assert (outcome.target, outcome.municipality) == ("sip:+31113000001@127.0.0.1:5080", "GM0664")
    reached = stages(outcome.events, speech=True)  # the record says it: the failed-calls report
    assert Stage.DEFAULT_DESK in reached and Stage.CORRECTED in reached


async def test_an_unclear_answer_to_the_question_is_no_refusal() -> None:
    meanings: Meanings = {b"b?": Understood(Action.CONFIRM, "GM0654", "Borsele"), b"hm": None}
    port = FakePort(b"b?", b"hm", b"b?", b"hm", None, meanings=meanings)
    outcome = await _run("140113", port)
    assert outcome.target == "sip:+31113000004@127.0.0.1:5080"  # the default desk as before
