"""A user's own account: their password (a one-time password is changed here before any other
page opens) and their API tokens (made here, shown once); and, for operators, a one-time
password for somebody who lost theirs."""

from __future__ import annotations

import secrets
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from veertien.portal.base import portal_of, posted_form
from veertien.portal.pages import users_page
from veertien.portal.security import SESSION_S, require
from veertien.storage.users import Role, UserError


def account_page(request: Request, status: int = 200, **extra: Any) -> Response:
    portal = portal_of(request)
    user = require(portal.user(request), pending_ok=True)
    tokens = [] if user.must_change else portal.storage.users.tokens(user)
    return portal.render(request, "account.html", status, tokens=tokens, **extra)


async def change_password(request: Request) -> Response:
    """The user's own new password. Every session of the user closes with the old password;
    this one goes on in a fresh session."""
    portal, form, user = await posted_form(request, pending_ok=True)
    current, new, repeated = (str(form.get(k, "")) for k in ("current", "new", "repeated"))
    try:
        await run_in_threadpool(portal.storage.users.change_password, user, current, new, repeated)
    except UserError as exc:
        return await run_in_threadpool(account_page, request, 422, error=f"Niet gewijzigd: {exc}.")
    request.session["sid"] = await run_in_threadpool(
        portal.storage.users.open_session, user, SESSION_S
    )
    return await run_in_threadpool(account_page, request, saved="Uw wachtwoord is gewijzigd.")


async def create_token(request: Request) -> Response:
    portal, form, user = await posted_form(request)
    label = str(form.get("label", "")).strip()
    if not label or len(label) > 100 or not label.isprintable():
        return await run_in_threadpool(
            account_page, request, 422, error="Geef het token een naam (hooguit 100 tekens)."
        )
    token = await run_in_threadpool(portal.storage.users.new_token, user, label, user.username)
    return await run_in_threadpool(account_page, request, token=token, token_label=label)


async def revoke_token(request: Request) -> Response:
    portal, _, user = await posted_form(request)
    try:
        await run_in_threadpool(
            portal.storage.users.revoke_token, user, int(request.path_params["token_id"]),
            user.username,
        )  # fmt: skip
    except UserError as exc:
        raise HTTPException(404, str(exc)) from None
    return await run_in_threadpool(account_page, request, saved="Het token is ingetrokken.")


async def reset_password(request: Request) -> Response:
    """An operator gives a user a new one-time password (shown once on the users page)."""
    portal, _, actor = await posted_form(request, Role.OPERATOR)
    target = await run_in_threadpool(portal.storage.users.get, int(request.path_params["user_id"]))
    if target is None:
        raise HTTPException(404, "Onbekende gebruiker.")
    password = secrets.token_urlsafe(15)
    await run_in_threadpool(
        portal.storage.users.set_password, target, password, actor.username, one_time=True
    )
    done = (
        f"Eenmalig wachtwoord voor {target.username}: {password} (het wordt niet nog eens getoond)"
    )
    return await run_in_threadpool(users_page, request, done=done)


def account_routes() -> list[Route]:
    return [
        Route("/account", account_page, methods=["GET"]),
        Route("/account/wachtwoord", change_password, methods=["POST"]),
        Route("/account/tokens", create_token, methods=["POST"]),
        Route("/account/tokens/{token_id:int}/intrekken", revoke_token, methods=["POST"]),
        Route("/gebruikers/{user_id:int}/wachtwoord", reset_password, methods=["POST"]),
    ]
