"""The faces: /public/stats renders every figure (chart with title and desc, and a table)
without staff chrome or inline style; the JSON gives a hidden cell as value null,
suppressed true, "fewer than 5"; a bad range is 422 on the page and the API; the figures
are registered as open datasets; release cases pending with an outside agency are counted
with how long they have waited."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from sunlight.db.base import utcnow
from sunlight.portal.datasets import dataset
from sunlight.requests.states import Status
from sunlight.runtime import Runtime
from sunlight.stats.figures import SPECS
from sunlight.web.app import create_app
from tests.release.support import make_inactive, scenario
from tests.stats.test_figures import NOV2, NOW, act, file_requests
from tests.support.auth import sign_in, sign_out

STAFF_CHROME = ("Signed in as", 'href="/recordings"', 'href="/audit"', "Sign out")


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    app = create_app(runtime, start_worker=False)
    app.state.clock = lambda: NOW
    with TestClient(app) as test_client:
        yield test_client


def test_the_page_renders_every_figure_with_chart_and_table(
    runtime: Runtime, client: TestClient
) -> None:
    ids = file_requests(runtime, 7)
    act(runtime, ids[:4], Status.FULFILLED, NOV2 + timedelta(days=1))
    page = client.get("/public/stats")
    assert page.status_code == 200, page.text
    html = page.text
    for spec in SPECS:
        assert f'id="{spec.slug}"' in html
        assert f'<title id="chart-{spec.slug}-title">' in html or "Nothing to count" in html
    assert html.count("<svg") >= 5 and html.count("<table>") == html.count("<svg")
    assert "<desc id=" in html
    assert "fewer than 5" in html
    assert "style=" not in html and "<script" not in html
    for chrome in STAFF_CHROME:
        assert chrome not in html
    # the default range: the last 12 months, from the first of the month 11 months ago
    assert 'value="2026-01-01"' in html and 'value="2026-12-07"' in html


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-13-01",
        "from=yesterday",
        "from=2026-05-01&to=2026-04-01",
        # the last days there are: the range's end and its months ran past Python's dates
        "from=9999-12-01&to=9999-12-31",
        "from=9999-01-01",
    ],
)
def test_a_bad_range_is_422(runtime: Runtime, client: TestClient, query: str) -> None:
    page = client.get(f"/public/stats?{query}", headers={"accept": "text/html"})
    assert page.status_code == 422
    assert 'class="error"' in page.text
    api = client.get(f"/api/public/stats/records-requests?{query}")
    assert api.status_code == 422
    assert client.get(f"/api/public/stats?{query}").status_code == 422


def test_json_figure_marks_suppressed_cells(runtime: Runtime, client: TestClient) -> None:
    ids = file_requests(runtime, 7)
    act(runtime, ids[:4], Status.FULFILLED, NOV2 + timedelta(days=1))
    body = client.get("/api/public/stats/records-requests?from=2026-11-01&to=2026-11-30").json()
    assert body["date_from"] == "2026-11-01" and body["date_to"] == "2026-11-30"
    assert body["small_cell_threshold"] == 5 and body["unit"] == "requests"
    rows = {tuple(r["labels"]): r["values"]["requests"] for r in body["rows"]}
    assert rows[("Received",)] == {"value": 7, "suppressed": False, "display": "7"}
    assert rows[("Open and overdue",)] == {
        "value": None,
        "suppressed": True,
        "display": "fewer than 5",
    }
    index = client.get("/api/public/stats").json()
    assert [f["slug"] for f in index["figures"]] == [s.slug for s in SPECS]
    assert client.get("/api/public/stats/nonsense").status_code == 404
    policy = client.get("/api/public/stats/policy").json()
    assert policy["small_cell_threshold"] == 5 and len(policy["sha256"]) == 64
    assert "small_cell_threshold: 5" in client.get("/api/public/stats/policy.yaml").text


def test_figures_are_open_datasets(runtime: Runtime) -> None:
    ids = file_requests(runtime, 7)
    act(runtime, ids[:4], Status.FULFILLED, NOV2 + timedelta(days=1))
    found = dataset("stats-records-requests")
    assert found is not None
    names = [f.name for f in found.fields]
    assert names[:3] == ["date_from", "date_to", "outcome"]
    rows = {r["outcome"]: r for r in found.rows(runtime, NOW)}
    assert rows["Received"]["requests"] == 7
    assert rows["Open and overdue"]["requests"] is None
    assert rows["Open and overdue"]["requests_suppressed"] is True
    for spec in SPECS:
        assert dataset(f"stats-{spec.slug}") is not None


def test_releases_pending_with_an_outside_agency(runtime: Runtime, client: TestClient) -> None:
    client.app.state.clock = None  # type: ignore[attr-defined]  # staff sign in on real time
    for n in range(5):
        s = scenario(runtime, cad=f"KC26-00070{n}")
        make_inactive(runtime, s.incident_id)
        base = f"/api/incidents/{s.incident_id}/release"
        sign_in(client, runtime, roles=("records-custodian",))
        assert client.post(base).status_code == 201
        case = client.post(f"{base}/candidates", json={"recording_id": s.derived_id}).json()
        candidate = case["candidates"][0]["id"]
        client.post(f"{base}/candidates/{candidate}/review", json={"plan_version": 2})
        assert client.post(f"{base}/state", json={"to": "ready"}).status_code == 200
        sign_out(client)
    # the page on the same real clock the hand-overs were made on (a pinned date would put
    # them in its future once the calendar passes it)
    read_at = utcnow()
    client.app.state.clock = lambda: read_at  # type: ignore[attr-defined]
    body = client.get("/api/public/stats/pending-outside").json()
    rows = {tuple(r["labels"]): r["values"] for r in body["rows"]}
    agencies = {labels[0] for labels in rows}
    assert len(agencies) == 1
    (agency,) = agencies
    assert rows[(agency, "All")]["cases"]["value"] == 5
    assert body["snapshot"] is True
    # handed over moments before the page was read: under 30 days
    assert 0 <= rows[(agency, "All")]["median_days"]["value"] < 30
    assert rows[(agency, "Under 30 days")]["cases"]["value"] == 5
    assert rows[(agency, "90 days or more")]["cases"]["value"] == 0


def test_page_has_no_inline_style_in_svg(runtime: Runtime, client: TestClient) -> None:
    html = client.get("/public/stats").text
    assert not re.search(r"<svg[^>]*style=", html)
