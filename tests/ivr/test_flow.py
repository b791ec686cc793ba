from __future__ import annotations

import pytest

from tests.ivr.fakeport import FakePort
from veertien.ivr.flow import (
    Announce,
    Confirm,
    Flow,
    FlowError,
    Gather,
    Hangup,
    Play,
    Transfer,
    flow_from_json,
)
from veertien.ivr.runner import EventKind, OutcomeKind, run_flow

MENU = Gather(
    "Voor A, toets 1. Voor B, toets 2.",
    {"1": "a", "2": "b"},
    on_timeout="menu2",
    on_invalid="menu2",
)
FLOW = Flow(
    "hello",
    {
        "hello": Play("Welkom.", next="menu"),
        "menu": MENU,
        "menu2": Gather("Nog een keer.", {"1": "a", "2": "b"}, on_timeout="kcc", on_invalid="kcc"),
        "a": Transfer("sip:a@127.0.0.1", "GM0001"),
        "b": Announce("B is niet aangesloten.", next="bye"),
        "kcc": Transfer("sip:kcc@127.0.0.1"),
        "bye": Hangup(),
    },
)


async def test_a_key_transfers() -> None:
    port = FakePort("1")
    outcome = await run_flow(FLOW, port)
    assert (outcome.kind, outcome.target, outcome.municipality) == (
        OutcomeKind.TRANSFER,
        "sip:a@127.0.0.1",
        "GM0001",
    )
    assert port.heard == ["Welkom.", MENU.prompt]
    assert [e.kind for e in outcome.events] == [
        EventKind.PROMPT,
        EventKind.PROMPT,
        EventKind.KEY,
        EventKind.TRANSFER,
    ]


async def test_no_key_repeats_once_then_default() -> None:
    outcome = await run_flow(FLOW, FakePort(None, None))
    assert outcome.target == "sip:kcc@127.0.0.1"
    kinds = [e.kind for e in outcome.events]
    assert kinds.count(EventKind.TIMEOUT) == 2


async def test_wrong_key_then_right_key() -> None:
    outcome = await run_flow(FLOW, FakePort("7", "2"))
    assert outcome.kind is OutcomeKind.HANGUP
    assert [
        (e.kind, e.detail)
        for e in outcome.events
        if e.kind in (EventKind.INVALID, EventKind.ANNOUNCE)
    ] == [(EventKind.INVALID, "7"), (EventKind.ANNOUNCE, "B is niet aangesloten.")]


async def test_barge_in_is_recorded() -> None:
    outcome = await run_flow(FLOW, FakePort("1", interrupt=True))
    assert EventKind.INTERRUPTED in [e.kind for e in outcome.events]


async def test_confirm() -> None:
    flow = Flow(
        "ask",
        {
            "ask": Confirm("Bedoelt u Epe?", on_yes="epe", on_no="bye", on_timeout="bye"),
            "epe": Transfer("sip:epe@127.0.0.1"),
            "bye": Hangup(),
        },
    )
    assert (await run_flow(flow, FakePort("1"))).target == "sip:epe@127.0.0.1"
    assert (await run_flow(flow, FakePort("2"))).kind is OutcomeKind.HANGUP


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ({"x": Play("a", next="y")}, "leads to unknown step 'y'"),
        ({"x": Gather("a", {"A": "x"}, "x", "x")}, "choices must be at most 1 DTMF keys"),
        ({"x": Gather("a", {"1": "x"}, "x", "x", timeout_s=0)}, "timeout must be positive"),
        ({"x": Play("a", next="x")}, "never reach a transfer or a hang-up"),
    ],
)
def test_invalid_flows_are_refused(steps: dict[str, Play | Gather], message: str) -> None:
    with pytest.raises(FlowError, match=message):
        Flow("x", steps)
    with pytest.raises(FlowError, match="start step"):
        Flow("nope", {"x": Hangup()})


POSTCODE = Flow(
    "pc",
    {
        "pc": Gather(
            "Toets uw postcode.", {"4461": "goes", "8161": "epe"}, "bye", "bye", max_digits=4
        ),
        "goes": Transfer("sip:goes@127.0.0.1"),
        "epe": Transfer("sip:epe@127.0.0.1"),
        "bye": Hangup(),
    },
)


async def test_several_digits_are_collected() -> None:
    assert (await run_flow(POSTCODE, FakePort("4", "4", "6", "1"))).target == "sip:goes@127.0.0.1"
    early_end = await run_flow(POSTCODE, FakePort("8", "1", "#"))
    assert early_end.kind is OutcomeKind.HANGUP
    assert ("invalid", "81") in [(e.kind.value, e.detail) for e in early_end.events]
    paused = await run_flow(POSTCODE, FakePort("8", None))
    assert ("invalid", "8") in [(e.kind.value, e.detail) for e in paused.events]


def test_a_flow_loads_from_plain_data() -> None:
    flow = flow_from_json(
        {
            "start": "menu",
            "steps": {
                "menu": {
                    "type": "gather",
                    "prompt": "Toets 1.",
                    "choices": {"1": "a"},
                    "on_timeout": "bye",
                    "on_invalid": "bye",
                    "timeout_s": 3,
                },
                "a": {"type": "transfer", "target": "sip:a@127.0.0.1"},
                "bye": {"type": "hangup"},
            },
        }
    )
    assert flow.steps["menu"] == Gather("Toets 1.", {"1": "a"}, "bye", "bye", 3)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"steps": {}}, "needs a start"),
        ({"start": "x", "steps": {"x": {"type": "dance"}}}, "type must be one of"),
        (
            {"start": "x", "steps": {"x": {"type": "hangup", "volume": 3}}},
            "unknown fields \\['volume'\\]",
        ),
        ({"start": "x", "steps": {"x": []}}, "must be an object"),
        (
            {"start": "x", "steps": {"x": {"type": "play", "text": "a", "next": "y"}}},
            "unknown step 'y'",
        ),
    ],
)
def test_bad_flow_data_is_refused(data: dict[str, object], message: str) -> None:
    with pytest.raises(FlowError, match=message):
        flow_from_json(data)
