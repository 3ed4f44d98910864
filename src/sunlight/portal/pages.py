"""The public portal's pages (no account, no staff chrome): what is here, the released
footage with its player and custody-log badge, and the public request log."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import jinja2
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from sunlight import __version__
from sunlight.errors import InvalidInput
from sunlight.evidence.media_types import video_type as guess_video_type
from sunlight.portal import i18n, labels, release_detail, views
from sunlight.portal.release_detail import KIND_TEXT
from sunlight.requests import service as requests_service
from sunlight.requests.views import log_entry
from sunlight.runtime import Runtime
from sunlight.validation import SmallId
from sunlight.web.deps import RuntimeDep, now_for
from sunlight.web.guard import public
from sunlight.web.language import render_localized
from sunlight.web.ranges import object_response

templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
    )
)
templates.env.globals["version"] = __version__
# Public text is marked for translation ({{ _("...") }}): the reader's language, per request.
i18n.install(templates.env)
labels.install(templates.env)
router = APIRouter(include_in_schema=False, dependencies=[Depends(public())])

#: How many request-log lines one page shows.
LOG_PAGE = 50


templates.env.filters["when"] = i18n.when


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    runtime: Runtime = request.app.state.runtime
    context.setdefault("site_name", runtime.settings.site_name)
    context.setdefault("department", runtime.settings.department)
    return render_localized(templates, request, name, context, status_code)


def is_public_page(path: str) -> bool:
    """The portal's pages (``/public`` and below): errors there use the portal's chrome."""
    return path == "/public" or path.startswith("/public/")


def _date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"{name}: not a date (YYYY-MM-DD): {value!r}") from exc


@router.get("/public", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    return render(request, "public_home.html")


@router.get("/public/releases", response_class=HTMLResponse)
def releases(
    request: Request,
    runtime: RuntimeDep,
    incident_type: Annotated[str | None, Query(alias="type", max_length=60)] = None,
    date_from: Annotated[str | None, Query(alias="from", max_length=10)] = None,
    date_to: Annotated[str | None, Query(alias="to", max_length=10)] = None,
    area: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    error = None
    try:
        start, end = _date(date_from, "from"), _date(date_to, "to")
    except InvalidInput as exc:
        error, start, end = exc.message, None, None
    found = views.release_page(
        runtime,
        incident_type=incident_type or None,
        date_from=start,
        date_to=end,
        area=area or None,
        page=page,
        now=now_for(request),
    )
    kept = {
        "type": incident_type or "",
        "from": date_from or "",
        "to": date_to or "",
        "area": area or "",
    }

    def page_link(n: int) -> str:
        return "/public/releases?" + urlencode({**{k: v for k, v in kept.items() if v}, "page": n})

    return render(
        request,
        "public_releases.html",
        status_code=422 if error else 200,
        found=found,
        filters=kept,
        error=error,
        page_link=page_link,
    )


@router.get("/public/releases/{release_id}", response_class=HTMLResponse)
def release(release_id: SmallId, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    shown, captions = release_detail.release_page(runtime, release_id, now=now_for(request))
    return render(
        request, "public_release.html", release=shown, kind_text=KIND_TEXT, captions=captions
    )


@router.api_route(
    "/public/releases/{release_id}/media", methods=["GET", "HEAD"], response_class=Response
)
def release_media(release_id: SmallId, request: Request, runtime: RuntimeDep) -> Response:
    """The released copy's bytes (HTTP Range); 404 unless the release is public and done."""
    sha256, filename = views.released_media(runtime, release_id)
    return object_response(
        request,
        runtime.store,
        sha256,
        media_type=guess_video_type(filename),
        filename=f"release-{release_id}{Path(filename).suffix}",
        inline=True,
    )


@router.get("/public/requests", response_class=HTMLResponse)
def request_log(
    request: Request,
    runtime: RuntimeDep,
    before_id: Annotated[SmallId | None, Query()] = None,
) -> HTMLResponse:
    now = now_for(request)
    with runtime.db.session(read_only=True) as session:
        found = requests_service.public_log(session, limit=LOG_PAGE + 1, before_id=before_id)
        entries = [log_entry(r, now) for r in found[:LOG_PAGE]]
        older = found[LOG_PAGE - 1].id if len(found) > LOG_PAGE else None
    return render(request, "public_requests.html", entries=entries, older=older)
