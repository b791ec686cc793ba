"""The web portal: server-rendered pages in Dutch, the JSON API and the public status page.

`create_app` builds the Starlette app on a `Storage`. Every handler is a plain function, so
Starlette runs it in its thread pool: database work never runs on the event loop that carries
SIP and RTP.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from veertien.errors import InputError, UnavailableError, VeertienError
from veertien.media.recording import MAX_UPLOAD_BYTES
from veertien.portal.account import account_routes
from veertien.portal.api import api_routes
from veertien.portal.apidocs import docs_routes
from veertien.portal.base import Portal, portal_of
from veertien.portal.learning import learning_routes
from veertien.portal.organisations import organisation_routes
from veertien.portal.overview import overview_routes
from veertien.portal.pages import page_routes
from veertien.portal.recordings import recording_routes
from veertien.portal.reports import metrics as metrics_page
from veertien.portal.reports import report_routes
from veertien.portal.security import LOGIN_WINDOW_S, PASSWORD_FIRST, SESSION_S, LoginLimiter
from veertien.portal.status import health as health_page
from veertien.portal.status import status_routes
from veertien.reports import ReportError, ReportTimeout
from veertien.routing import RoutingContext, SettingsError
from veertien.storage.logins import DatabaseFailures
from veertien.storage.store import Storage

log = logging.getLogger("veertien.portal")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"content-security-policy", b"default-src 'self'; style-src 'self' 'unsafe-inline'"),
]


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


MAX_BODY = 64 * 1024  # a form or an API request; a settings text is at most 1,000 characters
MAX_UPLOAD = 16 * 1024 * 1024  # a directory import (the national set is about 1 MB)
UPLOADS = ("/import",)
RECORDING = MAX_UPLOAD_BYTES + 64 * 1024  # a recorded prompt and its form (/opnames/...)


class BodyLimit:
    """Refuses a request body before a byte of it is read: one larger than its path allows
    (413), or one without a Content-Length (411: a chunked body could be any size). Nothing is
    spooled to memory or disk for a request that cannot be taken."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("POST", "PUT", "PATCH"):
            headers = dict(scope["headers"])
            length = headers.get(b"content-length")
            limit = _limit(scope["path"])
            if length is None or not length.isdigit():
                if headers.get(b"transfer-encoding") is not None:
                    await _refuse(send, 411, "Een verzoek heeft een Content-Length nodig.")
                    return
            elif int(length) > limit:
                await _refuse(send, 413, f"Te groot: hooguit {limit // 1024} KB.")
                return
        await self.app(scope, receive, send)


def _limit(path: str) -> int:
    if path in UPLOADS:
        return MAX_UPLOAD
    return RECORDING if path.startswith("/opnames/") else MAX_BODY


async def _refuse(send: Send, status: int, text: str) -> None:
    body = text.encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
    ]
    await send(
        {"type": "http.response.start", "status": status, "headers": [*headers, *SECURITY_HEADERS]}
    )
    await send({"type": "http.response.body", "body": body})


def _error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)
    if exc.status_code == 401:
        return RedirectResponse(f"/inloggen?volgende={request.url.path}", status_code=303)
    if exc.status_code == PASSWORD_FIRST:
        return RedirectResponse("/account", status_code=303)
    portal = portal_of(request)
    page = portal.render(request, "error.html", exc.status_code, message=exc.detail)
    page.headers.update(exc.headers or {})
    return page


# The one place where errors become HTTP statuses: what a person sent is not acceptable (422
# with the reason; 400 for a report's parameters), or a limit was reached (504). Handlers raise;
# they do not map. The first matching class wins.
ERROR_STATUS: tuple[tuple[type[VeertienError], int, Callable[[Exception], str]], ...] = (
    (SettingsError, 422, lambda exc: f"invalid settings: {exc}"),
    (ReportError, 400, str),
    (InputError, 422, str),
    (ReportTimeout, 504, lambda exc: "Het rapport duurde te lang. Kies een kortere periode."),
    (UnavailableError, 504, str),
)


def _veertien_error(request: Request, exc: Exception) -> Response:
    for kind, status, message in ERROR_STATUS:
        if isinstance(exc, kind):
            log.info("%s %s: %d %s", request.method, request.url.path, status, exc)
            return _error(request, HTTPException(status, message(exc)))
    raise exc


def probe_routes() -> list[Route]:
    """What a SIP node of a cluster serves: its health and its metrics, nothing to sign in to."""
    return [Route("/health", health_page, methods=["GET"]), Route("/metrics", metrics_page)]


def create_app(
    storage: Storage,
    context: Callable[[], RoutingContext],
    *,
    secret: str | None = None,
    https_only: bool = False,
    webhook: Callable[[dict[str, Any]], None] | None = None,
    changed: Callable[[], None] | None = None,
    metrics: Callable[[], bytes] | None = None,
    health: Callable[[], dict[str, Any]] | None = None,
    pages: bool = True,
) -> Starlette:
    """The portal; with `pages` off only /health and /metrics (a SIP node of a cluster)."""
    app = Starlette(
        routes=[
            *page_routes(),
            *overview_routes(),
            *account_routes(),
            *organisation_routes(),
            *learning_routes(),
            *recording_routes(),
            *report_routes(),
            *status_routes(),
            *docs_routes(),
            *api_routes(),
        ]
        if pages
        else probe_routes(),
        middleware=[
            Middleware(BodyLimit),
            Middleware(SecurityHeaders),
            Middleware(
                SessionMiddleware,
                secret_key=secret or secrets.token_urlsafe(32),
                session_cookie="veertien_sessie",
                max_age=SESSION_S,
                same_site="strict",
                https_only=https_only,
            ),
        ],
        exception_handlers={HTTPException: _error, VeertienError: _veertien_error},
    )
    limiter = LoginLimiter(log=DatabaseFailures(storage.engine, LOGIN_WINDOW_S))  # all portals
    app.state.portal = Portal(
        storage, context, webhook, metrics=metrics, health=health, limiter=limiter
    )
    if changed is not None:
        app.state.portal.changed = changed
    return app
