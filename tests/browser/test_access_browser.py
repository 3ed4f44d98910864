"""In a browser: an officer is refused First Amendment footage until a purpose is given (a
form with the policy's purposes takes the player's place), and refused the footage of a
critical incident they were involved in until their statement is recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from sunlight.incidents import complaints
from sunlight.incidents import service as incidents
from sunlight.runtime import Runtime
from tests.support.auth import browser_sign_in
from tests.support.evidence_data import add_officer, add_recording
from tests.support.server import live_server

pytestmark = pytest.mark.browser
T0 = datetime(2026, 5, 8, 14, 0, tzinfo=UTC)


def _incident(runtime: Runtime, cad: str, kind: str, badge: str, recording: int) -> int:
    with runtime.db.session() as session:
        incident = incidents.create_incident(
            session,
            cad_number=cad,
            type=kind,
            started_at=T0,
            ended_at=T0 + timedelta(minutes=30),
            officer_badges=[badge],
            actor="test:setup",
        )
        incidents.link_recording(session, incident.id, recording, actor="test:setup")
        return incident.id


def test_officer_refused_protest_footage_without_a_purpose(
    embedded_runtime: Runtime, context: BrowserContext, page: Page
) -> None:
    runtime = embedded_runtime
    officer = add_officer(runtime, "3003", "Casey Protest", unit="Central")
    rec = add_recording(runtime, officer_id=officer, recorded_at=T0)
    _incident(runtime, "KC26-FA1", "first-amendment-assembly", "3003", rec)
    with live_server(runtime) as url:
        browser_sign_in(context, url, runtime, roles=("officer",), officer_id=officer)
        page.goto(f"{url}/recordings/{rec}")
        form = page.locator("#reason-form")
        expect(form).to_be_visible()
        expect(form).to_contain_text("first-amendment-purpose")
        expect(page.locator("video")).to_have_count(0)
        page.select_option("#reason-id", "criminal-investigation")
        page.fill("#reason-text", "case 26-0071")
        page.get_by_role("button", name="View footage").click()
        expect(page).to_have_url(
            f"{url}/recordings/{rec}?reason=criminal-investigation%3A+case+26-0071"
        )
        expect(page.locator("#reason-form")).to_have_count(0)


def test_officer_refused_critical_incident_footage_before_the_statement(
    embedded_runtime: Runtime, context: BrowserContext, page: Page
) -> None:
    runtime = embedded_runtime
    officer = add_officer(runtime, "4004", "Drew Involved", unit="Central")
    rec = add_recording(runtime, officer_id=officer, recorded_at=T0)
    incident = _incident(runtime, "KC26-OIS1", "officer-involved-shooting", "4004", rec)
    with live_server(runtime) as url:
        browser_sign_in(context, url, runtime, roles=("officer",), officer_id=officer)
        answer = page.goto(f"{url}/recordings/{rec}")
        assert answer is not None and answer.status == 403
        expect(page.get_by_role("alert")).to_contain_text("report-before-review")
        with runtime.db.session() as session:
            complaints.record_statement(session, incident, officer, actor="test:detective")
        answer = page.goto(f"{url}/recordings/{rec}")
        assert answer is not None and answer.status == 200
        expect(page.locator("#reason-form")).to_have_count(0)
