"""The whole demo (``sunlight demo``) is complete: a request in every state, none of the open
ones among its requesters' requests overdue on the day it is loaded, and something in every statistics figure, including the
release decisions pending with an outside agency."""

from __future__ import annotations

from sqlalchemy import select

from sunlight.db.base import utcnow
from sunlight.demo import DEMO_DAY, load_demo
from sunlight.demo_requests import REQUESTS
from sunlight.requests.clocks import clock_of
from sunlight.requests.models import RecordsRequest
from sunlight.requests.states import OPEN, Status
from sunlight.runtime import Runtime
from sunlight.stats import service
from sunlight.stats.figures import Range


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
    # The statistics demo is dated in the twelve months up to its own day (DEMO_DAY, 8 May
    # 2026), the views and the requests on the day it is loaded: a range from the one to
    # the other (Range.default(now) alone left the demo year behind on 2027-05-01).
    since = Range.default(DEMO_DAY).start
    figures = service.figures(runtime, Range(since, now.date()), now)
    assert {f.spec.slug for f in figures} >= {"pending-outside", "records-requests"}
    for figure in figures:
        shown = [
            cell
            for _, cells in figure.table.rows
            for cell in cells.values()
            if cell.suppressed or cell.value
        ]
        assert shown, f"{figure.spec.slug} shows nothing"
