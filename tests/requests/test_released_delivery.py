"""Delivering a RELEASED copy to a requester (basis ``released``), on both back ends: only
a redacted copy released under the release case of an incident the request names; never
an unreleased candidate, nor another incident's release, nor an original this way."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sunlight.db.base import utcnow
from sunlight.errors import InvalidChange
from sunlight.evidence.models import CustodyEvent
from sunlight.release import service as release
from sunlight.requests import notify, service
from sunlight.runtime import Runtime
from sunlight.web.app import create_app
from tests.release.support import T0, Scenario, make_inactive, person, scenario
from tests.requests.support import file, load
from tests.support.auth import sign_in

DAY = timedelta(days=1)
#: The share link's condition reads the real clock, so deliver "now".
NOW = utcnow()


def _candidate(runtime: Runtime, s: Scenario) -> int:
    """Open the case, add and review the redacted copy, hand it to the authority."""
    custodian = person(runtime, 1, "records-custodian")
    make_inactive(runtime, s.incident_id)
    with runtime.db.session() as session:
        release.open_case(session, s.incident_id, principal=custodian, now=T0 + 6 * DAY)
        candidate = release.add_candidate(
            session, s.incident_id, s.derived_id, principal=custodian, now=T0 + 7 * DAY
        )
        release.review_candidate(
            session,
            candidate.id,
            principal=custodian,
            plan_version=s.plan_version,
            note="faces and plates checked",
            now=T0 + 8 * DAY,
        )
        release.move(session, s.incident_id, "ready", principal=custodian, now=T0 + 8 * DAY)
        return candidate.id


def _release(runtime: Runtime, s: Scenario, candidate_id: int) -> None:
    mshp = person(runtime, 50, "outside-investigator", agency_id=s.agency_id)
    with runtime.db.session() as session:
        release.decide_release(
            session, s.incident_id, principal=mshp, candidate_ids=[candidate_id], now=T0 + 9 * DAY
        )


def _request_naming(runtime: Runtime, incident_id: int) -> int:
    request_id, _ = file(runtime, now=T0 + 2 * DAY)
    custodian = person(runtime, 1, "records-custodian")
    with runtime.db.session() as session:
        service.add_item(
            session,
            service.get(session, request_id),
            principal=custodian,
            why="the shooting the requester describes",
            now=T0 + 2 * DAY,
            incident_id=incident_id,
        )
    return request_id


def _deliver(runtime: Runtime, request_id: int, recording_id: int) -> tuple[int, str]:
    custodian = person(runtime, 1, "records-custodian")
    with runtime.db.session() as session:
        delivery, raw = service.deliver(
            session,
            service.get(session, request_id),
            recording_id=recording_id,
            basis="released",
            actor=custodian,
            now=NOW,
            base_url="https://sunlight.example",
        )
        return delivery.id, raw


def test_released_copy_is_delivered_with_timeline_custody_and_email(runtime: Runtime) -> None:
    s = scenario(runtime)
    _release(runtime, s, _candidate(runtime, s))
    request_id = _request_naming(runtime, s.incident_id)
    with runtime.db.session(read_only=True) as session:
        listed = service.released_for(session, service.get(session, request_id))
    assert [c.derived_recording_id for c in listed] == [s.derived_id]

    delivery_id, raw = _deliver(runtime, request_id, s.derived_id)
    request = load(runtime, request_id)
    (delivery,) = request.deliveries
    assert delivery.recording_id == s.derived_id and delivery.basis == "released"
    assert delivery.notice_text is None and delivery.verification_id is None
    event = [e for e in request.events if e.kind == "delivered"][-1]
    assert event.details["release_id"] == listed[0].release_id
    assert event.details["basis"] == "released"
    assert "released (redacted) copy" in (event.public_text or "")
    with runtime.db.session(read_only=True) as session:
        created = session.scalars(
            select(CustodyEvent).where(
                CustodyEvent.object_id == str(s.derived_id), CustodyEvent.action == "share.create"
            )
        ).all()
        assert len(created) == 1
        mails = notify.emails_of(session, request_id)
        assert any(
            m.subject.endswith("Your records are ready")
            and f"https://sunlight.example/s/{raw}" in m.body
            for m in mails
        )
    # The requester's private page opens it: the released copy, not the original.
    with runtime.db.session() as session:
        recording = service.open_delivery(
            session, service.get(session, request_id), delivery_id, now=NOW + DAY
        )
        assert recording.id == s.derived_id


def test_unreleased_candidate_is_refused(runtime: Runtime) -> None:
    s = scenario(runtime, cad="KC26-000811")
    _candidate(runtime, s)  # reviewed and handed over, but not decided
    request_id = _request_naming(runtime, s.incident_id)
    with pytest.raises(InvalidChange, match="not a released copy of an incident linked"):
        _deliver(runtime, request_id, s.derived_id)
    # nor the original this way
    with pytest.raises(InvalidChange, match="not a released copy"):
        _deliver(runtime, request_id, s.original_id)
    assert load(runtime, request_id).deliveries == []


def test_released_copy_of_an_unlinked_incident_is_refused(runtime: Runtime) -> None:
    s = scenario(runtime, cad="KC26-000812")
    _release(runtime, s, _candidate(runtime, s))
    other = scenario(runtime, cad="KC26-000813")
    request_id = _request_naming(runtime, other.incident_id)
    with pytest.raises(InvalidChange, match="not a released copy of an incident linked"):
        _deliver(runtime, request_id, s.derived_id)
    assert load(runtime, request_id).deliveries == []


def test_staff_page_lists_released_copies_and_the_api_sends_one(runtime: Runtime) -> None:
    s = scenario(runtime, cad="KC26-000814")
    candidate_id = _candidate(runtime, s)
    request_id, _ = file(runtime, now=T0 + 2 * DAY)
    with TestClient(create_app(runtime, start_worker=False)) as client:
        sign_in(client, runtime, roles=("records-custodian",))
        linked = client.post(
            f"/api/requests/{request_id}/items",
            json={"incident_id": s.incident_id, "why": "the shooting described"},
        )
        assert linked.status_code == 201, linked.text
        page = client.get(f"/requests/{request_id}")
        assert f"send-released-{s.derived_id}" not in page.text
        body = {"recording_id": s.derived_id, "basis": "released"}
        reason = {"Sunlight-Reason": "records-request: released copy"}
        early = client.post(f"/api/requests/{request_id}/deliver", json=body, headers=reason)
        assert early.status_code == 422, early.text
        assert "not a released copy" in early.json()["detail"]

        _release(runtime, s, candidate_id)
        page = client.get(f"/requests/{request_id}")
        assert f'data-testid="send-released-{s.derived_id}"' in page.text
        sent = client.post(f"/api/requests/{request_id}/deliver", json=body, headers=reason)
        assert sent.status_code == 201, sent.text
        assert sent.json()["delivery"]["basis"] == "released"
        assert sent.json()["delivery"]["recording_id"] == s.derived_id


def test_embargoed_release_is_not_deliverable_until_published(runtime: Runtime) -> None:
    s = scenario(runtime, cad="KC26-000815")
    candidate_id = _candidate(runtime, s)
    mshp = person(runtime, 50, "outside-investigator", agency_id=s.agency_id)
    with runtime.db.session() as session:
        made = release.decide_release(
            session,
            s.incident_id,
            principal=mshp,
            candidate_ids=[candidate_id],
            now=T0 + 9 * DAY,
            embargo_until=T0 + 30 * DAY,
        )
        assert made[0].released_at is None
    request_id = _request_naming(runtime, s.incident_id)
    with pytest.raises(InvalidChange, match="not a released copy"):
        _deliver(runtime, request_id, s.derived_id)
    release.sweep(runtime.db, T0 + 31 * DAY)
    delivery_id, _ = _deliver(runtime, request_id, s.derived_id)
    assert load(runtime, request_id).deliveries[0].id == delivery_id
