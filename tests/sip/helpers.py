"""Builders for SIP test messages."""

from __future__ import annotations

from collections.abc import Sequence

from veertien.sip.message import Response
from veertien.sip.parser import parse_message
from veertien.sip.transaction import Transmit


def sent(outputs: Sequence[object]) -> list[Response]:
    """The responses among a core's or user agent's outputs, parsed."""
    responses = []
    for item in outputs:
        if isinstance(item, Transmit):
            message = parse_message(item.data)
            assert isinstance(message, Response)
            responses.append(message)
    return responses


def invite(
    user: str = "140320",
    branch: str = "z9hG4bK-1",
    *,
    call_id: str = "c1@test",
    extra: str = "",
    port: int = 5061,
    transport: str = "UDP",
    body: str = "",
) -> bytes:
    return (
        f"INVITE sip:{user}@127.0.0.1:5060 SIP/2.0\r\n"
        f"Via: SIP/2.0/{transport} 127.0.0.1:{port};branch={branch};rport\r\n"
        f'From: "Test" <sip:0612345678@127.0.0.1:{port}>;tag=from1\r\n'
        f"To: <sip:{user}@127.0.0.1:5060>\r\n"
        f"Call-ID: {call_id}\r\n"
        f"CSeq: 1 INVITE\r\n"
        f"Contact: <sip:caller@127.0.0.1:{port}>\r\n"
        f"Max-Forwards: 70\r\n{extra}"
        f"Content-Length: {len(body.encode())}\r\n\r\n{body}"
    ).encode()


def request(
    method: str,
    user: str = "140320",
    branch: str = "z9hG4bK-2",
    *,
    call_id: str = "c1@test",
    cseq: int = 1,
    to_tag: str = "",
    extra: str = "",
    port: int = 5061,
) -> bytes:
    tag = f";tag={to_tag}" if to_tag else ""
    return (
        f"{method} sip:{user}@127.0.0.1:5060 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch={branch}\r\n"
        f"From: <sip:0612345678@127.0.0.1:{port}>;tag=from1\r\n"
        f"To: <sip:{user}@127.0.0.1:5060>{tag}\r\n"
        f"Call-ID: {call_id}\r\n"
        f"CSeq: {cseq} {method}\r\n"
        f"Max-Forwards: 70\r\n{extra}"
        f"Content-Length: 0\r\n\r\n"
    ).encode()
