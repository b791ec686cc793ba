"""The JSON API under /api/: the same settings as the portal, for municipalities that automate.

Authentication: `Authorization: Bearer TOKEN` (tokens are made in the portal's user page) or the
portal's session. The same roles apply. Described by /api/openapi.json.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from veertien.portal.base import Portal, portal_of
from veertien.portal.security import require_changes, require_sees
from veertien.portal.status import calamities, incident_json
from veertien.reports import REPORTS
from veertien.routing.settings import MunicipalitySettings
from veertien.storage.users import User


def _user(portal: Portal, request: Request) -> User:
    return portal.requester(request)


def _municipality(portal: Portal, code: str) -> dict[str, Any]:
    ctx = portal.context()
    muni = ctx.directory.municipalities.get(code)
    if muni is None:
        raise HTTPException(404, "unknown municipality")
    own = ctx.settings.for_municipality(code)
    return {
        "code": code,
        "name": muni.name,
        "province": muni.province,
        "status": (own.status or muni.status).value,
        "destination": own.destination or muni.destination,
        "area_codes": sorted(
            m.area_code for m in ctx.directory.memberships if m.municipality == code
        ),
        "settings": own.to_json(),
    }


def list_municipalities(request: Request) -> Response:
    portal = portal_of(request)
    user = _user(portal, request)
    codes = sorted(c for c in portal.context().directory.municipalities if user.may_see(c))
    return JSONResponse({"municipalities": [_municipality(portal, c) for c in codes]})


def get_municipality(request: Request) -> Response:
    portal = portal_of(request)
    user = _user(portal, request)
    code = request.path_params["code"]
    found = _municipality(portal, code)
    require_sees(user, code)
    return JSONResponse(found)


async def put_settings(request: Request) -> Response:
    portal = portal_of(request)
    user = await run_in_threadpool(_user, portal, request)
    code = request.path_params["code"]
    if code not in portal.context().directory.municipalities:
        raise HTTPException(404, "unknown municipality")
    require_changes(user, code)
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise HTTPException(400, "the body is not JSON") from None
    if not isinstance(body, dict):
        raise HTTPException(400, "the body must be a JSON object")
    new = MunicipalitySettings.from_json(body)  # a SettingsError is a 422 (portal.app)
    changed = await run_in_threadpool(_save, portal, code, new, user.username)
    found = await run_in_threadpool(_municipality, portal, code)
    return JSONResponse({**found, "changed": changed})


def _save(portal: Portal, code: str, new: MunicipalitySettings, actor: str) -> list[str]:
    store = portal.storage.config
    settings = store.settings()
    updated = replace(settings, municipalities={**settings.municipalities, code: new})
    changed = store.save_settings(updated, f"api:{actor}", f"settings {code}")
    portal.changed()
    return changed


def status(request: Request) -> Response:
    portal = portal_of(request)
    incidents = portal.storage.incidents.recent()
    return JSONResponse(
        {"incidents": [incident_json(i) for i in incidents], "calamities": calamities(portal)}
    )


def openapi(request: Request) -> Response:
    del request
    return JSONResponse(OPENAPI)


_ERROR = {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}
_SETTINGS = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "destination": {"type": "string", "description": "sip:, sips: or tel: URI"},
        "status": {"type": "string", "enum": ["active", "technical", "not_connected"]},
        "hours": {"type": "object", "description": "opening hours (docs/routing.md)"},
        "closed_message": {"type": "string"},
        "closed_destination": {"type": "string"},
        "calamity": {"type": "boolean"},
        "calamity_destination": {"type": "string"},
        "calamity_message": {"type": "string"},
        "overflow_destination": {"type": "string"},
        "keep_transcripts": {"type": "boolean"},
        "audio_sampling": {"type": "number", "minimum": 0, "maximum": 1},
        "audio_retention_days": {"type": "integer", "minimum": 1, "maximum": 3650},
        "departments": {
            "type": "array",
            "maxItems": 9,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "destination"],
                "properties": {"name": {"type": "string"}, "destination": {"type": "string"}},
            },
        },
    },
}
_MUNICIPALITY = {
    "type": "object",
    "properties": {
        "code": {"type": "string"},
        "name": {"type": "string"},
        "province": {"type": "string"},
        "status": {"type": "string"},
        "destination": {"type": ["string", "null"]},
        "area_codes": {"type": "array", "items": {"type": "string"}},
        "settings": _SETTINGS,
    },
    "required": ["code", "name", "status", "area_codes", "settings"],
}


_DATE = "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$"  # empty: the default
_REPORT = {
    "type": "object",
    "required": ["report", "title", "params", "columns", "rows", "totals"],
    "properties": {
        "report": {"type": "string"},
        "title": {"type": "string"},
        "params": {"type": "object"},
        "columns": {"type": "array", "items": {"type": "object"}},
        "rows": {"type": "array", "items": {"type": "object"}},
        "totals": {"type": "object"},
    },
}


def _responses(ok: dict[str, Any], *errors: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "200": {"description": "OK", "content": {"application/json": {"schema": ok}}}
    }
    for code in errors:
        out[str(code)] = {
            "description": "error",
            "content": {"application/json": {"schema": _ERROR}},
        }
    return out


_CODE = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}
OPENAPI: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "veertien API", "version": "1"},
    "components": {"securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}},
    "security": [{"token": []}],
    "paths": {
        "/api/municipalities": {
            "get": {
                "summary": "The municipalities the caller may see",
                "responses": _responses(
                    {"type": "object", "properties": {"municipalities": {"type": "array",
                     "items": _MUNICIPALITY}}}, 401),
            },
        },
        "/api/municipalities/{code}": {
            "get": {"parameters": [_CODE], "responses": _responses(_MUNICIPALITY, 401, 403, 404)},
        },
        "/api/municipalities/{code}/settings": {
            "put": {
                "summary": "Replace a municipality's settings (audited, live for the next call)",
                "parameters": [_CODE],
                "requestBody": {"required": True,
                                "content": {"application/json": {"schema": _SETTINGS}}},
                "responses": _responses(_MUNICIPALITY, 400, 401, 403, 404, 422),
            },
        },
        "/api/reports/{name}": {
            "get": {
                "summary": "A report over the call records (docs/reporting.md); a user bound to "
                           "a municipality gets only its calls",
                "parameters": [
                    {"name": "name", "in": "path", "required": True,
                     "schema": {"type": "string", "enum": sorted(REPORTS)}},
                    *({"name": q, "in": "query", "required": False, "description": d,
                       "allowEmptyValue": True,
                       "schema": {"type": "string", "pattern": p}} for q, p, d in (
                        ("van", _DATE, "first day, YYYY-MM-DD (default: 29 days before tot)"),
                        ("tot", _DATE, "last day, inclusive (default: today); van ≤ tot"),
                        ("gemeente", "^[A-Za-z0-9]{0,6}$", "CBS code, e.g. GM0664"),
                        ("netnummer", "^([0-9]{2,5})?$", "area code, e.g. 0113"))),
                ],
                "responses": _responses(_REPORT, 400, 401, 403, 404, 504),
            },
        },
        "/api/status": {
            "get": {"summary": "Incidents and calamities (public)", "security": [],
                    "responses": _responses({"type": "object"})},
        },
    },
}  # fmt: skip


def api_routes() -> list[Route]:
    return [
        Route("/api/openapi.json", openapi),
        Route("/api/municipalities", list_municipalities),
        Route("/api/municipalities/{code:str}", get_municipality),
        Route("/api/municipalities/{code:str}/settings", put_settings, methods=["PUT"]),
        Route("/api/status", status),
    ]
