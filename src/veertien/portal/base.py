"""What the portal's handlers share: the `Portal` (storage, live context, templates) and the
helpers to find it and read a signed-in user's form. The handler modules import this; `app.py`
imports the handlers (no import circle)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse

from veertien.dutch import day, local_time, number, percent
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

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass
class Portal:
    """What the handlers share."""

    storage: Storage
    context: Callable[[], RoutingContext]  # the live routing snapshot
    webhook: Callable[[dict[str, Any]], None] | None = None  # incident news, if configured
    changed: Callable[[], None] = lambda: None  # data saved: make it live now (blocking)
    metrics: Callable[[], bytes] | None = None  # Prometheus text for /metrics
    health: Callable[[], dict[str, Any]] | None = None  # the node's health for /health
    limiter: LoginLimiter = field(default_factory=LoginLimiter)
    env: Environment = field(
        default_factory=lambda: Environment(
            loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(), auto_reload=False
        )
    )

    def __post_init__(self) -> None:
        def local(moment: datetime | None, seconds: bool = False) -> str:
            return local_time(moment, self.context().zone, seconds=seconds)  # the live zone

        self.env.filters["local"] = local
        self.env.filters["number"] = number
        self.env.filters["day"] = day
        self.env.filters["percent"] = percent
        self.env.filters["timestamp"] = lambda s: datetime.fromtimestamp(s, UTC)

    def render(self, request: Request, name: str, status: int = 200, **values: Any) -> HTMLResponse:
        user = session_user(request, self.storage.users)
        page = self.env.get_template(name).render(
            request=request, user=user, csrf=csrf_token(request), **values
        )
        return HTMLResponse(page, status_code=status)

    def names(self) -> dict[str, str]:
        """Every municipality's name by its CBS code, from the live directory."""
        return {code: m.name for code, m in self.context().directory.municipalities.items()}

    def user(self, request: Request) -> User | None:
        return session_user(request, self.storage.users)

    def requester(self, request: Request) -> User:
        """Who asks, by API token or portal session (401 when neither). A token was made on
        purpose for the API, so it works while its owner's portal password is one-time."""
        by_token = token_user(request, self.storage.users)
        if by_token is not None:
            return require(by_token, pending_ok=True)
        return require(self.user(request))


def portal_of(request: Request) -> Portal:
    found: Portal = request.app.state.portal
    return found


async def posted_form(
    request: Request, *roles: Role, pending_ok: bool = False
) -> tuple[Portal, FormData, User]:
    """A submitted form from a signed-in user with one of `roles` (any when none): its CSRF
    token checked, the user looked up off the event loop (`pending_ok`: see `require`)."""
    portal = portal_of(request)
    found = await run_in_threadpool(portal.user, request)
    user = require(found, *roles, pending_ok=pending_ok)  # before any body
    form = await request.form(max_files=20, max_fields=200)
    check_csrf(request, form.get("csrf"))
    return portal, form, user
