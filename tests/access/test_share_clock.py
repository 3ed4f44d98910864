"""A share holds until it expires on the clock the question is asked on: the caller's
``now`` (``decide``/``visible``) and, over the web, the app's clock (``app.state.clock``),
never the wall clock. The single check and the list agree on both sides of the expiry.

Each test runs in two eras, years before and years after the real date, so a condition that
read the wall clock fails one of them whatever day the suite runs on. The web tests also
check that what the app records and shows is on its clock: a read's custody event and the
window that folds a player's requests into one read, an audit view, the custody report's
"produced" time and an API token's state.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sunlight.access import Permission, Principal, decide, visible
from sunlight.access import tokens as token_service
from sunlight.evidence import shares
from sunlight.evidence.custody import events_for
from sunlight.evidence.models import CustodyEvent, Recording
from sunlight.incidents.models import Incident
from sunlight.runtime import Runtime
from tests.access.share_support import (
    AsPrincipal,
    acting,
    agency_id,
    app_client,
    custodian,
    new_recording,
    prosecutor,
    user,
)
from tests.support import access_data as data

#: When the shares are made: long before and long after any day the suite runs on.
ERAS = {
    "past": datetime(2021, 3, 1, 10, 0, tzinfo=UTC),
    "future": datetime(2031, 3, 1, 10, 0, tzinfo=UTC),
}
DAYS = 7
SECOND = timedelta(seconds=1)
REASON = {"Sunlight-Reason": "court: case 24-1"}


@pytest.fixture(params=list(ERAS.values()), ids=list(ERAS))
def made(request: pytest.FixtureRequest) -> datetime:
    moment: datetime = request.param
    return moment


@pytest.fixture
def clock() -> dict[str, datetime]:
    return {"now": ERAS["future"]}


@pytest.fixture
def client(runtime: Runtime, clock: dict[str, datetime]) -> Iterator[TestClient]:
    with app_client(runtime) as test_client:
        test_client.app.state.clock = lambda: clock["now"]  # type: ignore[attr-defined]
        yield test_client


@pytest.fixture
def as_principal(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> AsPrincipal:
    return acting(client, monkeypatch)


def _events(runtime: Runtime, recording_id: int, action: str) -> list[CustodyEvent]:
    with runtime.db.session(read_only=True) as session:
        found = events_for(session, "recording", recording_id)
        for e in found:
            session.expunge(e)
    return [e for e in found if e.action == action]


def _linked_incident(runtime: Runtime, recording_id: int) -> int:
    with runtime.db.session() as session:
        return data.add_incident(session, recordings=[recording_id])


def _sides(expires: datetime) -> list[tuple[datetime, bool]]:
    """Just before the expiry the share holds; at it and just after, it does not."""
    return [(expires - SECOND, True), (expires, False), (expires + SECOND, False)]


def _both(
    runtime: Runtime,
    principal: Principal,
    permission: Permission,
    list_permission: Permission,
    resource_id: int,
    now: datetime,
) -> tuple[bool, bool, set[int]]:
    """The single check (allowed, in scope) and the list, at ``now``."""
    kind = "recording" if permission.value.startswith("recording") else "incident"
    column = Recording.id if kind == "recording" else Incident.id
    with runtime.db.session(read_only=True) as session:
        single = decide(session, principal, permission, resource_id, now=now)
        listed = set(
            session.scalars(select(column).where(visible(principal, list_permission, now=now)))
        )
    return single.allowed, single.in_scope, listed


def test_an_agency_share_holds_until_it_expires_at_the_decisions_now(
    runtime: Runtime, made: datetime
) -> None:
    rid = new_recording(runtime)
    new_recording(runtime, "Another stop")  # never shared: never listed
    incident = _linked_incident(runtime, rid)
    lawyer = prosecutor(runtime)
    with runtime.db.session() as session:
        share, raw = shares.create_share(
            session,
            recording_id=rid,
            recipient="Jackson County Prosecutor",
            recipient_kind="prosecutor",
            agency_id=agency_id(runtime, "JCPO"),
            link=False,
            reason="court: case 24-1",
            actor=custodian(runtime),
            expires_days=DAYS,
            now=made,
        )
        expires = share.expires_at
    assert raw is None and expires == made + timedelta(days=DAYS)
    for now, held in _sides(expires):
        # the recording: shared_with_agency (access.sharing_rules)
        allowed, in_scope, listed = _both(
            runtime, lawyer, Permission.RECORDING_VIEW, Permission.RECORDING_LIST, rid, now
        )
        assert (allowed, in_scope, listed) == (held, held, {rid} if held else set()), now
        # its incident: shared_with_agency for incidents (incidents.access_rules)
        allowed, in_scope, listed = _both(
            runtime, lawyer, Permission.INCIDENT_VIEW, Permission.INCIDENT_VIEW, incident, now
        )
        assert (allowed, in_scope, listed) == (held, held, {incident} if held else set()), now


def test_a_link_share_holds_until_it_expires_at_the_decisions_now(
    runtime: Runtime, made: datetime
) -> None:
    rid = new_recording(runtime)
    with runtime.db.session() as session:
        share, raw = shares.create_share(
            session,
            recording_id=rid,
            recipient="A complainant",
            recipient_kind="complainant",
            reason="complaint: C-2026-14",
            actor=custodian(runtime),
            expires_days=DAYS,
            now=made,
        )
        visitor = shares.link_principal(share)
        expires = share.expires_at
    assert raw is not None
    for now, held in _sides(expires):
        allowed, in_scope, listed = _both(
            runtime, visitor, Permission.RECORDING_VIEW, Permission.RECORDING_LIST, rid, now
        )
        assert (allowed, in_scope, listed) == (held, held, {rid} if held else set()), now
        with runtime.db.session(read_only=True) as session:
            visit = shares.resolve_link(session, raw, now=now)
        assert visit is not None and visit.usable is held  # the link's state agrees


def _share(client: TestClient, recording_id: int, **body: Any) -> dict[str, Any]:
    payload = {
        "recipient": "J. Doe",
        "recipient_kind": "defence",
        "reason": "court: discovery in case 24-1",
        "expires_days": DAYS,
        **body,
    }
    response = client.post(f"/api/recordings/{recording_id}/shares", json=payload)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_over_the_web_shares_expire_on_the_apps_clock(
    runtime: Runtime,
    client: TestClient,
    as_principal: AsPrincipal,
    clock: dict[str, datetime],
    made: datetime,
) -> None:
    clock["now"] = made
    rid = new_recording(runtime)
    incident = _linked_incident(runtime, rid)
    staff, lawyer = custodian(runtime), prosecutor(runtime)
    as_principal(staff)
    to_office = _share(
        client,
        rid,
        recipient="Jackson County Prosecutor",
        recipient_kind="prosecutor",
        agency_id=agency_id(runtime, "JCPO"),
        link=False,
    )
    by_link = _share(client, rid)
    expires = made + timedelta(days=DAYS)
    for created in (to_office, by_link):  # made and shown on the app's clock
        assert datetime.fromisoformat(created["created_at"]) == made
        assert datetime.fromisoformat(created["expires_at"]) == expires
        assert created["state"] == "active"
    token = by_link["link_token"]

    for now, held in _sides(expires):
        clock["now"] = now
        state = "active" if held else "expired"
        as_principal(staff)
        listed = client.get(f"/api/recordings/{rid}/shares").json()
        assert [s["state"] for s in listed] == [state, state], now
        active = client.get("/api/shares", params={"active": "true"}).json()["items"]
        assert len(active) == (2 if held else 0), now
        panel = client.get(f"/recordings/{rid}", headers=REASON)
        assert panel.status_code == 200 and f">{state}<" in panel.text, now

        # the prosecutor's office: the single check and the lists
        as_principal(lawyer)
        seen = 200 if held else 404
        assert client.get(f"/api/recordings/{rid}").status_code == seen, now
        recordings = client.get("/api/recordings").json()["items"]
        assert [r["id"] for r in recordings] == ([rid] if held else []), now
        assert client.get(f"/api/incidents/{incident}").status_code == seen, now
        incidents = client.get("/api/incidents").json()
        assert [i["id"] for i in incidents] == ([incident] if held else []), now

        # the link's visitor
        assert client.get(f"/s/{token}").status_code == seen, now

    [refused] = [e for e in _events(runtime, rid, "share.use") if e.outcome == "denied"]
    assert refused.reason == "the link is expired"
    assert refused.occurred_at == expires  # the first refused visit, recorded on the app's clock


def test_reads_are_recorded_and_folded_on_the_apps_clock(
    runtime: Runtime, client: TestClient, as_principal: AsPrincipal, clock: dict[str, datetime]
) -> None:
    start = clock["now"]
    rid = new_recording(runtime)
    as_principal(custodian(runtime))
    for minutes in (0, 4, 6, 9):  # a read within 5 minutes of the last recorded one folds
        clock["now"] = start + timedelta(minutes=minutes)
        assert client.get(f"/api/recordings/{rid}", headers=REASON).status_code == 200
    views = [e.occurred_at for e in _events(runtime, rid, "view")]
    assert views == [start, start + timedelta(minutes=6)]


def test_audit_views_custody_reports_and_tokens_are_on_the_apps_clock(
    runtime: Runtime, client: TestClient, as_principal: AsPrincipal, clock: dict[str, datetime]
) -> None:
    start = clock["now"]
    rid = new_recording(runtime)
    admin = user(runtime, 7, "administrator")
    as_principal(admin)
    for minutes in (0, 4, 6):
        clock["now"] = start + timedelta(minutes=minutes)
        assert client.get(f"/api/audit/recordings/{rid}").status_code == 200
    noted = [e.occurred_at for e in _events(runtime, rid, "audit.view")]
    assert noted == [start, start + timedelta(minutes=6)]

    as_principal(custodian(runtime))
    clock["now"] = start
    report = client.get(f"/recordings/{rid}/custody-report")
    assert report.status_code == 200
    assert "produced 2031-03-01 10:00:00 UTC" in report.text

    with runtime.db.session() as session:
        token, _ = token_service.create_token(
            session, name="nightly export", expires_days=1, actor=admin, now=start
        )
        token_id = token.id
    clock["now"] = start + timedelta(hours=23)
    as_principal(dataclasses.replace(admin, reauth_at=clock["now"]))  # token:manage steps up
    assert f"/admin/tokens/{token_id}/revoke" in client.get("/admin/tokens").text  # active
    clock["now"] = start + timedelta(days=2)
    as_principal(dataclasses.replace(admin, reauth_at=clock["now"]))
    page = client.get("/admin/tokens").text
    assert f"/admin/tokens/{token_id}/revoke" not in page and ">expired<" in page
