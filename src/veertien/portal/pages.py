"""The portal's pages: sign-in, municipalities and their settings, area codes, import, users,
audit log. Dutch on screen; every page checks the role it needs."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from veertien.directory import DirectoryImportError, import_directory
from veertien.directory.csvimport import (
    MEMBERSHIP_FILES,
    MUNICIPALITY_FILES,
    ORGANISATION_FILES,
    PLACE_FILES,
    POSTCODE_FILES,
)
from veertien.portal.base import portal_of, posted_form
from veertien.portal.dutch import (
    SETTING_NAMES,
    audit_action,
    audit_actor,
    audit_target,
    error_text,
)
from veertien.portal.explain import STATUS_TEXT, explain
from veertien.portal.forms import DAY_NAMES, LABELS, STATUSES, form_values, parse
from veertien.portal.recordings import recorded_languages
from veertien.portal.security import (
    SESSION_S,
    check_csrf,
    require,
    require_changes,
    require_sees,
)
from veertien.routing import CallFacts, DecisionKind, RoutingContext, SettingsError, decide
from veertien.routing.languages import NAMES, VOICED, not_offered
from veertien.storage.schema import audit_log
from veertien.storage.users import Role, UserError

CSV_NAMES = frozenset(
    (*MUNICIPALITY_FILES, *MEMBERSHIP_FILES, *PLACE_FILES, *POSTCODE_FILES, *ORGANISATION_FILES)
)


def home(request: Request) -> Response:
    target = "/overzicht" if portal_of(request).user(request) else "/inloggen"
    return RedirectResponse(target, status_code=303)


def login_page(request: Request) -> Response:
    return portal_of(request).render(
        request, "login.html", next=request.query_params.get("volgende", "/overzicht")
    )


async def login(request: Request) -> Response:
    portal = portal_of(request)
    form = await request.form()
    check_csrf(request, form.get("csrf"))
    name, password = str(form.get("username", "")), str(form.get("password", ""))
    address = request.client.host if request.client else "?"
    target = str(form.get("next", "/overzicht"))
    if not target.startswith("/") or target.startswith("//"):
        target = "/overzicht"
    if await run_in_threadpool(portal.limiter.blocked, name, address):
        wait = "Te veel mislukte pogingen. Probeer het over vijf minuten."
        return portal.render(request, "login.html", 429, next=target, error=wait)
    user = await run_in_threadpool(portal.storage.users.verify, name, password)
    if user is None:
        await run_in_threadpool(portal.limiter.failed, name, address)
        return portal.render(request, "login.html", 401, next=target,
                             error="Onjuiste gebruikersnaam of wachtwoord.")  # fmt: skip
    await run_in_threadpool(portal.limiter.succeeded, name, address)
    request.session.clear()  # a fresh session at sign-in (no fixation)
    request.session["sid"] = await run_in_threadpool(
        portal.storage.users.open_session, user, SESSION_S
    )
    return RedirectResponse(target, status_code=303)


async def logout(request: Request) -> Response:
    portal = portal_of(request)
    form = await request.form()
    check_csrf(request, form.get("csrf"))
    sid = request.session.get("sid")
    if isinstance(sid, str):
        await run_in_threadpool(portal.storage.users.close_session, sid)  # the cookie is void
    request.session.clear()
    return RedirectResponse("/inloggen", status_code=303)


def municipalities(request: Request) -> Response:
    """The municipalities the user may see; `?zoek=` finds by name, code or destination,
    `?zonder=bestemming` shows only those taking part without one (their callers get 480)."""
    portal = portal_of(request)
    user = require(portal.user(request))
    ctx = portal.context()
    search = request.query_params.get("zoek", "").strip()[:100]
    only_missing = request.query_params.get("zonder") == "bestemming"
    missing = {m.code for m in ctx.without_destination()}
    rows = []
    for code, muni in sorted(ctx.directory.municipalities.items(), key=lambda i: i[1].name):
        if not user.may_see(code):
            continue
        own = ctx.settings.for_municipality(code)
        row = {
            "code": code, "name": muni.name, "status": (own.status or muni.status).value,
            "destination": own.destination or muni.destination or "", "calamity": own.calamity,
            "missing": code in missing,
        }  # fmt: skip
        if only_missing and not row["missing"]:
            continue
        if search and not any(search.casefold() in str(row[k]).casefold()
                              for k in ("name", "code", "destination")):  # fmt: skip
            continue
        rows.append(row)
    seen = [c for c in ctx.directory.municipalities if user.may_see(c)]
    return portal.render(
        request, "municipalities.html", rows=rows, statuses=STATUSES, search=search,
        only_missing=only_missing, total=len(seen), missing=len(missing & set(seen)),
        explained=STATUS_TEXT,
    )  # fmt: skip


def _municipality_page(
    request: Request, code: str, values: dict[str, Any] | None = None, **extra: Any
) -> Response:
    portal = portal_of(request)
    user = require(portal.user(request))
    ctx = portal.context()
    muni = ctx.directory.municipalities.get(code)
    if muni is None:
        raise HTTPException(404, "Onbekende gemeente.")
    require_sees(user, code)
    return portal.render(
        request, "municipality.html", muni=muni, code=code,
        values=values or form_values(ctx.settings.for_municipality(code)),
        labels=LABELS, statuses=STATUSES, days=DAY_NAMES, may_change=user.may_change(code),
        areas=sorted(m.area_code for m in ctx.directory.memberships if m.municipality == code),
        **extra,
    )  # fmt: skip


def municipality(request: Request) -> Response:
    return _municipality_page(request, request.path_params["code"])


async def save_municipality(request: Request) -> Response:
    code = request.path_params["code"]
    portal, form, user = await posted_form(request)
    if code not in portal.context().directory.municipalities:
        raise HTTPException(404, "Onbekende gemeente.")
    require_changes(user, code)
    try:
        new = parse(form)
        changed = await run_in_threadpool(_store_municipality, portal, code, new, user.username)
    except SettingsError as exc:  # a bad value, or a destination the policy refuses
        values = {k: form.get(k) for k in form}
        return await run_in_threadpool(
            _municipality_page,
            request,
            code,
            values,
            error=f"Niet opgeslagen: {error_text(str(exc), SETTING_NAMES)}",
        )
    message = f"Opgeslagen ({len(changed)} wijziging(en)); geldt vanaf het volgende gesprek."
    return await run_in_threadpool(_municipality_page, request, code, None, saved=message)


def _store_municipality(portal: Any, code: str, new: Any, actor: str) -> list[str]:
    store = portal.storage.config
    settings = store.settings()
    updated = replace(settings, municipalities={**settings.municipalities, code: new})
    changed: list[str] = store.save_settings(updated, actor, f"settings {code}")
    portal.changed()
    return changed


def area_codes(request: Request) -> Response:
    portal = portal_of(request)
    user = require(portal.user(request))
    ctx = portal.context()
    now = datetime.now(ctx.zone)
    names = portal.names()
    areas = []
    for area in ctx.directory.area_codes():
        decision = decide(CallFacts(f"14{area}", now), ctx)
        members = [m for m in ctx.directory.memberships if m.area_code == area]
        if not any(user.may_see(m.municipality) for m in members):
            continue
        menu = [c.name for c in decision.candidates if c.in_menu]
        menu = menu if decision.kind is DecisionKind.IVR else []
        areas.append({
            "code": area, "kind": decision.kind.value, "menu": menu,
            "languages": _languages(ctx.settings.languages.for_area(area), menu,
                                    recorded_languages(portal, area)),
            "members": sorted(
                (ctx.directory.municipalities[m.municipality].name, m.postcodes) for m in members
            ),
            "reason": explain(decision, names),
        })  # fmt: skip
    return portal.render(request, "areas.html", areas=areas)


def _languages(offer: Mapping[str, str], menu: list[str], recorded: frozenset[str]) -> list[str]:
    """The languages a shared area's dialogue offers, and why one is not (Dutch); `recorded`:
    those without a voice whose sentences are all recorded here."""
    if not menu:
        return []
    why = not_offered(offer, min(len(menu), 9), VOICED | recorded)
    return [
        f"{NAMES[lang]}: niet aangeboden, {why[lang]}" if lang in why
        else f"{NAMES[lang]}: toets {key}"
        for lang, key in offer.items()
    ]  # fmt: skip


def import_page(request: Request) -> Response:
    portal = portal_of(request)
    require(portal.user(request), Role.OPERATOR)
    return portal.render(request, "import.html")


async def import_upload(request: Request) -> Response:
    portal, form, user = await posted_form(request, Role.OPERATOR)
    files = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
    apply = form.get("action") == "importeren"
    with tempfile.TemporaryDirectory(prefix="veertien-import-") as folder:
        for upload in files:
            name = Path(upload.filename or "").name
            if name in CSV_NAMES:
                (Path(folder) / name).write_bytes(await upload.read())
        try:
            directory = await run_in_threadpool(import_directory, Path(folder))
        except DirectoryImportError as exc:
            return portal.render(request, "import.html", 422, error=error_text(str(exc)))
    current = portal.context()
    directory = directory.keeping_destinations(current.directory)
    missing = RoutingContext(directory, current.settings).without_destination()
    summary = (
        f"{len(directory.municipalities)} gemeenten, {len(directory.places)} woonplaatsen, "
        f"{len(directory.memberships)} netnummerkoppelingen, {len(directory.postcodes)} postcodes "
        f"(versie {directory.version})"
    )
    if missing:
        summary += (
            f". Let op: {len(missing)} deelnemende gemeenten hebben dan geen bestemming "
            "(hun bellers krijgen 480 tot u er een instelt)"
        )
    if apply:
        try:
            await run_in_threadpool(
                portal.storage.config.save_directory, directory, user.username, "portal upload"
            )
        except SettingsError as exc:  # a destination the policy refuses: nothing imported
            problem = error_text(str(exc), SETTING_NAMES)
            return portal.render(request, "import.html", 422, error=problem)
        await run_in_threadpool(portal.changed)
        return portal.render(request, "import.html", done=f"Geïmporteerd: {summary}.")
    return portal.render(request, "import.html", preview=f"Klopt: {summary}. Nog niets gewijzigd.")


def users_page(request: Request, **extra: Any) -> Response:
    portal = portal_of(request)
    require(portal.user(request), Role.OPERATOR)
    names = portal.names()
    return portal.render(
        request, "users.html", users=portal.storage.users.all(), roles=list(Role),
        municipalities=sorted((name, code) for code, name in names.items()), names=names,
        **extra,
    )  # fmt: skip


async def create_user(request: Request) -> Response:
    portal, form, user = await posted_form(request, Role.OPERATOR)
    try:
        role = Role(str(form.get("role", "")))
        municipality = str(form.get("municipality", "")).strip().upper() or None
        if (
            municipality is not None
            and municipality not in portal.context().directory.municipalities
        ):
            raise UserError(f"gemeente {municipality} staat niet in de gemeentelijst")
        await run_in_threadpool(
            partial(portal.storage.users.create, one_time=True), str(form.get("username", "")),
            str(form.get("password", "")), role, municipality, user.username,
        )  # fmt: skip
    except (UserError, ValueError) as exc:
        return await run_in_threadpool(users_page, request, error=str(exc))
    return RedirectResponse("/gebruikers", status_code=303)


async def set_active(request: Request) -> Response:
    portal, form, user = await posted_form(request, Role.OPERATOR)
    target = int(request.path_params["user_id"])
    if target == user.id:
        raise HTTPException(400, "U kunt uzelf niet uitschakelen.")
    active = form.get("active") == "1"
    try:
        await run_in_threadpool(portal.storage.users.set_active, target, active, user.username)
    except UserError as exc:
        raise HTTPException(404, str(exc)) from None
    return RedirectResponse("/gebruikers", status_code=303)


def audit_page(request: Request) -> Response:
    portal = portal_of(request)
    user = require(portal.user(request))
    query = select(audit_log).order_by(audit_log.c.id.desc()).limit(200)
    if user.role is not Role.OPERATOR:
        if user.municipality is None:
            raise HTTPException(403, "Dit mag uw rol niet.")
        code = user.municipality
        query = query.where(
            or_(audit_log.c.target.contains(code), audit_log.c.action.contains(code))
        )
    names = portal.names()
    with portal.storage.engine.connect() as conn:
        entries = [
            {"at": r.at, "actor": audit_actor(r.actor), "action": audit_action(r.action),
             "target": audit_target(r.target, names), "old": _show(r.old), "new": _show(r.new)}
            for r in conn.execute(query)
        ]  # fmt: skip
    return portal.render(request, "audit.html", entries=entries)


def _show(value: str | None) -> str:
    if value is None:
        return "—"
    shown = json.loads(value)
    return shown if isinstance(shown, str) else json.dumps(shown, ensure_ascii=False)


def page_routes() -> list[Route]:
    return [
        Route("/", home),
        Route("/inloggen", login_page, methods=["GET"]),
        Route("/inloggen", login, methods=["POST"]),
        Route("/uitloggen", logout, methods=["POST"]),
        Route("/gemeenten", municipalities),
        Route("/gemeenten/{code:str}", municipality, methods=["GET"]),
        Route("/gemeenten/{code:str}", save_municipality, methods=["POST"]),
        Route("/netnummers", area_codes),
        Route("/import", import_page, methods=["GET"]),
        Route("/import", import_upload, methods=["POST"]),
        Route("/gebruikers", users_page, methods=["GET"]),
        Route("/gebruikers", create_user, methods=["POST"]),
        Route("/gebruikers/{user_id:int}/actief", set_active, methods=["POST"]),
        Route("/audit", audit_page),
    ]
