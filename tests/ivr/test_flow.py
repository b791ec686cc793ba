from __future__ import annotations

import pytest

from tests.ivr.fakeport import FakePort
from veertien.ivr.flow import Announce, Confirm, Flow, FlowError, Gather, Hangup, Play, Transfer
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
        ({"x": Gather("a", {"A": "x"}, "x", "x")}, "choices must be DTMF keys"),
        ({"x": Gather("a", {"1": "x"}, "x", "x", timeout_s=0)}, "timeout must be positive"),
        ({"x": Play("a", next="x")}, "never reach a transfer or a hang-up"),
    ],
)
def test_invalid_flows_are_refused(steps: dict[str, Play | Gather], message: str) -> None:
    with pytest.raises(FlowError, match=message):
        Flow("x", steps)
    with pytest.raises(FlowError, match="start step"):
        Flow("nope", {"x": Hangup()})
