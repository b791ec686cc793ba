"""The traffic generator's mix, plans and summary (the real calls are in tests/e2e)."""

from __future__ import annotations

import pytest

from veertien.sip.core import SipCore
from veertien.sip.message import Headers, Response
from veertien.sip.ua import cancel_for
from veertien.testcall.caller import CallResult, build_invite
from veertien.testcall.traffic import (
    KINDS,
    Numbers,
    Outcome,
    TrafficError,
    parse_mix,
    plans,
    scaled,
    summary,
)


def test_mix() -> None:
    assert parse_mix("direct=3, keys=2,direct=1") == {"direct": 4, "keys": 2}
    for bad, why in (("", "empty"), ("walk=2", "unknown kind"), ("keys=0", "positive"),
                     ("keys=x", "positive")):  # fmt: skip
        with pytest.raises(TrafficError, match=why):
            parse_mix(bad)


def test_scaled() -> None:
    assert scaled({"direct": 2, "keys": 1}, None) == {"direct": 2, "keys": 1}
    assert scaled({"direct": 2, "keys": 1}, 30) == {"direct": 20, "keys": 10}
    assert sum(scaled({"a": 3, "b": 3, "c": 1}, 100).values()) == 100
    with pytest.raises(TrafficError):
        scaled({"direct": 1, "keys": 1}, 1)


def test_plans_cover_every_kind_reproducibly() -> None:
    mix = dict.fromkeys(KINDS, 2)
    first = plans(mix, Numbers(), lambda text: b"\0\0" * 4000)
    assert len(first) == 2 * len(KINDS)
    assert [p.kind for p in first] == [p.kind for p in plans(mix, Numbers(), lambda t: b"")]
    by_kind = {p.kind: p for p in first}
    assert by_kind["direct"].dialled == "140320" and by_kind["refused"].expect == 404
    assert by_kind["invalid"].keys == "92" and by_kind["timeout"].keys == ""
    assert by_kind["hangup-menu"].script.hang_up_after_s == 4.5
    name = by_kind["hangup-name"].script
    assert name.audio and name.hang_up_after_s is not None
    assert name.hang_up_after_s > name.say_after_s + len(name.audio) / 8000


def test_summary_counts_what_was_made_and_seen() -> None:
    (plan,) = plans({"keys": 1}, Numbers(), lambda t: b"")
    ok = Outcome(plan, CallResult((Response(302, "Moved", Headers()),), False))
    lost = Outcome(plan, CallResult((), True))
    result = summary([ok, lost])
    assert result["made"] == {"keys": 2} and result["as_expected"] == 1
    assert result["final_status"] == {"keys": {"302": 1, "none": 1}}
    assert result["unexpected"] == [
        {"kind": "keys", "dialled": "140113", "expected": 302, "got": None}
    ]


def test_cancel_matches_its_invite() -> None:
    core = SipCore()
    invite = build_invite(core, "140113", ("127.0.0.1", 5060), ("127.0.0.1", 5070),
                          caller="0612345678", rtp_port=4000)  # fmt: skip
    cancel = cancel_for(invite)
    assert cancel.method == "CANCEL" and cancel.uri == invite.uri
    for name in ("Via", "From", "To", "Call-ID"):
        assert cancel.header(name) == invite.header(name)
    assert cancel.header("CSeq") == "1 CANCEL" and cancel.body == b""
