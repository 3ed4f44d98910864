"""The ASGI application: staff pages, the JSON API, uploads and static files."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import swagger_ui_bundle
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import HTTPException
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from sunlight import __version__
from sunlight.captions import api as captions_api
from sunlight.captions import public_api as captions_public_api
from sunlight.captions import public_pages as captions_public_pages
from sunlight.compliance import api as compliance_api
from sunlight.errors import Busy, SunlightError, Unavailable, http_status
from sunlight.incidents import api as incidents_api
from sunlight.ledger import api as ledger_api
from sunlight.notify import api as notify_api
from sunlight.notify import pages as notify_pages
from sunlight.policies import api as policies_api
from sunlight.policies import pages as policies_pages
from sunlight.policies import public_api as policies_public_api
from sunlight.policies import public_pages as policies_public_pages
from sunlight.portal import pages as portal_pages
from sunlight.portal import public_api as portal_public_api
from sunlight.portal import public_pages as portal_public_pages
from sunlight.redaction import api as redaction_api
from sunlight.release import api as release_api
from sunlight.release import pages as release_pages
from sunlight.release import public_api as release_public_api
from sunlight.requests import api as requests_api
from sunlight.requests import pages as requests_pages
from sunlight.requests import public_api as requests_public_api
from sunlight.requests import public_pages as requests_public_pages
from sunlight.retention import api as retention_api
from sunlight.runtime import Runtime
from sunlight.stats import public_api as stats_public_api
from sunlight.stats import public_pages as stats_public_pages
from sunlight.validation import MAX_ID
from sunlight.web import admin, api, audit, auth, pages, shares
from sunlight.web import policy as policy_pages
from sunlight.web.deps import AuthenticationRequired, wants_page
from sunlight.web.guard import public
from sunlight.web.input_guard import InputGuard
from sunlight.web.public_cache import PublicCache, PublicCacheMiddleware
from sunlight.web.security import SecurityMiddleware, auth_state, install_template_globals
from sunlight.web.uploads import upload_router

try:  # FastAPI >= 0.165 nests included routers; this walks them in matching order
    from fastapi.routing import iter_route_contexts
except ImportError:  # pragma: no cover - older FastAPI
    iter_route_contexts = None  # type: ignore[assignment]

STATIC = Path(__file__).parent / "static"
SWAGGER_UI = Path(swagger_ui_bundle.swagger_ui_path)
API_DOCS_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sunlight API</title>
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
<link rel="icon" href="/api/docs/assets/favicon-32x32.png">
<meta name="csrf-token" content="{csrf}"></head>
<body><div id="swagger-ui" data-openapi="/api/openapi.json"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script></body></html>
"""


def create_app(runtime: Runtime, *, start_worker: bool = True) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if start_worker:
            runtime.jobs.start_thread_worker()
        yield
        if start_worker:
            runtime.jobs.stop()

    app = FastAPI(
        title="Sunlight",
        version=__version__,
        summary="Evidence custody for body-worn camera video",
        docs_url=None,  # served below from packaged assets, not a CDN
        openapi_url="/api/openapi.json",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    install_template_globals(pages.templates.env)
    install_template_globals(portal_pages.templates.env)  # the portal's forms post too
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount("/api/docs/assets", StaticFiles(directory=SWAGGER_UI), name="api-docs-assets")
    app.add_middleware(InputGuard)
    # Then the Host check, who is asking, CSRF and Origin, and security headers.
    app.add_middleware(SecurityMiddleware, runtime=runtime)
    # Outermost: what a visitor without an account is shown, kept while it cannot have
    # changed (web/public_cache.py); the answers it keeps went through the layers above.
    app.state.public_cache = PublicCache(db=runtime.db)
    app.add_middleware(PublicCacheMiddleware, cache=app.state.public_cache)

    @app.get("/api/docs", include_in_schema=False, dependencies=[Depends(public())])
    def api_docs(request: Request) -> HTMLResponse:
        # Swagger UI from the swagger-ui-bundle wheel: the docs work without internet. Its
        # start-up script is a static file (/static/api-docs.js): the CSP allows no inline
        # one. "Try it out" sends the session's CSRF token from the meta tag.
        token = html.escape(auth_state(request).csrf_token or "")
        return HTMLResponse(API_DOCS_HTML.replace("{csrf}", token))

    # First: /api/recordings/{id}/proof must win over /api/recordings/{id}/{derivative}.
    app.include_router(ledger_api.router)
    # Before api.router too: /api/recordings/{id}/retention.
    app.include_router(incidents_api.router)
    app.include_router(retention_api.router)
    app.include_router(compliance_api.router)
    app.include_router(redaction_api.router)
    app.include_router(captions_api.router)
    app.include_router(captions_public_api.router)
    app.include_router(captions_public_pages.router)
    app.include_router(release_api.router)
    app.include_router(release_pages.router)
    app.include_router(release_public_api.router)
    app.include_router(requests_public_api.router)
    app.include_router(portal_pages.router)
    app.include_router(portal_public_api.router)
    app.include_router(portal_public_pages.router)
    app.include_router(requests_public_pages.router)
    app.include_router(stats_public_api.router)
    app.include_router(stats_public_pages.router)
    app.include_router(policies_public_api.router)
    app.include_router(policies_public_pages.router)
    app.include_router(policies_api.router)
    app.include_router(policies_pages.router)
    app.include_router(requests_api.router)
    app.include_router(requests_pages.router)
    app.include_router(notify_api.router)
    app.include_router(notify_pages.router)
    # Before api.router: /api/recordings/{id}/shares and /custody-report are not derivatives.
    app.include_router(shares.router)
    app.include_router(audit.router)
    app.include_router(api.router)
    app.include_router(policy_pages.router)
    app.include_router(upload_router(runtime))
    app.include_router(auth.router)
    app.include_router(admin.router)
    app.include_router(pages.router)

    @app.exception_handler(AuthenticationRequired)
    async def authentication_required(request: Request, exc: AuthenticationRequired) -> Response:
        if wants_page(request):
            return RedirectResponse(exc.location, status_code=303)
        body: dict[str, str] = {"detail": exc.detail}
        body["reauth" if exc.reauth else "sign_in"] = exc.location
        return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        # Browsers get a page; API clients and tus clients get JSON with the same detail.
        wants_html = "text/html" in request.headers.get("accept", "") and not (
            request.url.path.startswith("/api/")
        )
        if wants_html and portal_pages.is_public_page(request.url.path):
            # residents' pages answer errors in the portal's own chrome, never the staff one
            return portal_pages.render(
                request,
                "public_error.html",
                status_code=exc.status_code,
                detail=exc.detail,
                code=exc.status_code,
            )
        if wants_html:
            return pages.render(
                request,
                "error.html",
                status_code=exc.status_code,
                detail=exc.detail,
                code=exc.status_code,
            )
        headers = exc.headers
        if exc.status_code == 405:
            # Starlette names only the first route's methods; a path may have several routes.
            headers = {**(headers or {}), "Allow": ", ".join(_allowed_methods(app, request))}
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)

    # Domain errors become HTTP answers here, once, instead of a try/except in every route:
    # each error family of sunlight.errors has its status (404, 409, 422, 503, ...).
    @app.exception_handler(SunlightError)
    async def domain_error(request: Request, exc: SunlightError) -> Response:
        status = http_status(exc)
        if status >= 500 and not isinstance(exc, Unavailable):
            raise exc  # the bare base is a bug: let it be logged as one
        headers = {"Retry-After": str(exc.retry_after_s)} if isinstance(exc, Busy) else None
        if exc.diagnostics and "text/html" not in request.headers.get("accept", ""):
            return JSONResponse(
                {"detail": exc.message, "diagnostics": exc.diagnostics},
                status_code=status,
                headers=headers,
            )
        return await http_error(
            request, HTTPException(status_code=status, detail=exc.message, headers=headers)
        )

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _documented_errors(_integral_bounds(get_openapi_schema()))
        return app.openapi_schema

    get_openapi_schema = app.openapi
    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/healthz", include_in_schema=False, dependencies=[Depends(public())])
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app


def _integral_bounds(document: Any) -> Any:
    """Integer bounds as integers: FastAPI's OpenAPI models hold a request model's
    ``maximum``/``minimum`` as floats, which turns the id limit 2**63-1 into 2**63 and tells
    clients that an id one past the limit is valid."""
    if isinstance(document, dict):
        if document.get("type") == "integer":
            for key in ("maximum", "minimum"):
                value = document.get(key)
                if isinstance(value, float):
                    document[key] = MAX_ID if value >= MAX_ID else int(value)
        for value in document.values():
            _integral_bounds(value)
    elif isinstance(document, list):
        for value in document:
            _integral_bounds(value)
    return document


_ERROR = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "diagnostics": {"type": "object"},
    },
    "required": ["detail"],
}


def _documented_errors(document: dict[str, Any]) -> dict[str, Any]:
    """Document the error answers every operation can give: the families of
    sunlight.errors reach HTTP through one handler (404, 409, 413, 422, 503, ...) with a
    JSON ``detail``, and a 422 is either that or FastAPI's list of field errors."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            responses.setdefault(
                "4XX",
                {
                    "description": "Refused: `detail` says why (not found, conflict, bad input)",
                    "content": {"application/json": {"schema": _ERROR}},
                },
            )
            invalid = responses.get("422", {}).get("content", {}).get("application/json")
            if invalid is not None and "anyOf" not in invalid.get("schema", {}):
                invalid["schema"] = {"anyOf": [invalid["schema"], _ERROR]}
    return document


def _allowed_methods(app: FastAPI, request: Request) -> list[str]:
    """Every method that some route serves at the request's path."""
    routes = (
        [context.route for context in iter_route_contexts(app.router.routes)]
        if iter_route_contexts is not None
        else list(app.router.routes)  # FastAPI before 0.165: a flat route list
    )
    methods: set[str] = set()
    for route in routes:
        path_regex = getattr(route, "path_regex", None)
        if path_regex is not None and path_regex.match(request.url.path):
            methods.update(getattr(route, "methods", None) or ())
    return sorted(methods)
