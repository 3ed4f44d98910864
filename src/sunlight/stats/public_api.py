"""Public statistics as JSON (no account): every figure with its range, explanation, unit
and rows, the small-number rule applied (a hidden cell: value null, suppressed true);
and the stats policy itself."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from sunlight.stats import datasets as _datasets  # registers the figures as open data
from sunlight.stats import service
from sunlight.stats.figures import SPECS, Figure, Range
from sunlight.stats.policy import load_stats_policy
from sunlight.web.deps import RuntimeDep, now_for
from sunlight.web.guard import public

__all__ = ["router"]
assert _datasets.DATASETS

router = APIRouter(tags=["statistics"], dependencies=[Depends(public())])

FromQuery = Annotated[
    str | None, Query(alias="from", max_length=10, description="First day, YYYY-MM-DD")
]
ToQuery = Annotated[
    str | None, Query(alias="to", max_length=10, description="Last day (inclusive), YYYY-MM-DD")
]


class CellOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: int | float | None = Field(description="null when suppressed or not defined")
    suppressed: bool
    display: str = Field(description='How the page shows it, e.g. "fewer than 5"')


class RowOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    labels: list[str] = Field(description="One label per dimension")
    values: dict[str, CellOut] = Field(description="One cell per measure, by its name")


class MeasureOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    label: str
    kind: str = Field(description="count, or derived (a median, rate or total over items)")


class FigureRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slug: str
    title: str
    explanation: str
    unit: str
    href: str
    dataset: str = Field(description="Its open-data dataset (/api/public/data/{dataset}.csv)")


class FigureOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slug: str
    title: str
    explanation: str
    unit: str
    source: str
    date_from: date
    date_to: date
    as_of: datetime
    snapshot: bool = Field(description="Counted as of now: the range does not apply")
    small_cell_threshold: int
    dimensions: list[str]
    measures: list[MeasureOut]
    rows: list[RowOut]
    notes: list[str]

    @classmethod
    def of(cls, figure: Figure) -> FigureOut:
        spec = figure.spec
        return cls(
            slug=spec.slug,
            title=spec.title,
            explanation=spec.explanation,
            unit=spec.unit,
            source=spec.source,
            date_from=figure.range.start,
            date_to=figure.range.end,
            as_of=figure.as_of,
            snapshot=spec.snapshot,
            small_cell_threshold=figure.threshold,
            dimensions=list(spec.dimensions),
            measures=[MeasureOut(name=m.name, label=m.label, kind=m.kind) for m in spec.measures],
            rows=[
                RowOut(
                    labels=list(labels),
                    values={
                        name: CellOut(
                            value=cell.value,
                            suppressed=cell.suppressed,
                            display=cell.display(figure.threshold),
                        )
                        for name, cell in cells.items()
                    },
                )
                for labels, cells in figure.table.rows
            ],
            notes=list(figure.notes),
        )


class StatsIndex(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date_from: date
    date_to: date
    small_cell_threshold: int
    policy_sha256: str
    figures: list[FigureRef]


class StatsPolicyOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int
    small_cell_threshold: int
    min_officers_per_row: int
    sha256: str


@router.get(
    "/api/public/stats",
    response_model=StatsIndex,
    summary="The public statistics: each figure's title, explanation and address",
)
def stats_index(
    request: Request, date_from: FromQuery = None, date_to: ToQuery = None
) -> StatsIndex:
    rng = Range.parse(date_from, date_to, now_for(request))
    loaded = load_stats_policy()
    query = f"?from={rng.start.isoformat()}&to={rng.end.isoformat()}"
    return StatsIndex(
        date_from=rng.start,
        date_to=rng.end,
        small_cell_threshold=loaded.policy.small_cell_threshold,
        policy_sha256=loaded.sha256,
        figures=[
            FigureRef(
                slug=spec.slug,
                title=spec.title,
                explanation=spec.explanation,
                unit=spec.unit,
                href=f"/api/public/stats/{spec.slug}{query}",
                dataset=f"stats-{spec.slug}",
            )
            for spec in SPECS
        ],
    )


@router.get("/api/public/stats/policy", response_model=StatsPolicyOut, summary="The stats policy")
def stats_policy() -> StatsPolicyOut:
    loaded = load_stats_policy()
    return StatsPolicyOut(**loaded.policy.model_dump(), sha256=loaded.sha256)


@router.get("/api/public/stats/policy.yaml", response_class=PlainTextResponse)
def stats_policy_file() -> Response:
    loaded = load_stats_policy()
    return PlainTextResponse(
        loaded.text, media_type="application/yaml", headers={"X-Policy-SHA256": loaded.sha256}
    )


@router.get(
    "/api/public/stats/{figure}",
    response_model=FigureOut,
    summary="One figure over a date range, with small numbers suppressed",
)
def stats_figure(
    figure: Annotated[str, PathParam(max_length=60)],
    request: Request,
    runtime: RuntimeDep,
    date_from: FromQuery = None,
    date_to: ToQuery = None,
) -> FigureOut:
    now = now_for(request)
    rng = Range.parse(date_from, date_to, now)
    return FigureOut.of(service.figure(runtime, figure, rng, now))
