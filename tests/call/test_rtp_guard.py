"""The RTP edge of a real server (in-process, raw SIP and RTP over loopback): a third party
cannot press keys for a caller, and an INVITE cannot aim the prompts at somebody else."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import struct
from pathlib import Path

import pytest

from tests.call.rawsip import until
from tests.conftest import keys_only
from tests.sip.helpers import invite, request
from veertien.media.rtp import RtpPacket
from veertien.records import MemorySink
from veertien.server.service import start_service
from veertien.storage import DataDir


def _offer(host: str, port: int) -> str:
    return (
        f"v=0\r\no=t 1 1 IN IP4 {host}\r\ns=-\r\nc=IN IP4 {host}\r\nt=0 0\r\n"
        f"m=audio {port} RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\n"
    )


def _udp(host: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((host, 0))
    sock.setblocking(False)
    return sock


def _media_port(sdp_message: bytes) -> int:
    found = re.search(rb"m=audio (\d+)", sdp_message)
    assert found is not None
    return int(found.group(1))


def _key(event: int, seq: int) -> list[bytes]:
    start = struct.pack("!BBH", event, 10, 160)
    end = struct.pack("!BBH", event, 0x80 | 10, 320)
    return [
        RtpPacket(101, seq + n, 8000, 77, p).to_bytes() for n, p in enumerate((start, end, end))
    ]


@pytest.mark.usefixtures("voices")
async def test_keys_from_a_third_party_are_ignored(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text(json.dumps({"key_timeout_s": 1}))
    sink = MemorySink()
    service = await start_service(DataDir(keys_only(tmp_path)), "127.0.0.1", 0, sink)
    loop = asyncio.get_running_loop()
    server = ("127.0.0.1", service.address[1])
    with _udp("127.0.0.1") as sip, _udp("127.0.0.1") as rtp, _udp("127.0.0.2") as other:
        try:
            body = _offer("127.0.0.1", rtp.getsockname()[1])
            data = invite("140113", branch="z9hG4bK-hijack", port=sip.getsockname()[1],
                          extra="Content-Type: application/sdp\r\n", body=body)  # fmt: skip
            await loop.sock_sendto(sip, data, server)
            media = ("127.0.0.1", _media_port(await until(sip, b"183")))
            for packet in _key(3, 1):  # before the caller sends anything, from another host
                await loop.sock_sendto(other, packet, media)
            silence = RtpPacket(8, 100, 160, 5, b"\xd5" * 160).to_bytes()
            await loop.sock_sendto(rtp, silence, media)  # the caller's own RTP: it latches
            await asyncio.sleep(0.1)
            with _udp("127.0.0.1") as same_host:
                for packet in _key(3, 10):  # the caller's host, another port
                    await loop.sock_sendto(same_host, packet, media)
            await asyncio.sleep(1.0)
            for packet in _key(2, 20):  # the caller itself: Goes
                await loop.sock_sendto(rtp, packet, media)
            moved = await until(sip, b"302")
            assert b"sip:+31113000001@127.0.0.1:5080" in moved  # Goes, not Reimerswaal (key 3)
            ack = request("ACK", "140113", branch="z9hG4bK-hijack", port=sip.getsockname()[1],
                          to_tag="x")  # fmt: skip
            await loop.sock_sendto(sip, ack, server)
        finally:
            await service.close()
    (record,) = sink.records
    assert ("key", "3") not in record.dialogue and ("key", "2") in record.dialogue


@pytest.mark.usefixtures("voices")
async def test_prompts_are_not_sent_to_an_address_that_did_not_ask(tmp_path: Path) -> None:
    """The INVITE comes from 127.0.0.1 but its SDP names 127.0.0.2 (the 'victim'): no RTP
    reaches the victim; the call still gets its answers."""
    sink = MemorySink()
    service = await start_service(DataDir(keys_only(tmp_path)), "127.0.0.1", 0, sink)
    loop = asyncio.get_running_loop()
    server = ("127.0.0.1", service.address[1])
    with _udp("127.0.0.1") as sip, _udp("127.0.0.2") as victim:
        try:
            body = _offer("127.0.0.2", victim.getsockname()[1])
            port = sip.getsockname()[1]
            data = invite("140113", branch="z9hG4bK-reflect", port=port,
                          extra="Content-Type: application/sdp\r\n", body=body)  # fmt: skip
            await loop.sock_sendto(sip, data, server)
            await until(sip, b"183")
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(loop.sock_recv(victim, 2048), 3.0)
            cancel = request("CANCEL", "140113", branch="z9hG4bK-reflect", port=port)
            await loop.sock_sendto(sip, cancel, server)
            await until(sip, b"487")
        finally:
            await service.close()
    (record,) = sink.records
    assert record.outcome == "cancelled"
