"""The sip package's public API, pinned: a name added or removed is a decision seen in review."""

from __future__ import annotations

import veertien.sip

PINNED = {
    "MAX_MESSAGE", "REASONS", "AckTimeout", "AudioChoice", "CSeq", "Cancelled", "CoreConfig",
    "Deliver", "Dialog", "DialogError", "DialogId", "DialogState", "DialogUser", "Dropped",
    "HeaderInjectionError", "Headers", "IncomingAck", "IncomingRequest", "LocalEndpoint",
    "Media", "Message", "NameAddr", "Output", "ParseError", "Peer", "Request", "Response",
    "SdpError", "SessionDescription", "SipCore", "SourceGuard", "SourcePolicy", "networks",
    "SipEndpoint", "SipSyntaxError", "SipUri",
    "StreamFramer", "Timeout", "TimerValues", "Transmit", "Transport", "TxnKey", "UserAgent",
    "Via", "answer", "cancel_for", "check_request", "choose_audio", "client_key",
    "destination_uri", "dialog_id_of", "make_response", "new_request", "offer",
    "parse_message", "parse_sdp", "split_commas", "tag_of", "top_via",
}  # fmt: skip


def test_all_is_pinned_sorted_and_real() -> None:
    exported = veertien.sip.__all__
    assert set(exported) == PINNED
    assert len(exported) == len(set(exported))
    for name in exported:
        assert hasattr(veertien.sip, name), name


def test_every_public_name_of_the_package_is_in_all() -> None:
    public = {n for n in vars(veertien.sip) if not n.startswith("_")}
    modules = {
        "admission",
        "core",
        "dialog",
        "message",
        "overload",
        "parser",
        "sdp",
        "shed",
        "transaction",
        "transport",
        "ua",
        "uri",
    }
    assert public - modules == set(veertien.sip.__all__)
