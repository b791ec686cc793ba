"""asyncio transports for the sans-I/O SIP core: UDP and TCP, IPv4 and IPv6.

This is the only SIP module that touches sockets or the event loop's clock. It feeds received
bytes to `SipCore`, transmits what the core returns, hands everything else to the handler, and
keeps one loop timer armed for the core's next transaction deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import socket
import time
from collections import deque
from collections.abc import Callable
from typing import cast

from veertien.sip.admission import SourceBlocked
from veertien.sip.core import Dropped, Output, SipCore
from veertien.sip.overload import PROBE_S
from veertien.sip.parser import ParseError, StreamFramer
from veertien.sip.transaction import Peer, Transmit, Transport

log = logging.getLogger("veertien.sip")
security = logging.getLogger("veertien.security")  # blocked sources, one line each
UDP_BUFFER = 4 << 20  # bytes the kernel may hold for us: about 2,000 datagrams

Handler = Callable[[Output, float], list[Output]]
REPORT_S = 10.0  # an overload is said in the log at most once per this many seconds
MAX_CONNECTIONS = 512  # TCP connections at once: a file descriptor each, and the portal needs some
HEADER_S = 10.0  # a TCP connection must complete a message this soon after it starts one
IDLE_S = 300.0  # ... and send something this often (RFC 5626 keep-alives are CRLFs)


class RateLimitedLog:
    """Logs at most `per_second` lines a second; says how many it left out."""

    def __init__(self, logger: logging.Logger, per_second: int = 5) -> None:
        self.logger = logger
        self.per_second = per_second
        self._window = 0
        self._count = 0
        self._suppressed = 0

    def warning(self, message: str, *args: object) -> None:
        second = int(time.monotonic())
        if second != self._window:
            if self._suppressed:
                self.logger.warning("... %d more like that left out", self._suppressed)
            self._window, self._count, self._suppressed = second, 0, 0
        if self._count < self.per_second:
            self._count += 1
            self.logger.warning(message, *args)
        else:
            self._suppressed += 1


class SipEndpoint:
    def __init__(self, core: SipCore, handler: Handler) -> None:
        self.core = core
        self.handler = handler
        self.loop = asyncio.get_running_loop()
        self.udp: asyncio.DatagramTransport | None = None
        self.servers: list[asyncio.Server] = []
        self.connections: dict[int, asyncio.Transport] = {}
        self._conn_ids = itertools.count(1)
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0  # uvloop's handles do not tell when they fire
        self.drops = RateLimitedLog(log)
        self.counters = {"received": 0, "sent": 0, "dropped": 0, "refused_connections": 0}
        self.max_connections = MAX_CONNECTIONS
        self.header_s, self.idle_s = HEADER_S, IDLE_S
        self._probe: asyncio.TimerHandle | None = None
        self._probe_due = 0.0
        self._reported_at = 0.0

    async def start(self, host: str, port: int) -> tuple[str, int]:
        """Listen on UDP and TCP. Port 0 picks a free port (the same one for both)."""
        transport, _ = await self.loop.create_datagram_endpoint(
            lambda: _UdpProtocol(self), local_addr=(host, port)
        )
        self.udp = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:  # room for a burst while the overload guard reacts (capped by the
            with contextlib.suppress(OSError):  # kernel's net.core.rmem_max)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, UDP_BUFFER)
        bound = transport.get_extra_info("sockname")
        server = await self.loop.create_server(lambda: _TcpProtocol(self), host, bound[1])
        self.servers.append(server)
        self._arm_probe()
        return bound[0], bound[1]

    def _arm_probe(self) -> None:
        """Measure the loop's lag: a timer that should fire every PROBE_S, and how late it is."""
        self._probe_due = self.loop.time() + PROBE_S
        self._probe = self.loop.call_at(self._probe_due, self._on_probe)

    def _on_probe(self) -> None:
        now = self.loop.time()
        guard = self.core.guard
        guard.observe(now - self._probe_due, now)
        if now - self._reported_at >= REPORT_S:
            fresh = guard.news()
            if fresh:
                log.warning(
                    "overload: %d new calls answered 503 in the last %.0f s (loop %.0f ms late)",
                    fresh, now - self._reported_at, guard.lag_s * 1000,
                )  # fmt: skip
            self._reported_at = now
        self._arm_probe()

    async def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._probe is not None:
            self._probe.cancel()
        for server in self.servers:
            server.close()
        for conn in list(self.connections.values()):
            conn.close()
        for server in self.servers:
            await server.wait_closed()
        if self.udp is not None:
            self.udp.close()

    def on_message(self, data: bytes, peer: Peer) -> None:
        self.counters["received"] += 1
        now = self.loop.time()
        self.dispatch(self.core.receive(data, peer, now), now)

    def dispatch(self, outputs: list[Output], now: float) -> None:
        pending = deque(outputs)
        while pending:
            item = pending.popleft()
            if isinstance(item, Transmit):
                self._transmit(item)
            elif isinstance(item, Dropped):
                self.counters["dropped"] += 1
                self.drops.warning("dropped input from %s: %s", item.peer, item.reason)
            elif isinstance(item, SourceBlocked):
                security.warning(
                    "SIP from %s blocked for %.0f s: %s", item.host, item.until - now, item.reason
                )
            else:
                pending.extend(self.handler(item, now))
        self._arm_timer()

    def _transmit(self, item: Transmit) -> None:
        peer = item.peer
        if peer.transport is Transport.UDP:
            if self.udp is not None:
                self.udp.sendto(item.data, (peer.host, peer.port))
                self.counters["sent"] += 1
            return
        conn = self.connections.get(peer.conn)
        if conn is None or conn.is_closing():
            log.info("cannot send to %s: connection closed", peer)
            return
        conn.write(item.data)
        self.counters["sent"] += 1

    def _arm_timer(self) -> None:
        deadline = self.core.next_deadline()
        if deadline is None:
            return
        if self._timer is not None:
            if self._timer_at <= deadline:
                return
            self._timer.cancel()
        self._timer_at = deadline
        self._timer = self.loop.call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        now = self.loop.time()
        self.dispatch(self.core.on_timers(now), now)


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, endpoint: SipEndpoint) -> None:
        self.endpoint = endpoint

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        if not data.strip(b"\r\n"):
            return  # keep-alive
        self.endpoint.on_message(data, Peer(Transport.UDP, str(addr[0]), int(addr[1])))

    def error_received(self, exc: Exception) -> None:
        log.debug("UDP error: %s", exc)


class _TcpProtocol(asyncio.Protocol):
    """One TCP connection: framed into messages; closed when the endpoint has too many already,
    when a message is not completed within `header_s` of its first byte (however slowly the
    rest trickles in: a slow, half-open sender holding a descriptor), or after `idle_s` without
    any bytes. One timer per connection, moved only when a deadline comes closer, not per
    chunk."""

    def __init__(self, endpoint: SipEndpoint) -> None:
        self.endpoint = endpoint
        self.framer = StreamFramer()
        self.transport: asyncio.Transport | None = None
        self.peer: Peer | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.timer_at = 0.0
        self.active_at = 0.0  # the latest bytes
        self.message_at: float | None = None  # the first byte of a message not yet complete

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses but have the same methods.
        self.transport = cast(asyncio.Transport, transport)
        host, port = transport.get_extra_info("peername")[:2]
        endpoint = self.endpoint
        if len(endpoint.connections) >= endpoint.max_connections:
            endpoint.counters["refused_connections"] += 1
            endpoint.drops.warning("refusing TCP from %s:%s: %d connections", host, port,
                                   len(endpoint.connections))  # fmt: skip
            self.transport.abort()
            return
        conn = next(endpoint._conn_ids)
        self.peer = Peer(Transport.TCP, str(host), int(port), conn)
        endpoint.connections[conn] = self.transport
        self.active_at = endpoint.loop.time()
        self._arm(self._deadline())

    def _deadline(self) -> float:
        idle = self.active_at + self.endpoint.idle_s
        if self.message_at is None:
            return idle
        return min(idle, self.message_at + self.endpoint.header_s)

    def _arm(self, at: float) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.timer_at = at
        self.timer = self.endpoint.loop.call_at(at, self._on_timer)

    def _on_timer(self) -> None:
        self.timer = None
        due = self._deadline()
        if self.endpoint.loop.time() < due:
            self._arm(due)  # something came meanwhile: the deadline moved on
        elif self.transport is not None and not self.transport.is_closing():
            why = "an unfinished message" if self.message_at is not None else "idle"
            self.endpoint.drops.warning("closing %s: %s too long", self.peer, why)
            self.transport.abort()

    def data_received(self, data: bytes) -> None:
        if self.peer is None or self.transport is None:
            return  # refused
        try:
            messages = self.framer.feed(data)
        except ParseError as exc:
            self.endpoint.drops.warning("closing %s: %s", self.peer, exc)
            self.transport.close()
            return
        now = self.active_at = self.endpoint.loop.time()
        for message in messages:
            self.endpoint.on_message(message, self.peer)
        if not self.framer.pending():
            self.message_at = None
        elif messages or self.message_at is None:  # a new message has begun
            self.message_at = now
            if self.message_at + self.endpoint.header_s < self.timer_at:
                self._arm(self.message_at + self.endpoint.header_s)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.timer is not None:
            self.timer.cancel()
        if self.peer is not None:
            self.endpoint.connections.pop(self.peer.conn, None)
