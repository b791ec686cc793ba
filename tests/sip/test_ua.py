"""The user agent over the real core with a fake transport and a fake clock: requests and their
answers, dialogs found by id, our 2xx kept up until the ACK (or given up on)."""

from __future__ import annotations

import asyncio

from tests.sip.helpers import invite, request
from veertien.sip.core import IncomingRequest, Output, SipCore
from veertien.sip.dialog import Dialog, DialogState
from veertien.sip.message import Response
from veertien.sip.parser import parse_message
from veertien.sip.transaction import Deliver, Peer, Transmit, Transport
from veertien.sip.ua import LocalEndpoint, UserAgent, cancel_for, dialog_id_of, new_request

PEER = Peer(Transport.UDP, "127.0.0.1", 5061)


class Wire:
    """A fake transport: what the user agent sends, and a clock moved by hand."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sent: list[bytes] = []

    def send(self, outputs: list[Output]) -> None:
        self.sent += [o.data for o in outputs if isinstance(o, Transmit)]


def test_the_local_endpoint_writes_via_and_contact() -> None:
    four = LocalEndpoint("127.0.0.1", 5060)
    six = LocalEndpoint("::1", 5070, "0612345678")
    assert four.contact == "<sip:veertien@127.0.0.1:5060>"
    assert six.uri == "sip:0612345678@[::1]:5070"
    assert four.via(Transport.TCP, "z9hG4bKx") == "SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKx;rport"
    assert four.signed("0612345678").uri == "sip:0612345678@127.0.0.1:5060"


def test_a_new_request_and_its_cancel() -> None:
    core = SipCore()
    sent = new_request(core, LocalEndpoint("127.0.0.1", 5070, "06"), "INVITE", "sip:140113@h")
    again = parse_message(sent.to_bytes())
    assert isinstance(again, type(sent)) and again.uri == sent.uri
    assert [h for h in again.headers if h[0] != "Content-Length"] == list(sent.headers)
    assert sent.header("CSeq") == "1 INVITE"
    assert (sent.header("From") or "").startswith("<sip:06@127.0.0.1:5070>;tag=")
    cancel = cancel_for(sent)
    assert (cancel.method, cancel.uri, cancel.header("CSeq")) == ("CANCEL", sent.uri, "1 CANCEL")
    assert all(cancel.header(h) == sent.header(h) for h in ("Via", "From", "To", "Call-ID"))


async def _asking(timeout: float) -> tuple[Wire, SipCore, UserAgent, asyncio.Future[Response]]:
    """A user agent on a fake wire that has just sent an OPTIONS and awaits its answer."""
    wire, core = Wire(), SipCore()
    ua = UserAgent(core, LocalEndpoint("127.0.0.1", 5060), lambda: wire.now, wire.send)
    options = new_request(core, ua.local, "OPTIONS", "sip:kcc@127.0.0.1:5080")
    asking = asyncio.ensure_future(ua.request(options, PEER, timeout))
    await asyncio.sleep(0)
    return wire, core, ua, asking


async def test_a_request_returns_its_final_response() -> None:
    wire, core, ua, asking = await _asking(5.0)
    (out,) = wire.sent
    sent = parse_message(out)
    reply = sent.to_bytes().replace(b"OPTIONS sip:kcc@127.0.0.1:5080 SIP/2.0", b"SIP/2.0 200 OK")
    for event in core.receive(reply, PEER, 0.1):
        assert ua.on_event(event) == []
    response = await asking
    assert response.status == 200


async def test_no_answer_is_a_timeout() -> None:
    _, core, ua, asking = await _asking(60.0)
    timed_out = [e for e in core.on_timers(40.0) if not isinstance(e, Transmit)]
    assert [ua.on_event(e) for e in timed_out] == [[]]
    try:
        await asking
    except TimeoutError:
        pass
    else:
        raise AssertionError("no TimeoutError")


class Owner:
    def __init__(self, core: SipCore) -> None:
        self.core = core
        self.seen: list[str] = []

    def on_request(self, event: IncomingRequest) -> list[Output]:
        self.seen.append(event.request.method)
        return self.core.respond(event.key, 200, now=0.0)


def _invited() -> tuple[Wire, SipCore, UserAgent, IncomingRequest, Dialog]:
    """A user agent on a fake wire with an INVITE to answer, and the dialog it makes."""
    wire, core = Wire(), SipCore()
    ua = UserAgent(core, LocalEndpoint("127.0.0.1", 5060), lambda: wire.now, wire.send)
    event = core.receive(invite(), PEER, 0.0)[-1]
    assert isinstance(event, IncomingRequest)
    dialog = Dialog.as_uas(event.request, core.to_tags[event.key], DialogState.CONFIRMED)
    return wire, core, ua, event, dialog


async def test_answer_waits_for_the_ack_and_dialogs_are_found_by_id() -> None:
    wire, core, ua, event, dialog = _invited()
    owner = Owner(core)
    ua.dialogs[dialog.id] = owner
    answering = asyncio.ensure_future(ua.answer(event, dialog.id, body=b""))
    await asyncio.sleep(0)
    (ok,) = [parse_message(d) for d in wire.sent]
    assert (ok.header("Contact"), getattr(ok, "status", 0)) == (
        "<sip:veertien@127.0.0.1:5060>",
        200,
    )
    tag = dialog.local_tag
    for event_ in core.receive(request("ACK", branch="z9hG4bK-a", to_tag=tag), PEER, 0.3):
        assert ua.on_event(event_) == []
    assert await answering is True
    bye = request("BYE", branch="z9hG4bK-b", to_tag=tag, cseq=2)
    assert dialog_id_of(parse_message(bye)) == dialog.id  # type: ignore[arg-type]
    (incoming,) = [e for e in core.receive(bye, PEER, 1.0) if isinstance(e, IncomingRequest)]
    out = ua.on_event(incoming)
    assert owner.seen == ["BYE"] and out is not None and b"SIP/2.0 200 OK" in out[0].data  # type: ignore[union-attr]
    stranger = request("BYE", branch="z9hG4bK-c", to_tag="nobody", cseq=3)
    (other,) = [e for e in core.receive(stranger, PEER, 1.0) if isinstance(e, IncomingRequest)]
    assert ua.on_event(other) is None


async def test_no_ack_for_our_2xx_ends_the_answer_false() -> None:
    _, core, ua, event, dialog = _invited()
    answering = asyncio.ensure_future(ua.answer(event, dialog.id))
    await asyncio.sleep(0)
    given_up = [e for e in core.on_timers(32.0) if not isinstance(e, Transmit)]
    for item in given_up:
        assert ua.on_event(item) == []
    assert await answering is False
    assert not any(isinstance(e, Deliver) for e in given_up)
