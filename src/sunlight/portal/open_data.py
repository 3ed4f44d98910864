"""Open data: the released-footage list and the public request log as datasets in the
portal's catalogue (``portal.datasets``), and the CSV (RFC 4180, UTF-8, header row) and JSON
writers every dataset's download uses. Rows are written in chunks as they are read, so a
long list streams instead of being built in memory.

The two lists carry exactly the fields their public pages show: no requester's identity, no
names, places or narrative."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime
from itertools import islice
from typing import Any

from sunlight.portal import lists
from sunlight.portal.datasets import Dataset, Field, register
from sunlight.runtime import Runtime

#: Rows per chunk written to the response.
CHUNK = 500


def N_(text: str) -> str:
    """Marks a string for translation; the page shows it through ``_()``."""
    return text


def _release_rows(runtime: Runtime, now: datetime) -> Iterator[Mapping[str, object]]:
    for row in lists.iter_releases(runtime):
        yield {**row, "page": f"/public/releases/{row['id']}"}


def _request_rows(runtime: Runtime, now: datetime) -> Iterator[Mapping[str, object]]:
    for entry in lists.iter_request_log(runtime, now):
        yield entry.model_dump()


RELEASES = register(
    Dataset(
        slug="releases",
        title=N_("Released footage"),
        description=N_(
            "One row per released video, newest release first: the same list as the "
            "Released footage page. Only releases that are public and published appear; "
            "embargoed and withheld footage does not. No names, addresses or narrative: "
            "the area is at most a patrol division, and none is given for footage recorded "
            "in a nonpublic location."
        ),
        fields=(
            Field("id", "integer", N_("The release's number; its page is /public/releases/ID.")),
            Field(
                "incident_type", "string", N_("The kind of incident, as the department codes it.")
            ),
            Field("incident_date", "date", N_("The day the incident began (UTC).")),
            Field(
                "area",
                "string",
                N_(
                    "The patrol division where the incident happened, or empty when no area "
                    "is published (never for footage recorded in a nonpublic location)."
                ),
            ),
            Field("released_at", "datetime", N_("When the footage was released (UTC).")),
            Field("page", "string", N_("The release's page on this site (a path).")),
        ),
        rows=_release_rows,
    )
)

REQUESTS = register(
    Dataset(
        slug="requests",
        title=N_("Public request log"),
        description=N_(
            "One row per records request the department received, newest first: the same "
            "list as the Request log page. Requesters are never named: no name, email, "
            "phone or words of the request appear. Due dates are worked out when you "
            "download."
        ),
        fields=(
            Field("tracking_number", "string", N_("The request's public tracking number.")),
            Field("received_date", "date", N_("The day the department received the request.")),
            Field(
                "requester_category",
                "string",
                N_("A broad category of requester (for example media or public), or empty."),
            ),
            Field(
                "status",
                "string",
                N_("Where the request stands (received, in-progress, fulfilled, denied, …)."),
            ),
            Field(
                "due",
                "date",
                N_("The day the next answer is due under the Sunshine Law; empty once closed."),
            ),
            Field(
                "due_state",
                "string",
                N_(
                    "on-time, due-soon, due-today, overdue or paused (clock stopped); "
                    "empty once closed."
                ),
            ),
        ),
        rows=_request_rows,
    )
)


def _value(value: object) -> Any:
    """A cell as JSON has it: dates and times in ISO 8601 (times in UTC)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


#: A text cell starting with one of these is a formula to a spreadsheet that opens the CSV
#: (OWASP "CSV injection"): staff-typed text reaches the open data (an area, a funding
#: source, a unit), so such a cell is written after a ``'``, which spreadsheets read as text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    """A cell as CSV has it: empty for none, true/false for booleans, text that a
    spreadsheet would run as a formula after a ``'`` (numbers and dates as they are)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return str(_value(value))


def _chunks(
    rows: Iterable[Mapping[str, object]], limit: int | None
) -> Iterator[list[Mapping[str, object]]]:
    source = iter(rows) if limit is None else islice(rows, limit)
    while chunk := list(islice(source, CHUNK)):
        yield chunk


def csv_chunks(
    found: Dataset, rows: Iterable[Mapping[str, object]], *, limit: int | None = None
) -> Iterator[str]:
    """RFC 4180: a header row of the field names, CRLF line ends, quotes where needed."""
    names = [f.name for f in found.fields]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(names)
    yield buffer.getvalue()
    for chunk in _chunks(rows, limit):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerows([_cell(row.get(name)) for name in names] for row in chunk)
        yield buffer.getvalue()


def json_chunks(
    found: Dataset,
    rows: Iterable[Mapping[str, object]],
    generated_at: datetime,
    *,
    limit: int | None = None,
) -> Iterator[str]:
    """``{"dataset", "generated_at", "fields", "rows"}``, the rows written as they come."""
    names = [f.name for f in found.fields]
    head = {
        "dataset": found.slug,
        "generated_at": generated_at.astimezone(UTC).isoformat(),
        "fields": [field_json(f) for f in found.fields],
    }
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "rows": ['
    first = True
    for chunk in _chunks(rows, limit):
        text = ",".join(
            json.dumps({name: _value(row.get(name)) for name in names}, ensure_ascii=False)
            for row in chunk
        )
        yield text if first else "," + text
        first = False
    yield "]}"


def field_json(f: Field) -> dict[str, str]:
    return {"name": f.name, "type": f.type, "description": f.description}
