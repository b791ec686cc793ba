from __future__ import annotations

import pytest

from tests.media.pcap import sipp_pcap, udp_payloads
from veertien.media.rtp import DtmfReceiver, RtpError, RtpPacket, TelephoneEvent


def test_packet_round_trip() -> None:
    packet = RtpPacket(8, 65535, 2**32 - 160, 0xDEADBEEF, b"\xd5" * 160, marker=True)
    assert RtpPacket.parse(packet.to_bytes()) == packet
    assert len(packet.to_bytes()) == 172


def test_csrc_extension_and_padding_are_handled() -> None:
    header = bytes([0xB1, 0x00]) + (1).to_bytes(2, "big") + (0).to_bytes(4, "big") + bytes(4)
    csrc = (7).to_bytes(4, "big")
    extension = b"\xbe\xde\x00\x01" + b"\x01\x02\x03\x04"
    packet = RtpPacket.parse(header + csrc + extension + b"abc" + b"\x00\x02")
    assert packet.payload == b"abc" and packet.csrc == (7,)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x80\x00", "too short"),
        (b"\x40" + bytes(11), "RTP version 1"),
        (b"\x90" + bytes(11), "truncated header extension"),
    ],
)
def test_bad_packets(data: bytes, reason: str) -> None:
    with pytest.raises(RtpError, match=reason):
        RtpPacket.parse(data)


@pytest.mark.parametrize(
    ("name", "digit"),
    [(f"dtmf_2833_{d}.pcap", d) for d in "0123456789"]
    + [("dtmf_2833_star.pcap", "*"), ("dtmf_2833_pound.pcap", "#")],
)
def test_sipp_dtmf_recordings_give_exactly_one_key(name: str, digit: str) -> None:
    packets = [RtpPacket.parse(p) for p in udp_payloads(sipp_pcap(name))]
    assert sum(TelephoneEvent.parse(p.payload).end for p in packets) >= 1
    receiver = DtmfReceiver(packets[0].payload_type)
    keys = [k for p in packets if (k := receiver.feed(p)) is not None]
    assert keys == [digit]


def test_two_presses_of_the_same_key_count_twice_and_other_payloads_not_at_all() -> None:
    receiver = DtmfReceiver(101)

    def press(timestamp: int, end: bool) -> RtpPacket:
        return RtpPacket(101, 1, timestamp, 42, TelephoneEvent(5, end, 10, 800).to_bytes())

    pressed = [
        receiver.feed(press(t, e))
        for t, e in [
            (160, False),
            (160, True),
            (160, True),
            (160, True),
            (4000, True),
            (4000, True),
        ]
    ]
    assert pressed == ["5", None, None, None, "5", None]
    assert receiver.feed(RtpPacket(0, 2, 8000, 42, b"\xff" * 160)) is None
    assert receiver.feed(RtpPacket(101, 3, 9000, 42, b"\x01")) is None
