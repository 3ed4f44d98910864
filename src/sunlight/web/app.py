"""The ASGI application: staff pages, the JSON API, uploads and static files."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import HTTPException
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from sunlight import __version__
from sunlight.compliance import api as compliance_api
from sunlight.db import DatabaseBusy
from sunlight.evidence import service
from sunlight.evidence.ingest import IngestError
from sunlight.incidents import api as incidents_api
from sunlight.ledger import api as ledger_api
from sunlight.redaction import api as redaction_api
from sunlight.retention import api as retention_api
from sunlight.runtime import Runtime
from sunlight.storage import ObjectNotFound
from sunlight.web import api, pages
from sunlight.web.uploads import upload_router

STATIC = Path(__file__).parent / "static"


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
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # First: /api/recordings/{id}/proof must win over /api/recordings/{id}/{derivative}.
    app.include_router(ledger_api.router)
    # Before api.router too: /api/recordings/{id}/retention.
    app.include_router(incidents_api.router)
    app.include_router(retention_api.router)
    app.include_router(compliance_api.router)
    app.include_router(redaction_api.router)
    app.include_router(api.router)
    app.include_router(upload_router(runtime))
    app.include_router(pages.router)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        # Browsers get a page; API clients and tus clients get JSON with the same detail.
        wants_html = "text/html" in request.headers.get("accept", "") and not (
            request.url.path.startswith("/api/")
        )
        if wants_html:
            return pages.render(
                request,
                "error.html",
                status_code=exc.status_code,
                detail=exc.detail,
                code=exc.status_code,
            )
        return JSONResponse(
            {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
        )

    # Domain errors become HTTP answers here, once, instead of a try/except in every route.
    domain_errors: list[tuple[type[Exception], int]] = [
        (service.NotFound, 404),
        (service.InvalidChange, 422),
        (service.Conflict, 409),
        (IngestError, 422),
        (ObjectNotFound, 404),  # e.g. bytes deleted under the retention schedule
    ]
    for error_type, status in domain_errors:

        async def domain_error(request: Request, exc: Exception, status: int = status) -> Response:
            return await http_error(request, HTTPException(status_code=status, detail=str(exc)))

        app.add_exception_handler(error_type, domain_error)

    @app.exception_handler(DatabaseBusy)
    async def database_busy(request: Request, exc: DatabaseBusy) -> Response:
        # Other writers held the lock too long; nothing changed, so the client may retry.
        retry = {"Retry-After": str(exc.retry_after_s)}
        return await http_error(request, HTTPException(503, detail=str(exc), headers=retry))

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app
