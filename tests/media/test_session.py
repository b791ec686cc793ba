"""RTP sessions on loopback: paced playback, keys both ways, symmetric RTP, and the relay."""

from __future__ import annotations

import asyncio
import math
import socket
import struct

from veertien.media.g711 import Law, encode, silence
from veertien.media.rtp import RtpPacket
from veertien.media.session import RtpSession, bare_host


def _socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    return sock


async def _recv(sock: socket.socket) -> bytes:
    return await asyncio.wait_for(asyncio.get_running_loop().sock_recv(sock, 2048), 2)


async def test_playback_is_paced_and_keys_come_back() -> None:
    caller = RtpSession(Law.PCMA, 101, ("127.0.0.1", 9))
    platform = RtpSession(Law.PCMA, 101, ("127.0.0.1", 9))
    caller_port, platform_port = await caller.open("127.0.0.1"), await platform.open("127.0.0.1")
    caller.remote, platform.remote = ("127.0.0.1", platform_port), ("127.0.0.1", caller_port)
    caller.recording = bytearray()
    try:
        start = asyncio.get_running_loop().time()
        assert await platform.play(silence(Law.PCMA, 160 * 10)) is False
        elapsed = asyncio.get_running_loop().time() - start
        assert 0.17 < elapsed < 0.5  # ten 20 ms packets: the last leaves after 180 ms
        await asyncio.sleep(0.05)
        assert len(caller.recording) == 1600
        await caller.send_key("7", 101)
        assert await platform.key(1.0) == "7"
        assert await platform.play(silence(Law.PCMA, 160 * 50)) is False
        await caller.send_key("#", 101)
        assert await platform.play(silence(Law.PCMA, 160 * 100)) is True  # barge-in
        assert await platform.key(0.1) == "#"
    finally:
        caller.close()
        platform.close()


async def test_bridged_sessions_relay_packets_both_ways_untouched() -> None:
    caller, municipality = _socket(), _socket()
    leg_a = RtpSession(Law.PCMU, 101, caller.getsockname())
    leg_b = RtpSession(Law.PCMU, 101, municipality.getsockname())
    port_a, port_b = await leg_a.open("127.0.0.1"), await leg_b.open("127.0.0.1")
    leg_a.relay, leg_b.relay = leg_b, leg_a
    loop = asyncio.get_running_loop()
    try:
        packet = RtpPacket(0, 1, 160, 42, b"\x55" * 160).to_bytes()
        await loop.sock_sendto(caller, packet, ("127.0.0.1", port_a))
        assert await _recv(municipality) == packet
        answer = RtpPacket(0, 9, 320, 43, b"\x66" * 160).to_bytes()
        await loop.sock_sendto(municipality, answer, ("127.0.0.1", port_b))
        assert await _recv(caller) == answer
    finally:
        leg_a.close()
        leg_b.close()
        caller.close()
        municipality.close()


async def _pair() -> tuple[RtpSession, RtpSession]:
    """A caller's and the platform's session, each sending to the other."""
    caller = RtpSession(Law.PCMU, 101, ("127.0.0.1", 9))
    platform = RtpSession(Law.PCMU, 101, ("127.0.0.1", 9))
    caller_port, platform_port = await caller.open("127.0.0.1"), await platform.open("127.0.0.1")
    caller.remote, platform.remote = ("127.0.0.1", platform_port), ("127.0.0.1", caller_port)
    return caller, platform


def _tone(samples: int, amplitude: int, hz: int) -> bytes:
    """8 kHz 16-bit PCM of a sine: "speech" for the endpointer."""
    wave = (int(amplitude * math.sin(2 * math.pi * hz * n / 8000)) for n in range(samples))
    return struct.pack(f"<{samples}h", *wave)


async def test_an_utterance_is_cut_out_with_its_onset() -> None:
    caller, platform = await _pair()
    tone = _tone(4000, 6000, 300)  # 500 ms of "speech"
    quiet = b"\0\0" * 8000  # then a second of quiet, so the endpointer sees the end
    try:
        sending = asyncio.ensure_future(caller.play(encode(tone + quiet, Law.PCMU), False))
        said = await platform.answer(5.0, speech=True)
        await sending
    finally:
        caller.close()
        platform.close()
    assert isinstance(said, bytes)
    assert 0.5 <= len(said) / 16000 <= 1.2  # the tone, its onset and the quiet that ended it


async def test_an_answers_time_out_waits_for_a_caller_still_speaking() -> None:
    """The menu's time-out runs out while the caller is mid-sentence: the answer is the whole
    utterance, not a time-out."""
    caller, platform = await _pair()
    speech = encode(_tone(1600, 8000, 440) * 6, Law.PCMU)  # 1.2 s of sound
    try:
        talking = asyncio.ensure_future(caller.play(speech, barge_in=False))
        answer = await platform.answer(0.5, speech=True)  # runs out 0.5 s into it
        await talking
        assert isinstance(answer, bytes) and len(answer) > 16000  # more than a second of it
    finally:
        caller.close()
        platform.close()


class _Wire:
    """A fake datagram transport: what the session sends, and where to."""

    def __init__(self) -> None:
        self.sent: list[tuple[bytes, tuple[str, int]]] = []

    def sendto(self, data: bytes, addr: tuple[str, int]) -> None:
        self.sent.append((data, addr))


def _key_packets(event: int, seq: int) -> list[bytes]:
    """One RFC 4733 key press: an update and the end packet."""
    start = struct.pack("!BBH", event, 10, 160)
    end = struct.pack("!BBH", event, 0x80 | 10, 320)
    return [
        RtpPacket(101, seq, 8000, 7, start).to_bytes(),
        RtpPacket(101, seq + 1, 8000, 7, end).to_bytes(),
    ]


def _guarded(send_unlatched: bool) -> tuple[RtpSession, _Wire]:
    session = RtpSession(Law.PCMA, 101, ("127.0.0.1", 40000))
    wire = _Wire()
    session.transport = wire  # type: ignore[assignment]
    session.trust({"127.0.0.1"}, send_unlatched=send_unlatched)
    return session, wire


async def test_a_third_party_cannot_press_keys_for_the_caller() -> None:
    """An injected DTMF 3 once sent the caller to Reimerswaal: RTP is taken only from a trusted
    host until latched, then from the latched address alone."""
    session, _ = _guarded(send_unlatched=True)
    for data in _key_packets(3, 1):
        session.datagram_received(data, ("127.0.0.2", 4000))  # another host
    assert session.keys.empty() and session.latched is None and session.refused == 2
    session.datagram_received(
        RtpPacket(8, 1, 160, 9, b"\xd5" * 160).to_bytes(), ("127.0.0.1", 5000)
    )
    assert session.latched == ("127.0.0.1", 5000) and session.remote == ("127.0.0.1", 5000)
    for data in _key_packets(3, 10):
        session.datagram_received(data, ("127.0.0.1", 5002))  # the same host, another port
    assert session.keys.empty() and session.remote == ("127.0.0.1", 5000)
    for data in _key_packets(2, 20):
        session.datagram_received(data, ("127.0.0.1", 5000))  # the caller itself
    assert session.keys.get_nowait() == "2"


async def test_no_audio_goes_to_an_address_that_has_not_proven_itself() -> None:
    """An INVITE whose SDP names somebody else's address once made the server stream 236 KB
    of prompts there: until the caller's own RTP arrives, nothing is sent."""
    session, wire = _guarded(send_unlatched=False)
    assert await session.play(silence(Law.PCMA, 160 * 3)) is False
    assert wire.sent == [] and session.withheld == 3
    session.datagram_received(
        RtpPacket(8, 1, 160, 9, b"\xd5" * 160).to_bytes(), ("127.0.0.1", 5000)
    )
    assert await session.play(silence(Law.PCMA, 160 * 2)) is False
    assert [addr for _, addr in wire.sent] == [("127.0.0.1", 5000)] * 2


def test_hosts_compare_without_brackets_or_ipv4_mapping() -> None:
    assert bare_host("[::1]") == "::1" and bare_host("::ffff:127.0.0.1") == "127.0.0.1"
    assert bare_host("127.0.0.1") == "127.0.0.1"
