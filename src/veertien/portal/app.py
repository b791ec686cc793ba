"""The web portal: server-rendered pages in Dutch, the JSON API and the public status page.

`create_app` builds the Starlette app on a `Storage`. Every handler is a plain function, so
Starlette runs it in its thread pool: database work never runs on the event loop that carries
SIP and RTP.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from veertien.portal.security import (
    LoginLimiter,
    check_csrf,
    csrf_token,
    require,
    session_user,
    token_user,
)
from veertien.routing import RoutingContext
from veertien.storage.store import Storage
from veertien.storage.users import Role, User

log = logging.getLogger("veertien.portal")
TEMPLATES = Path(__file__).resolve().parent / "templates"
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"content-security-policy", b"default-src 'self'; style-src 'self' 'unsafe-inline'"),
]


@dataclass
class Portal:
    """What the handlers share."""

    storage: Storage
    context: Callable[[], RoutingContext]  # the live routing snapshot
    webhook: Callable[[dict[str, Any]], None] | None = None  # incident news, if configured
    changed: Callable[[], None] = lambda: None  # data saved: make it live now (blocking)
    metrics: Callable[[], bytes] | None = None  # Prometheus text for /metrics
    limiter: LoginLimiter = field(default_factory=LoginLimiter)
    env: Environment = field(
        default_factory=lambda: Environment(
            loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(), auto_reload=False
        )
    )

    def render(self, request: Request, name: str, status: int = 200, **values: Any) -> HTMLResponse:
        user = session_user(request, self.storage.users)
        page = self.env.get_template(name).render(
            request=request, user=user, csrf=csrf_token(request), **values
        )
        return HTMLResponse(page, status_code=status)

    def user(self, request: Request) -> User | None:
        return session_user(request, self.storage.users)

    def requester(self, request: Request) -> User:
        """Who asks, by API token or portal session (401 when neither)."""
        return require(token_user(request, self.storage.users) or self.user(request))


def portal_of(request: Request) -> Portal:
    found: Portal = request.app.state.portal
    return found


async def posted_form(request: Request, *roles: Role) -> tuple[Portal, FormData, User]:
    """A submitted form from a signed-in user with one of `roles` (any when none): its CSRF
    token checked, the user looked up off the event loop."""
    portal = portal_of(request)
    form = await request.form()
    check_csrf(request, form.get("csrf"))
    user = require(await run_in_threadpool(portal.user, request), *roles)
    return portal, form, user


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


def _error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)
    if exc.status_code == 401:
        return RedirectResponse(f"/inloggen?volgende={request.url.path}", status_code=303)
    portal = portal_of(request)
    page = portal.render(request, "error.html", exc.status_code, message=exc.detail)
    page.headers.update(exc.headers or {})
    return page


def create_app(
    storage: Storage,
    context: Callable[[], RoutingContext],
    *,
    secret: str | None = None,
    https_only: bool = False,
    webhook: Callable[[dict[str, Any]], None] | None = None,
    changed: Callable[[], None] | None = None,
    metrics: Callable[[], bytes] | None = None,
) -> Starlette:
    from veertien.portal.api import api_routes  # noqa: PLC0415 (they import this module)
    from veertien.portal.pages import page_routes  # noqa: PLC0415
    from veertien.portal.reports import report_routes  # noqa: PLC0415
    from veertien.portal.status import status_routes  # noqa: PLC0415

    app = Starlette(
        routes=[*page_routes(), *report_routes(), *status_routes(), *api_routes()],
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(
                SessionMiddleware,
                secret_key=secret or secrets.token_urlsafe(32),
                session_cookie="veertien_sessie",
                max_age=8 * 3600,
                same_site="strict",
                https_only=https_only,
            ),
        ],
        exception_handlers={HTTPException: _error},
    )
    app.state.portal = Portal(storage, context, webhook, metrics=metrics)
    if changed is not None:
        app.state.portal.changed = changed
    return app
