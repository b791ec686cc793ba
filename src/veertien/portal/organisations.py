"""The national number's catalogue of organisations in the portal: everyone signed in reads it;
the operator adds, changes and removes entries (each change audited, live for the next call).
An organisation without a destination is named on the public status page and in /health."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from veertien.directory import Organisation
from veertien.directory.csvimport import MAX_SYNONYMS, organisation_code
from veertien.errors import InputError
from veertien.portal.base import Portal, portal_of, posted_form
from veertien.portal.dutch import SETTING_NAMES, error_text
from veertien.portal.security import require
from veertien.routing import SettingsError, check_destination
from veertien.storage.users import Role

MAX_NAME = 80


class _Refused(InputError):
    """What the operator typed cannot be stored; the text says why, in Dutch."""


def unreachable_organisations(portal: Portal) -> list[dict[str, str]]:
    """Organisations without a destination: callers who ask for them hear that they cannot
    be reached now."""
    orgs = portal.context().directory.organisations
    return [{"code": o.code, "name": o.name} for o in orgs if o.destination is None]


def organisations_page(request: Request, status: int = 200, **extra: Any) -> Response:
    portal = portal_of(request)
    user = require(portal.user(request))
    orgs = portal.context().directory.organisations
    return portal.render(
        request, "organisations.html", status=status, organisations=orgs,
        may_change=user.role is Role.OPERATOR, **extra,
    )  # fmt: skip


def _organisation(code: str, form: FormData) -> Organisation:
    """The organisation the form describes (every field checked; `_Refused` with the reason)."""
    name = str(form.get("naam", "")).strip()
    if not name or len(name) > MAX_NAME:
        raise _Refused(f"De naam moet 1 tot {MAX_NAME} tekens zijn.")
    synonyms = tuple(
        dict.fromkeys(s.strip() for s in str(form.get("synoniemen", "")).split(";") if s.strip())
    )
    if len(synonyms) > MAX_SYNONYMS or any(len(s) > MAX_NAME for s in synonyms):
        raise _Refused(f"Ten hoogste {MAX_SYNONYMS} synoniemen van ten hoogste {MAX_NAME} tekens.")
    text = str(form.get("bestemming", "")).strip()
    try:
        destination = check_destination("bestemming", text or None)
    except SettingsError as exc:
        raise _Refused(error_text(str(exc), SETTING_NAMES)) from None
    return Organisation(code, name, tuple(s for s in synonyms if s != name), destination)


async def save_organisation(request: Request) -> Response:
    """Add (code from the form), change or remove (`verwijderen`) one organisation."""
    portal, form, user = await posted_form(request, Role.OPERATOR)
    code = request.path_params.get("code") or str(form.get("code", "")).strip().lower()
    existing = portal.context().directory.organisation(code)
    adding = "code" not in request.path_params
    try:
        if not organisation_code(code):
            raise _Refused("De code moet 1 tot 40 kleine letters, cijfers en streepjes zijn.")
        if adding and existing is not None:
            raise _Refused(f"Er is al een organisatie met de code {code}.")
        if not adding and existing is None:
            raise HTTPException(404, "Onbekende organisatie.")
        new = None if form.get("verwijderen") else _organisation(code, form)
        await run_in_threadpool(_store, portal, code, new, user.username)
    except _Refused as exc:
        return organisations_page(request, 400, error=f"Niet opgeslagen: {exc}")
    except SettingsError as exc:  # a destination the policy refuses
        text = error_text(str(exc), SETTING_NAMES)
        return organisations_page(request, 400, error=f"Niet opgeslagen: {text}")
    return RedirectResponse(f"/organisaties?opgeslagen={code}", status_code=303)


def _store(portal: Portal, code: str, new: Organisation | None, actor: str) -> None:
    portal.storage.config.save_organisation(code, new, actor)
    portal.changed()


def organisation_routes() -> list[Route]:
    return [
        Route("/organisaties", organisations_page, methods=["GET"]),
        Route("/organisaties", save_organisation, methods=["POST"]),
        Route("/organisaties/{code:str}", save_organisation, methods=["POST"]),
    ]
