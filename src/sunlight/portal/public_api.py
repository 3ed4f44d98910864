"""Open data on the public JSON API (no account): the catalogue of datasets with their data
dictionary, and each dataset as CSV or JSON at a stable URL. Downloads stream."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from sunlight.errors import NotFound
from sunlight.portal import datasets, open_data
from sunlight.portal.datasets import Dataset, FieldType
from sunlight.web.deps import RuntimeDep, now_for
from sunlight.web.guard import public

router = APIRouter(tags=["open data"], dependencies=[Depends(public())])

Slug = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,59}$")]
#: At most this many rows (the first ones); all of them when absent.
Limit = Annotated[int | None, Query(ge=1, le=1_000_000)]


class FieldOut(BaseModel):
    name: str
    type: FieldType
    description: str


class DatasetOut(BaseModel):
    slug: str
    title: str
    description: str
    fields: list[FieldOut]
    csv_url: str
    json_url: str
    page: str


class DataIndex(BaseModel):
    datasets: list[DatasetOut]


class DatasetDownload(BaseModel):
    """A dataset's rows; each row maps every field name to its value (or null)."""

    dataset: str
    generated_at: datetime
    fields: list[FieldOut]
    rows: list[dict[str, Any]]


def dataset_out(found: Dataset) -> DatasetOut:
    return DatasetOut(
        slug=found.slug,
        title=found.title,
        description=found.description,
        fields=[
            FieldOut(name=f.name, type=f.type, description=f.description) for f in found.fields
        ],
        csv_url=f"/api/public/data/{found.slug}.csv",
        json_url=f"/api/public/data/{found.slug}.json",
        page=f"/public/data#{found.slug}",
    )


def _found(slug: str) -> Dataset:
    found = datasets.dataset(slug)
    if found is None:
        raise NotFound(f"no dataset {slug}")
    return found


@router.get(
    "/api/public/data",
    response_model=DataIndex,
    summary="The open-data catalogue and its data dictionary",
)
def data_index() -> DataIndex:
    return DataIndex(datasets=[dataset_out(d) for d in datasets.all_datasets()])


@router.get(
    "/api/public/data/{slug}.csv",
    response_class=StreamingResponse,
    summary="A dataset as CSV (RFC 4180, UTF-8, header row)",
    responses={200: {"content": {"text/csv": {}}}},
)
def data_csv(
    slug: Slug, request: Request, runtime: RuntimeDep, limit: Limit = None
) -> StreamingResponse:
    found = _found(slug)
    rows = found.rows(runtime, now_for(request))
    return StreamingResponse(
        open_data.csv_chunks(found, rows, limit=limit),
        media_type="text/csv; charset=utf-8; header=present",
        headers={"Content-Disposition": f'inline; filename="{found.slug}.csv"'},
    )


@router.get(
    "/api/public/data/{slug}.json",
    response_model=DatasetDownload,
    summary="A dataset as JSON: dataset, generated_at, fields and rows",
)
def data_json(
    slug: Slug, request: Request, runtime: RuntimeDep, limit: Limit = None
) -> StreamingResponse:
    found = _found(slug)
    now = now_for(request)
    rows = found.rows(runtime, now)
    return StreamingResponse(
        open_data.json_chunks(found, rows, now, limit=limit), media_type="application/json"
    )
