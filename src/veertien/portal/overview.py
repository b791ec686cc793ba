"""The first page after signing in: today's calls (how many, how many transferred, what went
wrong and why) and what needs attention now: municipalities taking part without a destination,
open incidents, calamities switched on, speech not listening. An admin sees their own
municipality's calls; what needs attention is shown to those who can act on it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from veertien.portal.base import Portal, portal_of
from veertien.portal.security import require
from veertien.portal.status import calamities, unreachable
from veertien.reports import ReportParams, run_report
from veertien.storage.users import User


def _today(portal: Portal, user: User) -> dict[str, Any]:
    """Today's figures from the reports themselves (so they agree with /rapporten)."""
    ctx = portal.context()
    today = datetime.now(ctx.zone).date()
    params = ReportParams(today, today, user.municipality)
    names = portal.names()
    volume = run_report(portal.storage.engine, "netnummers", params, names).totals
    failed = run_report(portal.storage.engine, "mislukt", params, names)
    calls, transferred = int(volume.get("calls", 0)), int(volume.get("transferred", 0))
    return {
        "day": today,
        "calls": calls,
        "transferred": transferred,
        "transferred_share": transferred / calls if calls else None,
        "not_transferred_share": (calls - transferred) / calls if calls else None,
        "reasons": [r for r in failed.records() if r["calls"]],
    }


def attention(portal: Portal, user: User) -> list[dict[str, str]]:
    """What needs somebody now, most urgent first: each with a text and where to act."""
    out: list[dict[str, str]] = []
    missing = [m["name"] for m in unreachable(portal) if user.may_see(m["code"])]
    if missing:
        shown = ", ".join(missing[:8]) + (
            f" en {len(missing) - 8} andere" if len(missing) > 8 else ""
        )
        out.append({
            "text": f"{len(missing)} deelnemende gemeente(n) zonder bestemming: hun bellers "
                    f"krijgen een melding (480). {shown}.",
            "link": "/gemeenten?zonder=bestemming", "action": "Bestemming instellen",
        })  # fmt: skip
    for incident in (i for i in portal.storage.incidents.recent() if i.open):
        out.append({"text": f"Open storing: {incident.title} ({incident.status.dutch})",
                    "link": f"/status#storing-{incident.id}", "action": "Bijwerken"})  # fmt: skip
    for calamity in calamities(portal):
        if user.may_see(calamity["code"]):
            link = f"/gemeenten/{calamity['code']}"
            text = f"Calamiteit aan bij {calamity['name']}"
            out.append({"text": text, "link": link, "action": "Instellingen"})
    health = portal.health() if portal.health is not None else None
    speech = (health or {}).get("speech") or {}
    if speech.get("on") and not speech.get("listening"):
        why = f"Spraakherkenning luistert niet ({speech.get('reason')}): alleen toetsen."
        out.append({"text": why, "link": "/health", "action": "Details"})
    elif speech and not speech.get("on"):
        why = "Spraakherkenning staat uit (instelling speech): bellers kiezen met toetsen."
        out.append({"text": why, "link": "/health", "action": "Details"})
    return out


def overview(request: Request) -> Response:
    portal = portal_of(request)
    user = require(portal.user(request))
    return portal.render(
        request, "overview.html", today=_today(portal, user), attention=attention(portal, user)
    )


def overview_routes() -> list[Route]:
    return [Route("/overzicht", overview)]
