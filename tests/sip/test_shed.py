"""The cheap 503 under overload: it echoes what a response must (every Via, From, To with our
tag, Call-ID, CSeq), fills in rport and received, parses as a proper response, and leaves
everything unusual to the full parser."""

from __future__ import annotations

import pytest

from tests.sip.helpers import invite
from veertien.sip.message import Response
from veertien.sip.parser import parse_message
from veertien.sip.shed import fast_503

SOURCE = ("192.0.2.5", 40400)


def test_the_cheap_503_is_a_proper_response() -> None:
    data = invite(extra="Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-second\r\n")
    answer = fast_503(data, "ourtag", "veertien/test", 5, SOURCE)
    assert answer is not None
    response = parse_message(answer)
    assert isinstance(response, Response) and response.status == 503
    vias = response.headers.values("Via")
    assert len(vias) == 2 and "received=192.0.2.5" in vias[0] and "rport=40400" in vias[0]
    assert response.header("To") == "<sip:140320@127.0.0.1:5060>;tag=ourtag"
    assert response.header("Call-ID") == "c1@test" and response.header("CSeq") == "1 INVITE"
    assert response.header("Retry-After") == "5"


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ((b"To: <sip:140320@127.0.0.1:5060>", b"To: <sip:140320@127.0.0.1:5060>;tag=x"), "dialog"),
        ((b"Call-ID: c1@test\r\n", b""), "no Call-ID"),
        ((b"Call-ID: c1@test\r\n", b"Call-ID: c1@test\r\nCall-ID: c2\r\n"), "twice"),
        ((b"Call-ID: c1@test\r\n", b"Call-ID: c1@test\r\n continued\r\n"), "folded"),
        ((b"Call-ID: c1@test", b"Call-ID: c1\x01@test"), "a control byte"),
        ((b"CSeq: 1 INVITE", b"CSeq: 1 BYE"), "not an INVITE's CSeq"),
    ],
)
def test_anything_unusual_takes_the_normal_path(change: tuple[bytes, bytes], why: str) -> None:
    data = invite().replace(*change)
    assert fast_503(data, "t", "s", 5, SOURCE) is None, why


def test_a_large_invite_takes_the_normal_path() -> None:
    data = invite(extra="X-Pad: " + "a" * 5000 + "\r\n")
    assert fast_503(data, "t", "s", 5, SOURCE) is None
