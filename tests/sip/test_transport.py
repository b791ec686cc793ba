"""The asyncio transport on loopback: UDP and TCP, IPv4 and IPv6, bad input, timers armed."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest

from tests.sip.helpers import invite, request
from veertien.sip.core import Output, SipCore
from veertien.sip.transport import RateLimitedLog, SipEndpoint


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


async def _endpoint(host: str) -> tuple[SipEndpoint, int, list[Output]]:
    events: list[Output] = []

    def handler(event: Output, now: float) -> list[Output]:
        events.append(event)
        return []

    endpoint = SipEndpoint(SipCore(), handler)
    _, port = await endpoint.start(host, 0)
    return endpoint, port, events


async def _udp_exchange(host: str, port: int, data: bytes) -> bytes:
    loop = asyncio.get_running_loop()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        sock.connect((host, port))
        await loop.sock_sendall(sock, data)
        return await asyncio.wait_for(loop.sock_recv(sock, 65536), 5)


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
async def test_udp_and_tcp_answer_options(host: str) -> None:
    if host == "::1" and not _ipv6_loopback():
        pytest.skip("no IPv6 loopback here")
    endpoint, port, _ = await _endpoint(host)
    try:
        reply = await _udp_exchange(host, port, request("OPTIONS"))
        assert reply.startswith(b"SIP/2.0 200 OK\r\n")
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(b"\r\n\r\n" + request("OPTIONS", branch="z9hG4bK-tcp"))  # keep-alive first
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), 5)
        assert line == b"SIP/2.0 200 OK\r\n"
        writer.close()
    finally:
        await endpoint.close()


async def test_garbage_is_dropped_and_the_server_keeps_answering() -> None:
    endpoint, port, _ = await _endpoint("127.0.0.1")
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for _ in range(20):
                sock.sendto(b"\x00garbage\xff", ("127.0.0.1", port))
        reply = await _udp_exchange("127.0.0.1", port, request("OPTIONS", branch="z9hG4bK-x"))
        assert reply.startswith(b"SIP/2.0 200 OK")
        assert endpoint.counters["dropped"] == 20
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\n")  # no Content-Length on TCP
        await writer.drain()
        assert await asyncio.wait_for(reader.read(), 5) == b""  # the server closed it
    finally:
        await endpoint.close()


async def test_invite_reaches_the_handler_and_a_timer_is_armed() -> None:
    endpoint, port, events = await _endpoint("127.0.0.1")
    try:
        reply = await _udp_exchange("127.0.0.1", port, invite())
        assert reply.startswith(b"SIP/2.0 100 Trying")
        assert [type(e).__name__ for e in events] == ["IncomingRequest"]
    finally:
        await endpoint.close()


def test_rate_limited_log_says_what_it_left_out(caplog: pytest.LogCaptureFixture) -> None:
    log = RateLimitedLog(logging.getLogger("test.rate"), per_second=3)
    with caplog.at_level(logging.WARNING):
        for i in range(10):
            log.warning("bad %d", i)
    assert [r.getMessage() for r in caplog.records] == ["bad 0", "bad 1", "bad 2"]


async def _closed(reader: asyncio.StreamReader, within: float) -> bool:
    """Whether the server closes the connection within `within` seconds."""
    try:
        return await asyncio.wait_for(reader.read(), within) == b""
    except ConnectionError:  # reset by the server (after we wrote to it): closed too
        return True
    except TimeoutError:
        return False


async def test_tcp_connections_are_bounded_and_timed_out() -> None:
    """1,100 slow half-open connections once exhausted the file limit, after which the portal
    and every dialogue failed: connections are bounded, and a slow or silent one is closed."""
    endpoint = SipEndpoint(SipCore(), lambda event, now: [])
    endpoint.max_connections, endpoint.header_s, endpoint.idle_s = 2, 0.3, 0.6
    host, port = await endpoint.start("127.0.0.1", 0)
    try:
        slow = await asyncio.open_connection(host, port)
        silent = await asyncio.open_connection(host, port)
        slow[1].write(b"INVITE sip:140320@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP x")  # no end
        await slow[1].drain()
        third = await asyncio.open_connection(host, port)
        assert await _closed(third[0], 1.0)  # over the limit: closed at once
        assert endpoint.counters["refused_connections"] == 1
        for _ in range(6):  # a byte every 0.1 s does not buy the slow one more time
            await asyncio.sleep(0.1)
            slow[1].write(b"x")
        assert await _closed(slow[0], 0.05)  # closed 0.3 s after its message began
        assert await _closed(silent[0], 1.5)  # nothing at all within 0.6 s
        assert not endpoint.connections
        for _, writer in (slow, silent, third):
            writer.close()
    finally:
        await endpoint.close()
