"""The redirect handler over the real core and the demo directory, with fake clocks."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import TUESDAY_MORNING
from tests.sip.helpers import invite, request
from veertien.call.redirect import RedirectHandler, caller_of
from veertien.directory import demo_directory
from veertien.records import MemorySink
from veertien.routing import RoutingContext
from veertien.sip.core import Output, SipCore
from veertien.sip.message import Response
from veertien.sip.parser import parse_message
from veertien.sip.transaction import Peer, Transmit, Transport

PEER = Peer(Transport.UDP, "127.0.0.1", 5061)
Call = Callable[[bytes], list[Response]]


@pytest.fixture
def setup() -> tuple[Call, MemorySink]:
    core, sink = SipCore(), MemorySink()
    ctx = RoutingContext(demo_directory())
    ticks = iter(x / 10_000 for x in range(1, 1_000_000))
    handler = RedirectHandler(core, lambda: ctx, sink, lambda: next(ticks), lambda: TUESDAY_MORNING)

    def call(data: bytes) -> list[Response]:
        pending: list[Output] = list(core.receive(data, PEER, 0.0))
        responses = []
        while pending:
            item = pending.pop(0)
            if isinstance(item, Transmit):
                msg = parse_message(item.data)
                assert isinstance(msg, Response)
                responses.append(msg)
            else:
                pending.extend(handler.handle(item, 0.0))
        return responses

    return call, sink


def test_single_municipality_is_redirected_with_diversion(setup: tuple[Call, MemorySink]) -> None:
    call, sink = setup
    trying, moved = call(invite("140320"))
    assert trying.status == 100
    assert (moved.status, moved.reason) == (302, "Moved Temporarily")
    assert moved.header("Contact") == "<sip:+31320000001@127.0.0.1:5080>"
    assert moved.header("Diversion") == "<tel:+31140320>;reason=unconditional;counter=1"
    (record,) = sink.records
    assert (record.dialled, record.caller, record.response, record.rule) == (
        "140320",
        "0612345678",
        302,
        "single_municipality",
    )
    assert record.target == "sip:+31320000001@127.0.0.1:5080" and record.transport == "udp"
    assert (record.municipality, record.municipality_name) == ("GM0995", "Lelystad")
    assert record.data_version == RoutingContext(demo_directory()).data_version
    assert record.pdd_us == 100.0  # the fake clock ticks 100 µs


@pytest.mark.parametrize(
    ("user", "status", "reason"),
    [
        ("140116", 404, "Not A 14 Number"),
        ("14010", 404, "No Municipality For This Area Code"),
        ("14", 480, "Temporarily Unavailable"),
    ],
)
def test_refusals_have_a_reason_phrase(
    setup: tuple[Call, MemorySink], user: str, status: int, reason: str
) -> None:
    call, sink = setup
    final = call(invite(user))[-1]
    assert (final.status, final.reason) == (status, reason)
    assert sink.records[0].outcome == "refused"


def test_shared_area_goes_to_the_area_default_until_the_dialogue_exists(
    setup: tuple[Call, MemorySink],
) -> None:
    call, _ = setup
    final = call(invite("140113"))[-1]
    assert final.status == 302 and final.header("Contact") == "<sip:+31113000004@127.0.0.1:5080>"


def test_bye_outside_a_dialog_is_481(setup: tuple[Call, MemorySink]) -> None:
    call, sink = setup
    assert [r.status for r in call(request("BYE", to_tag="x"))] == [481]
    assert sink.records == []


def test_caller_prefers_p_asserted_identity() -> None:
    assert caller_of("<sip:anonymous@x>;tag=1", "<sip:+31201234567@carrier>") == "+31201234567"
    assert caller_of("broken", None) is None
