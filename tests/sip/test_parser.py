from __future__ import annotations

import pytest

from tests.sip.helpers import invite, request
from veertien.sip.message import (
    HeaderInjectionError,
    Headers,
    Request,
    Response,
    canonical_name,
)
from veertien.sip.parser import ParseError, StreamFramer, check_request, parse_message


def test_parse_request_with_compact_forms_and_folding() -> None:
    data = (
        b"INVITE sip:140113@127.0.0.1 SIP/2.0\r\n"
        b"v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n"
        b"v: SIP/2.0/TCP a.example;branch=z9hG4bK2, SIP/2.0/UDP b.example\r\n"
        b"f: <sip:a@b>;tag=1\r\nt: <sip:140113@127.0.0.1>\r\ni: abc\r\n"
        b"cseq: 7 INVITE\r\nSubject: a long\r\n  folded subject\r\n"
        b"l: 4\r\n\r\nbodyEXTRA"
    )
    msg = parse_message(data)
    assert isinstance(msg, Request)
    assert (msg.method, msg.uri) == ("INVITE", "sip:140113@127.0.0.1")
    assert msg.header("call-id") == "abc" and msg.header("I") == "abc"
    assert msg.header("Subject") == "a long folded subject"
    assert msg.headers.values("Via") == [
        "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1",
        "SIP/2.0/TCP a.example;branch=z9hG4bK2",
        "SIP/2.0/UDP b.example",
    ]
    assert msg.body == b"body"  # extra bytes after Content-Length are ignored (UDP)
    assert [n for n, _ in msg.headers][:3] == ["Via", "Via", "From"]


def test_parse_response() -> None:
    msg = parse_message(
        b"SIP/2.0 302 Moved Temporarily\r\nContact: <sip:x@y>\r\nContent-Length: 0\r\n\r\n"
    )
    assert isinstance(msg, Response)
    assert (msg.status, msg.reason, msg.header("m")) == (302, "Moved Temporarily", "<sip:x@y>")


def test_round_trip_sets_content_length() -> None:
    msg = parse_message(invite(body="v=0\r\n"))
    again = parse_message(msg.to_bytes())
    assert again == msg
    assert b"Content-Length: 5\r\n" in msg.to_bytes()


def test_lf_only_line_ends_are_tolerated() -> None:
    msg = parse_message(invite().replace(b"\r\n", b"\n"))
    assert isinstance(msg, Request) and msg.header("CSeq") == "1 INVITE"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "no empty line"),
        (b"hello world\r\n\r\n", "bad start line"),
        (b"INVITE sip:a@b SIP/3.0\r\n\r\n", "unsupported version"),
        (b"SIP/2.0 99 Odd\r\n\r\n", "bad status code"),
        (b"INVITE sip:a@b SIP/2.0\r\nno colon here\r\n\r\n", "bad header line"),
        (b"INVITE sip:a@b SIP/2.0\r\n folded first\r\n\r\n", "continuation line"),
        (b"INVITE sip:a@b SIP/2.0\r\nContent-Length: x\r\n\r\n", "bad Content-Length"),
        (b"INVITE sip:a@b SIP/2.0\r\nContent-Length: 10\r\n\r\nabc", "body shorter"),
        (b"INVITE sip:a@b SIP/2.0\r\nTo: \xff\xfe\r\n\r\n", "not UTF-8"),
        (b"X" * 70000, "too large"),
    ],
)
def test_garbage_is_a_parse_error_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        parse_message(data)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (request("OPTIONS").replace(b"Call-ID: c1@test\r\n", b""), "Missing Call-ID header"),
        (request("OPTIONS").replace(b"CSeq: 1 OPTIONS", b"CSeq: one OPTIONS"), "bad CSeq"),
        (
            request("OPTIONS").replace(b"CSeq: 1 OPTIONS", b"CSeq: 1 INVITE"),
            "CSeq method does not match",
        ),
        (request("OPTIONS").replace(b"SIP/2.0/UDP", b"HTTP/1.1"), "bad Via"),
        (
            request("OPTIONS").replace(b"OPTIONS sip:", b"OPTIONS http:"),
            "Unsupported Request-URI scheme",
        ),
        (
            request("OPTIONS", extra="Max-Forwards: lots\r\n").replace(
                b"Max-Forwards: 70\r\n", b""
            ),
            "Bad Max-Forwards",
        ),
    ],
)
def test_invalid_requests_say_why(data: bytes, problem: str) -> None:
    msg = parse_message(data)
    assert isinstance(msg, Request)
    checked = check_request(msg)
    assert checked.problem is not None and problem in checked.problem


def test_a_valid_request_passes_the_check_with_its_via_and_cseq() -> None:
    msg = parse_message(invite())
    assert isinstance(msg, Request)
    checked = check_request(msg)
    assert checked.problem is None
    assert checked.via is not None and checked.via.branch == "z9hG4bK-1"
    assert checked.cseq is not None and checked.cseq.number == 1


def test_stream_framer_cuts_by_content_length() -> None:
    framer = StreamFramer()
    one, two = invite(body="abc"), request("OPTIONS")
    stream = b"\r\n\r\n" + one + two
    assert framer.feed(stream[:30]) == []
    assert framer.feed(stream[30:100]) == []
    assert framer.feed(stream[100:]) == [one, two]
    assert framer.feed(b"\r\n") == []


def test_stream_framer_refuses_messages_without_content_length() -> None:
    with pytest.raises(ParseError, match="without Content-Length"):
        StreamFramer().feed(b"OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\n")


def test_headers_helpers() -> None:
    headers = Headers([("content-type", "application/sdp"), ("X-Custom", "1")])
    assert canonical_name("call-id") == "Call-ID" and canonical_name("WWW-AUTHENTICATE") == (
        "WWW-Authenticate"
    )
    assert headers.get("Content-Type") == "application/sdp" and "c" in headers
    replaced = headers.replace("c", "text/plain").add("Allow", "INVITE")
    assert list(replaced) == [
        ("Content-Type", "text/plain"),
        ("X-Custom", "1"),
        ("Allow", "INVITE"),
    ]
    assert headers.replace("X-Custom", None).get("X-Custom") is None


def test_a_bare_cr_in_a_header_never_reaches_a_response() -> None:
    """A bare CR inside From was echoed into the 400/302; a peer may read it as a line end."""
    data = invite().replace(b'"Test" <sip:', b'"Test\rX-Evil: 1" <sip:')
    msg = parse_message(data)
    assert msg.header("From") == '"Test X-Evil: 1" <sip:0612345678@127.0.0.1:5061>;tag=from1'
    assert b"\r" not in msg.to_bytes().replace(b"\r\n", b"")


def test_a_header_value_with_cr_or_lf_is_never_sent() -> None:
    for bad in ("<sip:a@b>\r\nContact: <sip:evil@1.2.3.4>", "<sip:a@b>\nX: 1", "<sip:a@b>\rX: 1"):
        message = Response(302, "Moved Temporarily", Headers([("Contact", bad)]))
        with pytest.raises(HeaderInjectionError, match="CR or LF"):
            message.to_bytes()
    with pytest.raises(HeaderInjectionError):
        Response(200, "OK\r\nX: 1").to_bytes()
