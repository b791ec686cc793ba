"""Overload: a node that falls behind answers new calls 503 with Retry-After at once, while the
calls it took, OPTIONS and re-INVITEs go on (the guard over a fake clock, and a real loop that
is held up)."""

from __future__ import annotations

import asyncio
import re
import socket
import time

import pytest

from tests.sip.helpers import invite, request, sent
from veertien.sip.core import IncomingRequest, SipCore
from veertien.sip.overload import WINDOW, OverloadGuard
from veertien.sip.transaction import Peer, Transport
from veertien.sip.transport import SipEndpoint

PEER = Peer(Transport.UDP, "127.0.0.1", 5061)


def _behind(guard: OverloadGuard, lag_s: float, now: float) -> None:
    """A second of probes, each `lag_s` late."""
    for n in range(WINDOW):
        guard.observe(lag_s, now - (WINDOW - 1 - n) * 0.05)


def _admit(guard: OverloadGuard, calls: int, start: float, end: float) -> int:
    """`calls` new INVITEs spread over [start, end): how many were admitted."""
    step = (end - start) / calls
    return sum(not guard.shedding(start + n * step) for n in range(calls))


def test_a_node_that_stays_behind_admits_calls_up_to_a_ceiling() -> None:
    guard = OverloadGuard(max_lag_s=0.1, hold_s=1.0)
    _behind(guard, 0.9, now=2.0)  # starting up (the first five seconds): not counted
    assert not guard.shedding(2.0)
    _behind(guard, 0.02, now=10.0)
    guard.observe(0.8, now=10.05)  # one stall (a GC, a module loaded): no overload
    assert guard.ceiling is None
    assert _admit(guard, 400, 10.05, 11.0) == 400  # 400 calls/s, all taken
    _behind(guard, 0.3, now=11.0)  # a second behind: a ceiling of 3/4 of that
    assert guard.ceiling == pytest.approx(300, abs=5)
    admitted = _admit(guard, 400, 11.0, 12.0)
    assert 0 < admitted <= 300  # the rest answered 503 at once
    _behind(guard, 0.3, now=13.0)  # still behind: a tenth lower
    assert guard.ceiling == pytest.approx(270, abs=5)
    lowest = guard.ceiling
    assert lowest is not None
    _behind(guard, 0.01, now=15.0)  # the window still remembers being behind ...
    _behind(guard, 0.01, now=16.0)  # ... then well in time: raised by a tenth
    assert guard.ceiling == pytest.approx(lowest * 0.9 * 1.1, rel=0.01)
    assert _admit(guard, 100, 16.5, 17.5) == 100  # below the ceiling: nobody refused ...
    assert guard.ceiling is None  # ... for a second: lifted


def test_new_calls_get_503_while_taken_ones_go_on() -> None:
    core = SipCore(guard=OverloadGuard(grace_s=0))
    taken = core.receive(invite(branch="z9hG4bK-taken", call_id="a@t"), PEER, 0.95)
    assert isinstance(taken[-1], IncomingRequest)
    for n in range(7):  # eight calls in the second before the node fell behind
        core.receive(invite(branch=f"z9hG4bK-early{n}", call_id=f"e{n}@t"), PEER, 0.96)
    _behind(core.guard, 0.5, now=1.0)  # the loop half a second late for a second: behind
    (busy,) = sent(core.receive(invite(branch="z9hG4bK-new", call_id="b@t"), PEER, 1.1))
    assert (busy.status, busy.header("Retry-After")) == (503, "5")
    assert not any(k[0] == "z9hG4bK-new" for k in core.servers)  # no transaction, no call
    again = core.receive(invite(branch="z9hG4bK-taken", call_id="a@t"), PEER, 1.2)
    assert [r.status for r in sent(again)] == [100]  # a retransmission is absorbed
    (ok,) = sent(core.receive(request("OPTIONS", branch="z9hG4bK-o"), PEER, 1.3))
    assert ok.status == 200  # a dispatcher still sees the node alive
    reinvite = invite(branch="z9hG4bK-re", call_id="a@t").replace(
        b"To: <sip:140320@127.0.0.1:5060>", b"To: <sip:140320@127.0.0.1:5060>;tag=ours"
    )
    assert isinstance(core.receive(reinvite, PEER, 1.4)[-1], IncomingRequest)  # in a dialog
    assert core.guard.shed == 1
    later = core.receive(invite(branch="z9hG4bK-later", call_id="c@t"), PEER, 3.0)
    assert isinstance(later[-1], IncomingRequest)  # under the ceiling: taken again


async def test_a_held_up_loop_makes_the_endpoint_answer_503() -> None:
    core = SipCore(guard=OverloadGuard(window=4, grace_s=0))  # a quicker test
    endpoint = SipEndpoint(core, lambda event, now: [])
    host, port = await endpoint.start("127.0.0.1", 0)
    loop = asyncio.get_running_loop()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.setblocking(False)
        try:
            await asyncio.sleep(0.1)
            for _ in range(6):  # held up again and again, as under a flood
                time.sleep(0.3)
                await asyncio.sleep(0.01)  # the lag probe fires, late
            await loop.sock_sendto(sock, invite(port=sock.getsockname()[1]), (host, port))
            data = await asyncio.wait_for(loop.sock_recv(sock, 65536), 2)
        finally:
            await endpoint.close()
    assert data.startswith(b"SIP/2.0 503 Overloaded\r\n") and b"Retry-After: 5" in data


def _oc_invite(n: int) -> bytes:
    return invite(branch=f"z9hG4bK-oc{n}", call_id=f"oc{n}@t").replace(b";rport", b";rport;oc", 1)


def test_an_upstream_that_asks_is_told_how_much_to_hold_back_rfc_7339() -> None:
    """A proxy that puts `oc` in its Via hears oc=0 while all is well, and while the node admits
    only up to a ceiling the share of its new calls to hold back, in every response."""
    core = SipCore(guard=OverloadGuard(grace_s=0))
    (trying,) = sent(core.receive(_oc_invite(0), PEER, 0.5))
    via = trying.header("Via") or ""
    assert ";oc=0;" in via and 'oc-algo="loss"' in via and "oc-validity=0" in via
    plain = sent(core.receive(invite(branch="z9hG4bK-plain", call_id="p@t"), PEER, 0.6))
    assert ";oc" not in (plain[0].header("Via") or "")  # not asked: not told
    for n in range(1, 9):
        core.receive(_oc_invite(n), PEER, 0.9)
    _behind(core.guard, 0.5, now=1.0)  # behind: a ceiling below what is offered
    answers = [sent(core.receive(_oc_invite(n), PEER, 1.1))[0] for n in range(10, 40)]
    refused = [a for a in answers if a.status == 503]
    assert refused, "some of the 30 new calls are over the ceiling"
    told = re.search(r";oc=(\d+)", refused[-1].header("Via") or "")
    assert told is not None and 0 < int(told.group(1)) <= 100
    assert "oc-validity=1000" in (refused[-1].header("Via") or "")
