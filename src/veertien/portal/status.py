"""The public status page, its Atom feed, and incident posting by the operator.

Anyone may read `/status` and `/status.atom`: open incidents with their timed updates, recent
resolved ones, and municipalities whose calamity switch is on. The operator posts and updates
incidents; each post also goes to the webhook when one is configured (`status_webhook` in the
service's settings), so municipalities hear about an outage first.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from veertien.portal.base import Portal, portal_of, posted_form
from veertien.portal.organisations import unreachable_organisations
from veertien.storage.incidents import Incident, IncidentError, IncidentStatus
from veertien.storage.users import Role

log = logging.getLogger("veertien.portal")


def calamities(portal: Portal) -> list[dict[str, str]]:
    ctx = portal.context()
    out = []
    for code, own in sorted(ctx.settings.municipalities.items()):
        muni = ctx.directory.municipalities.get(code)
        if own.calamity and muni is not None:
            out.append({"code": code, "name": muni.name, "message": own.calamity_message or ""})
    return out


def status_page(request: Request) -> Response:
    portal = portal_of(request)
    incidents = portal.storage.incidents.recent()
    return portal.render(
        request,
        "status.html",
        open_incidents=[i for i in incidents if i.open],
        closed=[i for i in incidents if not i.open][:10],
        calamities=calamities(portal),
        statuses=list(IncidentStatus),
        unreachable=unreachable(portal),
        organisations_down=unreachable_organisations(portal),
    )


async def post_incident(request: Request) -> Response:
    portal, form, user = await posted_form(request, Role.OPERATOR)
    try:
        status = IncidentStatus(str(form.get("status", "investigating")))
        existing = form.get("incident")
        if existing:
            incident_id = int(str(existing))
            await run_in_threadpool(
                portal.storage.incidents.add_update, incident_id,
                str(form.get("message", "")), status, user.username,
            )  # fmt: skip
        else:
            incident_id = await run_in_threadpool(
                portal.storage.incidents.open, str(form.get("title", "")),
                str(form.get("message", "")), status, user.username,
            )  # fmt: skip
    except (IncidentError, ValueError) as exc:
        raise HTTPException(400, str(exc)) from None
    await run_in_threadpool(_announce, portal, incident_id)
    return RedirectResponse("/status", status_code=303)


def _announce(portal: Portal, incident_id: int) -> None:
    if portal.webhook is None:
        return
    found = next((i for i in portal.storage.incidents.recent() if i.id == incident_id), None)
    if found is not None:
        portal.webhook(incident_json(found))


def incident_json(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.id,
        "title": incident.title,
        "status": incident.status.value,
        "created_at": incident.created_at.isoformat(),
        "updated_at": incident.updated_at.isoformat(),
        "updates": [
            {"at": u.at.isoformat(), "status": u.status.value, "message": u.message}
            for u in incident.updates
        ],
    }


def atom(request: Request) -> Response:
    portal = portal_of(request)
    base = str(request.base_url).rstrip("/")
    incidents = portal.storage.incidents.recent(50)
    updated = max((i.updated_at for i in incidents), default=datetime(2026, 1, 1, tzinfo=UTC))
    entries = []
    for incident in incidents:
        latest = incident.updates[0].message if incident.updates else ""
        entries.append(
            "<entry>"
            f"<id>{escape(base)}/status#storing-{incident.id}</id>"
            f"<title>{escape(incident.title)} — {escape(incident.status.dutch)}</title>"
            f"<updated>{incident.updated_at.isoformat()}</updated>"
            f"<published>{incident.created_at.isoformat()}</published>"
            f'<link href="{escape(base)}/status#storing-{incident.id}"/>'
            f'<content type="text">{escape(latest)}</content>'
            "</entry>"
        )
    feed = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="nl">'
        f"<id>{escape(base)}/status</id><title>Status 14+ gemeentenummer</title>"
        f"<updated>{updated.isoformat()}</updated>"
        f'<link rel="self" href="{escape(base)}/status.atom"/>'
        f'<link href="{escape(base)}/status"/><author><name>veertien</name></author>'
        + "".join(entries)
        + "</feed>"
    )
    return Response(feed, media_type="application/atom+xml; charset=utf-8")


def post_webhook(url: str) -> Any:
    """A webhook poster for `url` (JSON POST, 5 s time-out; failures are logged, not raised)."""

    def post(payload: dict[str, Any]) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode()
        request = urllib.request.Request(
            url, body, {"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=5):
                pass
        except OSError as exc:
            log.warning("status webhook %s failed: %s", url, exc)

    return post


def unreachable(portal: Portal) -> list[dict[str, str]]:
    """Municipalities taking part without a destination: their callers get a message (480)."""
    missing = portal.context().without_destination()
    return [{"code": m.code, "name": m.name} for m in sorted(missing, key=lambda m: m.name)]


def health(request: Request) -> Response:
    """The node's health as JSON (for a load balancer or a person): "ok", or "degraded" with
    the reason (speech on but not listening: callers can only press keys; municipalities taking
    part, or organisations of the national number, without a destination: their callers get a
    message). Nothing secret."""
    portal = portal_of(request)
    found = dict(portal.health() if portal.health is not None else {"status": "ok"})
    missing = unreachable(portal)
    orgs = unreachable_organisations(portal)
    found["destinations"] = {
        "missing": len(missing) + len(orgs), "municipalities": missing[:50], "organisations": orgs,
    }  # fmt: skip
    if missing or orgs:
        found["status"] = "degraded"
    return JSONResponse(found, headers={"Cache-Control": "no-store"})


def status_routes() -> list[Route]:
    return [
        Route("/status", status_page, methods=["GET"]),
        Route("/status", post_incident, methods=["POST"]),
        Route("/status.atom", atom),
        Route("/health", health, methods=["GET"]),
    ]
