"""The report pages: /rapporten lists them; /rapporten/NAME shows one as HTML with its chart,
or as CSV or JSON (`?formaat=csv|json`) from the same result, so the three always agree.

Parameters: `van` and `tot` (dates, default the last 30 days), `gemeente` (CBS code) and
`netnummer`. Signed in with the portal session or an API token. A user bound to a municipality
sees only calls that ended there, whatever the parameters ask.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from veertien.portal.base import Portal, portal_of
from veertien.portal.security import require_sees
from veertien.reports import (
    REPORTS,
    ReportParams,
    ReportResult,
    run_report,
)
from veertien.reports.charts import svg
from veertien.reports.export import shown, to_csv, total_label
from veertien.storage.users import User


def _params(request: Request, portal: Portal, user: User) -> ReportParams:
    query = request.query_params
    zone = ZoneInfo(portal.context().settings.timezone)
    params = ReportParams.parse(  # a ReportError is a 400 with the reason (portal.app)
        query.get("van"), query.get("tot"), query.get("gemeente"), query.get("netnummer"),
        datetime.now(zone).date(),
    )  # fmt: skip
    if params.municipality is not None:
        require_sees(user, params.municipality)
    if user.municipality is not None:  # bound to one municipality: only its calls
        params = replace(params, municipality=user.municipality)
    return params


def reports_index(request: Request) -> Response:
    portal = portal_of(request)
    params = _params(request, portal, portal.requester(request))
    return portal.render(
        request, "reports.html", reports=list(REPORTS.values()), params=params,
        query=request.url.query, names=portal.names(),
    )  # fmt: skip


def report_result(request: Request) -> ReportResult:
    """The report the request names, for who asks (HTTPException with the reason otherwise)."""
    portal = portal_of(request)
    user = portal.requester(request)
    name = request.path_params["name"]
    if name not in REPORTS:
        raise HTTPException(404, "Dit rapport bestaat niet.")
    params = _params(request, portal, user)
    return run_report(portal.storage.engine, name, params, portal.names())  # may time out: 504


API_PARAMS = frozenset(("van", "tot", "gemeente", "netnummer"))


def api_report(request: Request) -> Response:
    """GET /api/reports/NAME: the report as JSON (the same as ?formaat=json). Parameters it
    does not know are refused, so a misspelt one is not silently ignored."""
    unknown = sorted(set(request.query_params) - API_PARAMS)
    if unknown:
        raise HTTPException(400, f"Onbekende parameter: {', '.join(unknown) or '(leeg)'}.")
    return JSONResponse(report_result(request).to_json())


def report_page(request: Request) -> Response:
    portal = portal_of(request)
    result = report_result(request)
    name, params = result.name, result.params
    kind = request.query_params.get("formaat", "html")
    if kind == "json":
        return JSONResponse(result.to_json())
    if kind == "csv":
        filename = f"{name}-{params.first}-{params.last}.csv"
        return Response(
            to_csv(result),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{filename}"'},
        )
    if kind != "html":
        raise HTTPException(400, "Formaat moet html, csv of json zijn.")
    return portal.render(
        request, "report.html", result=result, report=REPORTS[name], chart=svg(result),
        shown=shown, total_label=total_label, query=request.url.query, names=portal.names(),
        params=params,
    )  # fmt: skip


def metrics(request: Request) -> Response:
    """Prometheus exposition (no personal data in it; keep the portal's address internal, or
    scrape through a proxy that checks who asks)."""
    exposition = portal_of(request).metrics
    if exposition is None:
        raise HTTPException(404, "Geen metrics in deze opstelling.")
    return Response(exposition(), media_type="text/plain; version=0.0.4; charset=utf-8")


def report_routes() -> list[Route]:
    return [
        Route("/rapporten", reports_index),
        Route("/rapporten/{name:str}", report_page),
        Route("/metrics", metrics),
        Route("/api/reports/{name:str}", api_report),
    ]
