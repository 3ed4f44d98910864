"""The statistics demo data gives every chart (but the snapshot of releases pending with an
outside agency, which needs release cases) something above the small-number threshold;
loading it twice adds nothing."""

from __future__ import annotations

from datetime import timedelta

from sunlight.db.base import utcnow
from sunlight.demo_accounts import ensure_demo_accounts
from sunlight.demo_stats import ensure_demo_stats
from sunlight.incidents import service as incidents
from sunlight.runtime import Runtime
from sunlight.stats import service
from sunlight.stats.figures import Range
from tests.support.evidence_data import add_officer, add_recording


def test_every_chart_shows_something(embedded_runtime: Runtime) -> None:
    runtime = embedded_runtime
    now = utcnow()
    add_officer(runtime, "4417", "Demo Officer", "Central Patrol Division")
    at = now - timedelta(days=40)
    assembly = add_recording(runtime, recorded_at=at)
    with runtime.db.session() as session:
        found = incidents.create_incident(
            session,
            cad_number="26-0508-0203",
            type="first-amendment-assembly",
            started_at=at,
            ended_at=at + timedelta(hours=1),
            actor="test:clerk",
        )
        incidents.link_recording(session, found.id, assembly, actor="test:clerk")
    ensure_demo_accounts(runtime)
    assert ensure_demo_stats(runtime, now) > 90
    assert ensure_demo_stats(runtime, now) == 0
    figures = service.figures(runtime, Range.default(now), now)
    for figure in figures:
        if figure.spec.slug == "pending-outside":
            continue
        shown = [
            cell.value
            for _, cells in figure.table.rows
            for cell in cells.values()
            if not cell.suppressed and cell.value
        ]
        assert shown, f"{figure.spec.slug} shows nothing"
