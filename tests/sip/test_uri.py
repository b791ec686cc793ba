from __future__ import annotations

import pytest

from veertien.sip.uri import (
    CSeq,
    NameAddr,
    SipSyntaxError,
    SipUri,
    Via,
    destination_uri,
    split_commas,
)


@pytest.mark.parametrize(
    ("text", "user", "host", "port"),
    [
        ("sip:140320@127.0.0.1:5060", "140320", "127.0.0.1", 5060),
        ("sip:+31320000001@127.0.0.1:5080;user=phone", "+31320000001", "127.0.0.1", 5080),
        ("sips:alice:secret@Example.COM", "alice", "example.com", None),
        ("sip:[::1]:5060;transport=tcp", None, "[::1]", 5060),
        ("sip:example.net", None, "example.net", None),
        ("tel:+31-14-0113;phone-context=+31", "+31-14-0113", "", None),
    ],
)
def test_uri_parse(text: str, user: str | None, host: str, port: int | None) -> None:
    uri = SipUri.parse(text)
    assert (uri.user, uri.host, uri.port) == (user, host, port)


def test_uri_round_trip_and_params() -> None:
    uri = SipUri.parse("sip:+31320000001@127.0.0.1:5080;user=phone;lr?subject=x")
    assert uri.param("user") == "phone" and uri.param("lr") is None and uri.headers == "subject=x"
    assert str(uri) == "sip:+31320000001@127.0.0.1:5080;user=phone;lr?subject=x"


@pytest.mark.parametrize(
    "text",
    [
        "http://x",
        "sip:",
        "sip:@host",
        "sip:a@host:99999",
        "sip:a@ho st",
        "tel:",
        "tel:xyz",
        "sip:a@host;=x",
    ],
)
def test_bad_uris(text: str) -> None:
    with pytest.raises(SipSyntaxError):
        SipUri.parse(text)


def test_name_addr() -> None:
    value = NameAddr.parse('"Gemeente, Goes" <sip:a@b;lr>;tag=abc;x')
    assert (value.display, value.uri, value.tag) == ('"Gemeente, Goes"', "sip:a@b;lr", "abc")
    bare = NameAddr.parse("sip:a@b;tag=1")
    assert (bare.uri, bare.tag) == ("sip:a@b", "1")
    assert str(NameAddr.parse("<sip:a@b>").with_tag("t")) == "<sip:a@b>;tag=t"
    for bad in ("<sip:a@b", "nothing", "<>"):
        with pytest.raises(SipSyntaxError):
            NameAddr.parse(bad)


def test_via() -> None:
    via = Via.parse("SIP/2.0/udp 127.0.0.1:5061;branch=z9hG4bK-1;rport")
    assert (via.transport, via.sent_by, via.branch, via.has_param("rport")) == (
        "UDP",
        "127.0.0.1:5061",
        "z9hG4bK-1",
        True,
    )
    stamped = via.with_params(received="10.0.0.1", rport="5999")
    assert str(stamped) == (
        "SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-1;received=10.0.0.1;rport=5999"
    )
    assert Via.parse("SIP/2.0/TCP [::1]:5060;branch=z9hG4bKx").host == "[::1]"
    with pytest.raises(SipSyntaxError):
        Via.parse("SIP/2.0/UDP")


def test_cseq_and_commas() -> None:
    assert CSeq.parse(" 42 INVITE ") == CSeq(42, "INVITE")
    with pytest.raises(SipSyntaxError):
        CSeq.parse("99999999999 INVITE")
    assert split_commas('<sip:a@b;x=1,2>, "A, B" <sip:c@d>,  ,e') == [
        "<sip:a@b;x=1,2>",
        '"A, B" <sip:c@d>',
        "e",
    ]


INJECTIONS = [
    "sip:kcc@goes.example\r\nContact: <sip:evil@1.2.3.4>",
    "sip:kcc@goes.example\nX-Evil: 1",
    "sip:kcc@goes.example\rX: 1",
    "sip:kcc\r\nContact: <sip:evil@1.2.3.4>@goes.example",
    "sip:kcc@goes.example;transport=udp\r\nContact: <sip:evil@1.2.3.4>",
    "sip:kcc@goes.example>,<sip:evil@1.2.3.4",
    'sip:kcc@goes.example;x="a b"',
    "sip:kcc@goes.example;x=a,b",
    "sip:kcc@goes.example?Route=%3Csip:evil@1.2.3.4%3E\r\n",
    "tel:+31113000000;x=\r\nContact: <sip:evil@1.2.3.4>",
    "sip:k cc@goes.example",
    "sip:kcc@goes.example\x00",
]


@pytest.mark.parametrize("text", INJECTIONS)
def test_uris_that_would_break_a_header_are_refused(text: str) -> None:
    with pytest.raises(SipSyntaxError):
        SipUri.parse(text)
    with pytest.raises(SipSyntaxError):
        destination_uri(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("sip:kcc@goes.example?Route=%3Csip:evil%401.2.3.4%3E", "URI headers"),
        ("sip:" + "a" * 300 + "@goes.example", "longer than 256"),
        ("mailto:kcc@goes.example", "unsupported URI scheme"),
    ],
)
def test_destinations_take_no_headers_and_have_a_size(text: str, reason: str) -> None:
    with pytest.raises(SipSyntaxError, match=reason):
        destination_uri(text)


@pytest.mark.parametrize(
    "text",
    [
        "sip:kcc@goes.example",
        "sips:+31113000000@kcc.goes.example:5061;user=phone",
        "tel:+31113249249",
        "sip:kcc@[2001:db8::1]:5060;transport=tcp",
        "sip:%2Bkcc@goes.example",
    ],
)
def test_ordinary_destinations_pass(text: str) -> None:
    assert destination_uri(f" {text} ") == text
