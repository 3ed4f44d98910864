"""Staff pages read the app's clock, not the wall clock: the retention page's default day
and a camera handed over through the devices page are dated by it (house rule: clocks are
passed in; a test or a replay that sets the clock gets what it set)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sunlight.evidence import service
from sunlight.evidence.models import DeviceAssignment
from sunlight.runtime import Runtime
from sunlight.web.app import create_app
from tests.access.principals import acting_as, principal
from tests.support.evidence_data import add_officer

THEN = datetime(2024, 2, 29, 15, 30, tzinfo=UTC)  # years before any day the suite runs


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    app = create_app(runtime, start_worker=False)
    app.state.clock = lambda: THEN
    with TestClient(app) as test_client:
        yield test_client


def test_the_retention_page_defaults_to_the_apps_day(runtime: Runtime, client: TestClient) -> None:
    with acting_as(client, principal(runtime, "records-custodian")):
        page = client.get("/retention")
    assert page.status_code == 200
    assert "Dry run as of 2024-02-29" in page.text


def test_a_camera_handed_over_on_the_page_is_dated_by_the_apps_clock(
    runtime: Runtime, client: TestClient
) -> None:
    officer = add_officer(runtime, "7001", "Ana Ortiz")
    with runtime.db.session() as session:
        device = service.create_device(
            session, serial="BWC-7001", vendor="Axon", model="Body 4", actor="test"
        ).id
    with acting_as(client, principal(runtime, "administrator")):
        done = client.post(
            f"/devices/{device}/assign", data={"officer_id": officer}, follow_redirects=False
        )
    assert done.status_code == 303, done.text
    with runtime.db.session(read_only=True) as session:
        started = session.scalar(
            select(DeviceAssignment.started_at).where(DeviceAssignment.device_id == device)
        )
    assert started == THEN
