"""A person links recordings to an incident and hands it to the Missouri Highway Patrol."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from sunlight.evidence.custody import events_for
from sunlight.incidents import service
from sunlight.runtime import Runtime
from tests.support.evidence_data import add_officer, add_recording

pytestmark = pytest.mark.browser

T0 = datetime(2026, 5, 8, 14, 0, tzinfo=UTC)


def test_link_recording_and_assign_to_highway_patrol(
    page: Page, embedded_runtime: Runtime, base_url_live: str
) -> None:
    runtime = embedded_runtime
    officer = add_officer(runtime, "4417", "Dana Whitfield", "Central")
    suggested = add_recording(
        runtime, officer_id=officer, recorded_at=T0 + timedelta(minutes=2), title="Body camera 4417"
    )
    by_hand = add_recording(runtime, recorded_at=T0, title="In-car camera, unit 212")
    with runtime.db.session() as session:
        service.create_incident(
            session,
            cad_number="KC26-004417",
            type="officer-involved-shooting",
            started_at=T0,
            ended_at=T0 + timedelta(minutes=30),
            location="E 35th St & Prospect Ave",
            officer_badges=["4417"],
            actor="test:cad",
        )

    page.goto(f"{base_url_live}/incidents")
    page.get_by_role("link", name="KC26-004417").click()
    expect(page.get_by_role("heading", name="Incident KC26-004417")).to_be_visible()
    suggestions = page.locator("table.suggestions")
    expect(suggestions).to_contain_text("Body camera 4417")
    page.get_by_role("button", name=f"Confirm recording {suggested}").click()
    linked = page.locator("table.linked")
    expect(linked).to_contain_text("Body camera 4417")
    expect(linked).to_contain_text("suggested")

    page.get_by_label("Recording number").fill(str(by_hand))
    page.get_by_role("button", name="Link recording").click()
    expect(linked).to_contain_text("In-car camera, unit 212")

    expect(page.get_by_label("Investigating agency")).to_have_value(
        str(_agency_id(runtime, "Missouri Highway Patrol"))
    )
    page.get_by_label("Reason for the hand-over").fill("Officer-involved shooting protocol")
    page.get_by_role("button", name="Hand over custody").click()
    expect(page.locator("#custodian")).to_have_text("Missouri Highway Patrol")
    expect(page.locator("#custody-notice")).to_contain_text("In the custody of Missouri Highway")
    expect(page.get_by_role("button", name="Unlink")).to_have_count(0)
    expect(page.locator("table.events")).to_contain_text("custody.transfer")

    with runtime.db.session() as session:
        for rec in (suggested, by_hand):
            assert service.custodian_of(session, rec) == "Missouri Highway Patrol"
            actions = [e.action for e in events_for(session, "recording", rec)]
            assert actions[-2:] == ["incident.link", "custody.transfer"]


def _agency_id(runtime: Runtime, name: str) -> int:
    with runtime.db.session() as session:
        return next(a.id for a in service.list_agencies(session) if a.name == name)
