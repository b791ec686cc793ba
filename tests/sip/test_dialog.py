from __future__ import annotations

import pytest

from tests.sip.helpers import invite, request
from veertien.sip.dialog import Dialog, DialogError, DialogState
from veertien.sip.message import Request
from veertien.sip.parser import parse_message


def _req(data: bytes) -> Request:
    msg = parse_message(data)
    assert isinstance(msg, Request)
    return msg


def test_uas_dialog_from_invite() -> None:
    extra = "Record-Route: <sip:p1;lr>, <sip:p2;lr>\r\n"
    dialog = Dialog.as_uas(_req(invite(extra=extra)), "ours")
    assert dialog.id == ("c1@test", "ours", "from1")
    assert dialog.remote_target == "sip:caller@127.0.0.1:5061"
    assert dialog.route_set == ("<sip:p1;lr>", "<sip:p2;lr>")
    assert dialog.local_uri == "<sip:140320@127.0.0.1:5060>;tag=ours"
    assert dialog.state is DialogState.EARLY and dialog.confirmed().state is DialogState.CONFIRMED


def test_in_dialog_request_carries_route_tags_and_rising_cseq() -> None:
    extra = "Record-Route: <sip:p1;lr>\r\n"
    dialog = Dialog.as_uas(_req(invite(extra=extra)), "ours").confirmed()
    dialog, refer = dialog.request(
        "REFER",
        "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKa",
        headers=(("Refer-To", "<sip:+31113000001@127.0.0.1>"),),
    )
    assert refer.uri == "sip:caller@127.0.0.1:5061" and refer.header("Route") == "<sip:p1;lr>"
    assert refer.header("From") == "<sip:140320@127.0.0.1:5060>;tag=ours"
    assert refer.header("To") == '"Test" <sip:0612345678@127.0.0.1:5061>;tag=from1'
    assert refer.header("CSeq") == "1 REFER"
    dialog, bye = dialog.request("BYE", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKb")
    assert bye.header("CSeq") == "2 BYE"


def test_matching_and_cseq_order() -> None:
    dialog = Dialog.as_uas(_req(invite()), "ours").confirmed()
    bye = _req(request("BYE", to_tag="ours", cseq=2))
    assert dialog.matches(bye) and dialog.receive(bye).remote_seq == 2
    assert not dialog.matches(_req(request("BYE", to_tag="other", cseq=2)))
    with pytest.raises(DialogError, match="CSeq 1 is not above 1"):
        dialog.receive(_req(request("BYE", to_tag="ours", cseq=1)))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ((b"Contact: <sip:caller@127.0.0.1:5061>\r\n", b""), "without a Contact"),
        ((b";tag=from1", b""), "From without a tag"),
    ],
)
def test_invites_that_cannot_make_a_dialog(change: tuple[bytes, bytes], reason: str) -> None:
    with pytest.raises(DialogError, match=reason):
        Dialog.as_uas(_req(invite().replace(*change)), "ours")
