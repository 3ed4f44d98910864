"""The whole demo (``sunlight demo``) is complete: a request in every state, none of the open
ones among its requesters' requests overdue on the day it is loaded, and something in every
statistics figure of the range ``/public/stats`` shows by default (the twelve months up to
the day it is loaded), including the release decisions pending with an outside agency:
loaded today, and loaded years after its demo day on a pinned clock."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select

from sunlight.db.base import utcnow
from sunlight.demo import load_demo
from sunlight.demo_requests import REQUESTS
from sunlight.requests.clocks import clock_of
from sunlight.requests.models import RecordsRequest
from sunlight.requests.states import OPEN, Status
from sunlight.runtime import Runtime
from sunlight.stats import service
from sunlight.stats.figures import SPECS, Range
from sunlight.web.app import create_app

#: Two years after the demo day (8 May 2026), which a demo dated on it would leave behind.
FAR = datetime(2028, 6, 1, 12, 0, tzinfo=UTC)


def test_the_demo_has_every_request_state_and_data_for_every_chart(
    embedded_runtime: Runtime,
) -> None:
    runtime = embedded_runtime
    now = utcnow()
    counts = load_demo(runtime, today=now)
    assert counts["pending_outside"] == 1
    demo_emails = {r.email for r in REQUESTS}  # (the statistics' own are overdue on purpose)
    with runtime.db.session(read_only=True) as session:
        found = list(session.scalars(select(RecordsRequest)))
        assert {Status(r.status) for r in found} == set(Status)
        for request in found:
            if Status(request.status) in OPEN and request.requester_email in demo_emails:
                state = clock_of(request, now=now).state
                assert state != "overdue", (request.tracking_number, request.status)
        # filed in the order they were received: the public request log (newest filed first)
        # reads newest received first, and tracking numbers count up with the date
        filed = sorted(found, key=lambda r: r.id)
        assert [r.received_date for r in filed] == sorted(r.received_date for r in found)
    # The statistics demo is dated in the twelve months up to the day it is loaded: the
    # range /public/stats shows by default.
    figures = service.figures(runtime, Range.default(now), now)
    assert {f.spec.slug for f in figures} >= {"pending-outside", "records-requests"}
    for figure in figures:
        shown = [
            cell
            for _, cells in figure.table.rows
            for cell in cells.values()
            if cell.suppressed or cell.value
        ]
        assert shown, f"{figure.spec.slug} shows nothing"


def test_a_demo_loaded_years_on_fills_the_default_statistics(embedded_runtime: Runtime) -> None:
    """Loaded on 1 June 2028 (the demo's and the app's clock, not the wall clock), two years
    after its demo day: every chart of the default range of /public/stats has something."""
    runtime = embedded_runtime
    load_demo(runtime, today=FAR)
    app = create_app(runtime, start_worker=False)
    app.state.clock = lambda: FAR
    with TestClient(app) as client:
        index = client.get("/api/public/stats")
        assert index.status_code == 200, index.text
        body = index.json()
        assert (body["date_from"], body["date_to"]) == ("2027-07-01", "2028-06-01")
        slugs = [f["slug"] for f in body["figures"]]
        assert len(slugs) == len(SPECS)
        for slug in slugs:
            figure = client.get(f"/api/public/stats/{slug}").json()
            assert (figure["date_from"], figure["date_to"]) == ("2027-07-01", "2028-06-01")
            shown = [
                cell
                for row in figure["rows"]
                for cell in row["values"].values()
                if cell["suppressed"] or cell["value"]
            ]
            assert shown, f"{slug} shows nothing"
        page = client.get("/public/stats")
        assert page.status_code == 200 and "Nothing to count" not in page.text
