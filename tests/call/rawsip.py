"""Raw SIP over a UDP socket, for tests that play the caller by hand."""

from __future__ import annotations

import asyncio
import socket


async def until(sock: socket.socket, status: bytes, timeout: float = 10.0) -> bytes:
    """The next response with `status` (b"183", b"302" ...) that arrives on `sock`."""
    loop = asyncio.get_running_loop()
    while True:
        data = await asyncio.wait_for(loop.sock_recv(sock, 65536), timeout)
        if data.startswith(b"SIP/2.0 " + status):
            return data
