"""The browsable API page: Swagger UI from the `swagger-ui-bundle` package, served by the
portal itself (no CDN), so it runs within the portal's content security policy: every script
is a file from 'self' (the start-up script too, no inline script), styles from 'self'."""

from __future__ import annotations

from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

FILES = {  # what the page needs from the bundle, and nothing else of it
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "favicon-32x32.png": "image/png",
}
PAGE = """<!doctype html>
<html lang="nl"><head><meta charset="utf-8">
<title>API · 14+ gemeentenummer</title>
<link rel="stylesheet" href="/api/docs/swagger-ui.css">
<link rel="icon" href="/api/docs/favicon-32x32.png">
</head><body>
<p style="font-family:system-ui,sans-serif;margin:1rem 2rem">
<a href="/gemeenten">← terug naar het portaal</a> · Een API-token maakt u onder
<a href="/account">Mijn account</a>; kies daarna <em>Authorize</em>.</p>
<div id="swagger-ui"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script src="/api/docs/start.js"></script>
</body></html>
"""
START = """window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
};
"""


def docs_page(request: Request) -> Response:
    return HTMLResponse(PAGE)


def docs_start(request: Request) -> Response:
    return Response(START, media_type="text/javascript")


def docs_file(request: Request) -> Response:
    name = request.path_params["name"]
    kind = FILES.get(name)
    if kind is None:
        raise HTTPException(404, "not part of the API page")
    return FileResponse(Path(str(swagger_ui_path)) / name, media_type=kind)


def docs_routes() -> list[Route]:
    return [
        Route("/api/docs", docs_page),
        Route("/api/docs/start.js", docs_start),
        Route("/api/docs/{name:str}", docs_file),
    ]
