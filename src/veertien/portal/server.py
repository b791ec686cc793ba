"""The portal next to the SIP service, in the same event loop (uvicorn, no extra process)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Callable, Iterator
from typing import Any

from veertien.portal.app import create_app
from veertien.portal.status import post_webhook
from veertien.routing import RoutingContext
from veertien.storage.live import LiveContext
from veertien.storage.logins import session_secret
from veertien.storage.store import Storage
from veertien.storage.users import first_operator

log = logging.getLogger("veertien.portal")
SECRET_FILE = "portal.secret"  # where versions before 0008 kept the session key
HTTPS_ENV = "VEERTIEN_PORTAL_HTTPS"  # "1" behind a TLS proxy: session cookies marked Secure
PROXIES_ENV = "VEERTIEN_TRUSTED_PROXIES"  # addresses whose X-Forwarded-For is believed


def proxy_options(value: str | None) -> dict[str, Any]:
    """uvicorn's proxy settings: X-Forwarded-For and -Proto are believed only from the proxies
    named (comma-separated addresses); without any, from nobody, so a client cannot pick the
    address the login limit counts against."""
    proxies = [p.strip() for p in (value or "").split(",") if p.strip()]
    if not proxies:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": ",".join(proxies)}


def _server_class() -> Any:
    import uvicorn  # noqa: PLC0415

    class Server(uvicorn.Server):
        """uvicorn without its own signal handlers: `veertien serve` owns SIGINT/SIGTERM and
        stops the portal itself."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    return Server


class PortalServer:
    def __init__(
        self,
        storage: Storage,
        context: LiveContext,
        host: str,
        port: int,
        *,
        metrics: Callable[[], bytes] | None = None,
        health: Callable[[], dict[str, Any]] | None = None,
        pages: bool = True,
    ) -> None:
        import uvicorn  # noqa: PLC0415

        def webhook(payload: dict[str, Any]) -> None:
            ctx: RoutingContext = context()
            url = ctx.settings.platform.status_webhook
            if url:
                post_webhook(url)(payload)

        app = create_app(
            storage,
            context,
            secret=session_secret(storage.engine, storage.data.path / SECRET_FILE),
            webhook=webhook,
            changed=context.refresh,  # live for the very next call
            https_only=os.environ.get(HTTPS_ENV, "") == "1",
            metrics=metrics,
            health=health,
            pages=pages,
        )
        self.pages = pages
        config = uvicorn.Config(
            app, host=host, port=port, log_level="warning", lifespan="off", access_log=False,
            **proxy_options(os.environ.get(PROXIES_ENV)),
        )  # fmt: skip
        self.server = _server_class()(config)
        self.host, self.port = host, port
        self.storage = storage
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> str | None:
        """Start serving; returns the one-time operator password on a new database. The port is
        taken first: when it cannot be (in use, not allowed) this raises OSError saying so,
        before any account is made, so a one-time password is never made and lost."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        listening = socket.create_server((self.host, self.port), family=family)
        password = (
            await asyncio.to_thread(first_operator, self.storage.users) if self.pages else None
        )
        self.task = asyncio.get_running_loop().create_task(self.server.serve(sockets=[listening]))
        while not self.server.started:
            if self.task.done():
                self.task.result()  # raises why it could not start
            await asyncio.sleep(0.02)
        return password

    @property
    def address(self) -> tuple[str, int]:
        sockets = [s for server in self.server.servers for s in server.sockets]
        host, port = sockets[0].getsockname()[:2]
        return str(host), int(port)

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.task is not None:
            await asyncio.gather(self.task, return_exceptions=True)
