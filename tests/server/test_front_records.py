"""Call records from a Kamailio front's accounting lines (server/front_records.py); the first
line is one real Kamailio 5.6 wrote with the shipped server/kamailio.cfg."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from veertien.directory import Directory
from veertien.routing import RoutingContext
from veertien.server.front_records import AccError, record_of

AMS = ZoneInfo("Europe/Amsterdam")
LINE = (
    "INVITE|5177SIPpTag002||2-5177@127.0.0.1|302|Moved Temporarily|1796346781|"
    "322d35313737403132372e302e302e31|127.0.0.1|36282|udp|140320|"
    "7369703a30363132333435363738403132372e302e302e313a3336323832||"
    "sip:+31320000001@127.0.0.1:5080|GM0995|single_municipality|0320|"
    "14 0320 (Lelystad) has one municipality taking part: Lelystad; redirect to "
    "sip:+31320000001@127.0.0.1:5080|0ac9f92b7694.e406e23f|1796346781.644041|1796346781.644395"
)


def _hex(text: str) -> str:
    return text.encode().hex()


def _with(line: str, **fields: str) -> str:
    """LINE with some of its extra fields replaced (by their position from the end)."""
    order = ["cid", "src", "sport", "proto", "dialled", "from", "pai", "target",
             "municipality", "rule", "area", "reason", "version", "at", "done"]  # fmt: skip
    head, *extras = line.rsplit("|", len(order))
    for name, value in fields.items():
        extras[order.index(name)] = value
    return "|".join([head, *extras])


def test_a_real_line_is_the_record_a_node_would_write(demo: Directory) -> None:
    record = record_of(LINE, RoutingContext(demo), AMS)
    assert record.call_id == "2-5177@127.0.0.1"
    assert (record.peer, record.transport, record.dialled) == (
        "udp:127.0.0.1:36282",
        "udp",
        "140320",
    )
    assert record.caller == "0612345678"  # from the From URI: no P-Asserted-Identity
    assert (record.response, record.outcome, record.decision) == (302, "redirected", "redirect")
    assert (record.municipality, record.municipality_name) == ("GM0995", "Lelystad")
    assert record.target == "sip:+31320000001@127.0.0.1:5080"
    assert (record.rule, record.final_rule, record.area_code) == (
        "single_municipality", "single_municipality", "0320"
    )  # fmt: skip
    assert record.reason.startswith("14 0320 (Lelystad) has one municipality")
    assert record.data_version == "0ac9f92b7694.e406e23f"
    assert record.started == "2026-12-04T02:13:01.644+01:00"
    assert record.pdd_us == pytest.approx(354.0, abs=1)
    assert record.stages == ("transferred",) and record.route == "direct"


def test_the_asserted_identity_wins_and_ipv6_peers_get_brackets(demo: Directory) -> None:
    line = _with(LINE, pai=_hex("sip:+31201234567@carrier.example"), src="2001:db8::7")
    record = record_of(line, RoutingContext(demo), AMS)
    assert record.caller == "+31201234567"
    assert record.peer == "udp:[2001:db8::7]:36282"


def test_a_bar_in_what_the_caller_sent_cannot_shift_the_fields(demo: Directory) -> None:
    hostile = LINE.replace("5177SIPpTag002", "x|y|z|302", 1)  # acc's own, unencoded part
    record = record_of(hostile, RoutingContext(demo), AMS)
    assert (record.municipality, record.dialled) == ("GM0995", "140320")


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("", "extra fields"),
        ("OPTIONS" + LINE.removeprefix("INVITE"), "INVITE"),
        (_with(LINE, cid="zz"), "hex"),
        (_with(LINE, municipality=""), "no municipality"),
        (_with(LINE, sport="80x"), "port"),
        (_with(LINE, at="soon"), "time"),
        (LINE + "x" * 20_000, "characters"),
    ],
)
def test_a_line_that_cannot_be_a_record_is_refused_with_the_reason(
    demo: Directory, line: str, why: str
) -> None:
    with pytest.raises(AccError, match=why):
        record_of(line, RoutingContext(demo), AMS)
