"""The public statistics page (no account): a date range picker and every figure as a
chart drawn on the server (inline SVG) with a table of the same numbers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from sunlight.errors import InvalidInput
from sunlight.portal.pages import render
from sunlight.stats import datasets as _datasets  # registers the figures as open data
from sunlight.stats import service
from sunlight.stats.charts import layout
from sunlight.stats.figures import Range
from sunlight.stats.policy import load_stats_policy
from sunlight.web.deps import RuntimeDep, now_for
from sunlight.web.guard import public

__all__ = ["router"]
assert _datasets.DATASETS

router = APIRouter(include_in_schema=False, dependencies=[Depends(public())])


@router.get("/public/stats", response_class=HTMLResponse)
def stats_page(
    request: Request,
    runtime: RuntimeDep,
    date_from: Annotated[str | None, Query(alias="from", max_length=10)] = None,
    date_to: Annotated[str | None, Query(alias="to", max_length=10)] = None,
) -> HTMLResponse:
    now = now_for(request)
    kept = {"from": date_from or "", "to": date_to or ""}
    threshold = load_stats_policy().policy.small_cell_threshold
    try:
        rng = Range.parse(date_from, date_to, now)
    except InvalidInput as exc:
        return render(
            request,
            "public_stats.html",
            status_code=422,
            error=exc.message,
            filters=kept,
            shown=[],
            rng=None,
            threshold=threshold,
        )
    figures = service.figures(runtime, rng, now)
    shown = [(figure, layout(figure)) for figure in figures]
    filters = {"from": rng.start.isoformat(), "to": rng.end.isoformat()}
    return render(
        request,
        "public_stats.html",
        error=None,
        filters=filters,
        shown=shown,
        rng=rng,
        threshold=threshold,
    )
