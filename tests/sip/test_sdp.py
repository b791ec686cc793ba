from __future__ import annotations

import pytest

from veertien.sip.sdp import SdpError, answer, choose_audio, parse_sdp

# An offer as baresip makes it, with video that we will refuse.
OFFER = (
    b"v=0\r\no=- 1234 5678 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nb=AS:64\r\nt=0 0\r\n"
    b"m=audio 40000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n"
    b"a=fmtp:101 0-15\r\na=ptime:20\r\na=sendrecv\r\n"
    b"m=video 40002 RTP/AVP 96\r\nc=IN IP4 127.0.0.2\r\na=rtpmap:96 VP8/90000\r\n"
)


def test_parse_offer() -> None:
    sdp = parse_sdp(OFFER)
    assert sdp.origin.session_id == "1234" and sdp.connection == "127.0.0.1"
    audio = sdp.audio()
    assert audio is not None and audio.formats == ("0", "8", "101") and audio.port == 40000
    assert audio.rtpmap() == {
        "0": ("PCMU", 8000),
        "8": ("PCMA", 8000),
        "101": ("TELEPHONE-EVENT", 8000),
    }
    assert audio.direction == "sendrecv" and audio.attribute("ptime") == "20"
    assert sdp.media[1].connection == "127.0.0.2" and sdp.other == ("b=AS:64",)


def test_generate_round_trips() -> None:
    sdp = parse_sdp(OFFER)
    assert parse_sdp(sdp.to_bytes()) == sdp


def test_choose_first_supported_codec_and_the_offers_dtmf_type() -> None:
    choice = choose_audio(parse_sdp(OFFER))
    assert (choice.payload_type, choice.encoding, choice.dtmf_payload_type) == ("0", "PCMU", "101")
    assert (choice.remote_address, choice.remote_port) == ("127.0.0.1", 40000)
    pjsua = OFFER.replace(b"0 8 101", b"8 120").replace(b"rtpmap:101", b"rtpmap:120")
    choice = choose_audio(parse_sdp(pjsua))
    assert (choice.encoding, choice.dtmf_payload_type) == ("PCMA", "120")


def test_answer_keeps_stream_order_and_refuses_video() -> None:
    offer = parse_sdp(OFFER)
    ans = parse_sdp(answer(offer, choose_audio(offer), ("127.0.0.1", 30000), "42").to_bytes())
    audio, video = ans.media
    assert (audio.port, audio.formats, audio.direction) == (30000, ("0", "101"), "sendrecv")
    assert ("fmtp", "101 0-15") in audio.attributes
    assert (video.kind, video.port) == ("video", 0)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"v=0\r\ns=-\r\n", "without an o= line"),
        (b"v=1\r\n", "unsupported SDP version"),
        (b"hello\r\n", "bad SDP line"),
        (b"v=0\r\no=- 1\r\n", "bad o= line"),
        (b"v=0\r\no=- 1 1 IN IP4 a\r\nm=audio x RTP/AVP 0\r\n", "bad m= line"),
        (b"v=0\r\no=- 1 1 IN IP4 a\r\nc=IN IPX a\r\n", "bad c= line"),
        (b"\xff", "not UTF-8"),
    ],
)
def test_bad_sdp_says_why(body: bytes, reason: str) -> None:
    with pytest.raises(SdpError, match=reason):
        parse_sdp(body)


def test_no_g711_or_no_audio_is_refused() -> None:
    with pytest.raises(SdpError, match=r"G\.711"):
        choose_audio(parse_sdp(OFFER.replace(b"0 8 101", b"18")))
    with pytest.raises(SdpError, match="no usable audio"):
        choose_audio(parse_sdp(OFFER.replace(b"m=audio 40000", b"m=audio 0")))
