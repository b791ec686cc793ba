"""The UAS core over a fake clock: what it answers by itself and what it hands on."""

from __future__ import annotations

from tests.sip.helpers import invite, request, sent
from veertien.sip.core import (
    AckTimeout,
    Cancelled,
    Dropped,
    IncomingAck,
    IncomingRequest,
    Output,
    SipCore,
)
from veertien.sip.message import Headers, Request
from veertien.sip.transaction import Peer, Transmit, Transport

PEER = Peer(Transport.UDP, "127.0.0.1", 5061)


def statuses(outputs: list[Output]) -> list[int]:
    return [r.status for r in sent(outputs)]


def test_invite_gets_100_then_the_tu_answers_and_ack_is_absorbed() -> None:
    core = SipCore()
    out = core.receive(invite(), PEER, 0.0)
    assert statuses(out) == [100]
    assert sent(out)[0].header("To") == "<sip:140320@127.0.0.1:5060>"  # no tag on 100
    event = out[-1]
    assert isinstance(event, IncomingRequest) and event.request.method == "INVITE"
    reply = core.respond(event.key, 302, headers=[("Contact", "<sip:x@127.0.0.1>")], now=0.0)
    (moved,) = sent(reply)
    assert moved.status == 302 and moved.header("Contact") == "<sip:x@127.0.0.1>"
    assert (moved.header("To") or "").startswith("<sip:140320@127.0.0.1:5060>;tag=")
    assert moved.header("Call-ID") == "c1@test" and moved.header("CSeq") == "1 INVITE"
    assert statuses(core.receive(invite(), PEER, 0.1)) == [302]  # retransmission absorbed
    ack = request("ACK", branch="z9hG4bK-1", to_tag="x")
    assert core.receive(ack, PEER, 0.2) == []
    assert core.next_deadline() == 5.2  # timer I
    core.on_timers(5.2)
    assert core.servers == {} and core.next_deadline() is None


def test_final_response_is_retransmitted_by_timer_g() -> None:
    core = SipCore()
    event = core.receive(invite(), PEER, 0.0)[-1]
    assert isinstance(event, IncomingRequest)
    core.respond(event.key, 404, now=0.0)
    assert statuses(core.on_timers(0.5)) == [404]
    assert statuses(core.on_timers(1.0)) == []
    assert statuses(core.on_timers(1.5)) == [404]


def test_options_is_answered_with_allow() -> None:
    (ok,) = sent(SipCore().receive(request("OPTIONS"), PEER, 0.0))
    assert ok.status == 200 and ok.header("Allow") == "INVITE, ACK, CANCEL, BYE, OPTIONS, NOTIFY"


def test_cancel_gets_200_and_the_invite_487() -> None:
    core = SipCore()
    core.receive(invite(), PEER, 0.0)
    out = core.receive(request("CANCEL", branch="z9hG4bK-1"), PEER, 0.1)
    assert statuses(out) == [200, 487]
    assert isinstance(out[-1], Cancelled)
    assert sent(out)[1].header("CSeq") == "1 INVITE"


def test_cancel_without_invite_is_481() -> None:
    assert statuses(SipCore().receive(request("CANCEL"), PEER, 0.0)) == [481]


def test_max_forwards_zero_is_483() -> None:
    data = invite().replace(b"Max-Forwards: 70", b"Max-Forwards: 0")
    assert statuses(SipCore().receive(data, PEER, 0.0)) == [483]


def test_unknown_method_is_405_with_allow() -> None:
    (resp,) = sent(SipCore().receive(request("PUBLISH"), PEER, 0.0))
    assert (
        resp.status == 405 and resp.header("Allow") == "INVITE, ACK, CANCEL, BYE, OPTIONS, NOTIFY"
    )


def test_required_extension_is_420_with_unsupported() -> None:
    (resp,) = sent(SipCore().receive(invite(extra="Require: 100rel\r\n"), PEER, 0.0))
    assert resp.status == 420 and resp.header("Unsupported") == "100rel"


def test_invalid_request_gets_400_with_the_reason() -> None:
    data = request("OPTIONS").replace(b"CSeq: 1 OPTIONS", b"CSeq: 1 INVITE")
    (resp,) = sent(SipCore().receive(data, PEER, 0.0))
    assert (resp.status, resp.reason) == (400, "CSeq method does not match the request method")


def test_garbage_and_unanswerable_requests_are_dropped() -> None:
    core = SipCore()
    assert isinstance(core.receive(b"\x00\x01garbage", PEER, 0.0)[0], Dropped)
    no_via = request("OPTIONS").replace(
        b"Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-2\r\n", b""
    )
    (dropped,) = core.receive(no_via, PEER, 0.0)
    assert isinstance(dropped, Dropped) and "Missing Via" in dropped.reason
    assert isinstance(core.receive(b"SIP/2.0 200 OK\r\n\r\n", PEER, 0.0)[0], Dropped)


def test_ack_for_a_2xx_goes_to_the_dialog() -> None:
    out = SipCore().receive(request("ACK", branch="z9hG4bK-new", to_tag="t"), PEER, 0.0)
    assert isinstance(out[0], IncomingAck)


def test_received_and_rport_are_stamped_on_the_via() -> None:
    other = Peer(Transport.UDP, "10.1.2.3", 40000)
    out = SipCore().receive(invite(), other, 0.0)
    assert sent(out)[0].header("Via") == (
        "SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-1;received=10.1.2.3;rport=40000"
    )


def test_rfc2543_requests_without_magic_cookie_still_match() -> None:
    core = SipCore()
    data = invite(branch="old1")
    core.receive(data, PEER, 0.0)
    assert statuses(core.receive(data, PEER, 0.1)) == [100]


def test_client_transaction_delivers_the_response() -> None:
    core = SipCore()
    branch = core.new_branch()
    req = Request(
        "OPTIONS",
        "sip:muni@127.0.0.1:5080",
        Headers(
            [
                ("Via", f"SIP/2.0/UDP 127.0.0.1:5060;branch={branch}"),
                ("From", "<sip:v@l>;tag=1"),
                ("To", "<sip:muni@127.0.0.1>"),
                ("Call-ID", "x"),
                ("CSeq", "1 OPTIONS"),
            ]
        ),
    )
    key, out = core.send_request(req, PEER, 0.0)
    assert isinstance(out[0], Transmit)
    reply = (
        f"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch={branch}\r\n"
        "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    ).encode()
    (delivered,) = core.receive(reply, PEER, 0.1)
    assert getattr(delivered, "key", None) == key


def _answered(core: SipCore) -> IncomingRequest:
    event = core.receive(invite(), PEER, 0.0)[-1]
    assert isinstance(event, IncomingRequest)
    (ok,) = sent(core.respond(event.key, 200, headers=[("Contact", "<sip:v@127.0.0.1>")], now=0.0))
    assert ok.status == 200
    return event


def test_a_2xx_is_sent_again_until_its_ack() -> None:
    """RFC 3261 13.3.1.4: the UA core resends its 2xx from T1, doubling up to T2, until the
    ACK; the transaction itself has ended."""
    core = SipCore()
    event = _answered(core)
    assert core.servers.get(event.key) is None
    times = []
    now = 0.0
    while (deadline := core.next_deadline()) is not None and deadline < 10:
        now = deadline
        if statuses(core.on_timers(now)) == [200]:
            times.append(now)
    assert times == [0.5, 1.5, 3.5, 7.5]
    (to,) = [sent([o])[0].header("To") for o in core.on_timers(11.5) if isinstance(o, Transmit)]
    tag = (to or "").split("tag=")[1]
    ack = request("ACK", branch="z9hG4bK-ack", to_tag=tag)
    (acked,) = core.receive(ack, PEER, 12.0)
    assert isinstance(acked, IncomingAck)
    assert core.on_timers(100.0) == [] and core.next_deadline() is None and not core.accepted


def test_no_ack_for_a_2xx_ends_in_ack_timeout() -> None:
    core = SipCore()
    event = _answered(core)
    out = []
    while (deadline := core.next_deadline()) is not None:
        out += core.on_timers(deadline)
    assert [o for o in out if isinstance(o, AckTimeout)] == [AckTimeout(event.key)]
    assert statuses(out) == [200] * 10  # 0.5, 1.5, 3.5, 7.5, 11.5, ... 31.5; 64 * T1 = 32 s
    assert not core.accepted


def test_a_retransmitted_invite_after_the_2xx_gets_the_2xx_not_a_new_call() -> None:
    """RFC 6026: the INVITE again (our 2xx was lost) is no new call."""
    core = SipCore()
    _answered(core)
    again = core.receive(invite(), PEER, 0.2)
    assert statuses(again) == [200]
    assert not [o for o in again if isinstance(o, IncomingRequest)]


def test_a_request_too_large_to_answer_is_a_logged_drop() -> None:
    """A 65 KB INVITE whose 302 could not be sent over UDP once got no answer while its record
    said 302: now it makes no transaction and no record, and says why."""
    core = SipCore()
    huge = invite(extra=f"Subject: {'x' * 100}\r\n").replace(
        b'From: "Test"', b'From: "' + b"T" * 60_000 + b'"'
    )
    (dropped,) = core.receive(huge, PEER, 0.0)
    assert isinstance(dropped, Dropped) and "too large to answer" in dropped.reason
    assert not core.servers
    body = "v=0\r\n" + "a=x\r\n" * 9000  # a large body is no reason: it is not copied
    out = core.receive(invite(body=body), PEER, 0.0)
    assert statuses(out) == [100] and isinstance(out[-1], IncomingRequest)
