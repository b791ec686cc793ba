"""A caller who hangs up in the menu: CANCEL in early media is answered and recorded with the
phase; in-process service, raw SIP over loopback."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from pathlib import Path

import pytest

from tests.call.rawsip import until
from tests.conftest import keys_only
from tests.sip.helpers import invite, request
from veertien.records import MemorySink
from veertien.server.service import start_service
from veertien.storage import DataDir

OFFER = (
    "v=0\r\no=t 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 9 RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\n"
)


@pytest.mark.parametrize(("after_s", "phase"), [(0.5, "greeting"), (5.0, "menu")])
async def test_cancel_in_the_dialogue_is_answered_and_recorded_with_its_phase(
    tmp_path: Path, after_s: float, phase: str
) -> None:
    """The greeting lasts about 2.5 s and the menu of 14 0113's five municipalities some 10 s
    after it: a CANCEL half a second in is one during the greeting, five seconds in one at the
    menu."""
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        if os.environ.get("CI"):
            pytest.fail("espeak-ng and sox are missing")
        pytest.skip("espeak-ng and sox are missing")
    sink = MemorySink()
    service = await start_service(DataDir(keys_only(tmp_path)), "127.0.0.1", 0, sink)
    loop = asyncio.get_running_loop()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.setblocking(False)
        port = sock.getsockname()[1]
        server = ("127.0.0.1", service.address[1])
        try:
            data = invite(
                "140113",
                branch="z9hG4bK-menu",
                port=port,
                extra="Content-Type: application/sdp\r\n",
                body=OFFER,
            )
            await loop.sock_sendto(sock, data, server)
            assert b"m=audio" in await until(sock, b"183")
            await asyncio.sleep(after_s)
            cancel = request("CANCEL", "140113", branch="z9hG4bK-menu", port=port)
            await loop.sock_sendto(sock, cancel, server)
            assert b"CSeq: 1 CANCEL" in await until(sock, b"200")
            assert b"CSeq: 1 INVITE" in await until(sock, b"487")
            await asyncio.sleep(0.1)
        finally:
            await service.close()
    (record,) = sink.records
    assert (record.outcome, record.phase, record.response) == ("cancelled", phase, 487)
    assert record.dialogue[0] == ("prompt", "Welkom bij het telefoonnummer van uw gemeente.")
    assert ("prompted" in record.stages, "transferred" in record.stages) == (True, False)
    assert record.pdd_us > 0, "the 183 went out before the CANCEL: its delay is known"
