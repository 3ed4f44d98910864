"""The open-data page (``/public/data``): every dataset in the catalogue with its links and
its data dictionary (each field's name, type and meaning)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from sunlight.portal import datasets, open_data
from sunlight.portal.pages import render
from sunlight.web.guard import public

router = APIRouter(include_in_schema=False, dependencies=[Depends(public())])

#: Field types as the dictionary names them to readers.
TYPE_TEXT = {
    "string": open_data.N_("text"),
    "integer": open_data.N_("whole number"),
    "number": open_data.N_("number"),
    "date": open_data.N_("date (YYYY-MM-DD)"),
    "datetime": open_data.N_("date and time (ISO 8601, UTC)"),
    "boolean": open_data.N_("true or false"),
}


@router.get("/public/data", response_class=HTMLResponse)
def data_page(request: Request) -> HTMLResponse:
    return render(
        request, "public_data.html", datasets=datasets.all_datasets(), type_text=TYPE_TEXT
    )
