"""Refusals that name no resource: a signed-in actor's become ``access.denied`` custody
events (once per actor, permission and route a minute, the rest counted), an anonymous
caller's are only counted, and the tally table stays bounded. Cross-site and CSRF refusals
(``web/security.py``) go through the same door under the permission ``csrf``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from sunlight.audit import refusals
from sunlight.audit.models import RefusalTally
from sunlight.cli.main import cli
from sunlight.evidence.custody import Action
from sunlight.evidence.models import CustodyEvent
from sunlight.runtime import Runtime, start
from sunlight.web import denials
from sunlight.web.app import create_app
from sunlight.web.security import COOKIE
from tests.access.principals import acting_as, principal
from tests.conftest import embedded_settings
from tests.support.auth import bearer, make_session, use_session

NOW = datetime(2026, 12, 4, 15, 30, 10, tzinfo=UTC)
ROUTE = "GET /api/requests"


@pytest.fixture
def clock() -> dict[str, datetime]:
    return {"now": NOW}


@pytest.fixture
def client(runtime: Runtime, clock: dict[str, datetime]) -> Iterator[TestClient]:
    app = create_app(runtime, start_worker=False)
    app.state.clock = lambda: clock["now"]
    with TestClient(app) as test_client:
        yield test_client


def denied_events(runtime: Runtime, actor: str) -> list[CustodyEvent]:
    with runtime.db.session(read_only=True) as session:
        return list(
            session.scalars(
                select(CustodyEvent)
                .where(
                    CustodyEvent.actor == actor,
                    CustodyEvent.action == str(Action.ACCESS_DENIED),
                )
                .order_by(CustodyEvent.id)
            )
        )


def tally_rows(runtime: Runtime, actor: str) -> list[RefusalTally]:
    with runtime.db.session(read_only=True) as session:
        return list(
            session.scalars(
                select(RefusalTally).where(RefusalTally.actor == actor).order_by(RefusalTally.id)
            )
        )


def test_an_officer_listing_requests_is_recorded(runtime: Runtime, client: TestClient) -> None:
    officer = principal(runtime, "officer")
    with acting_as(client, officer):
        answer = client.get("/api/requests")
    assert answer.status_code == 403
    [event] = denied_events(runtime, officer.id)
    assert event.outcome == "denied"
    assert (event.object_type, event.object_id) == ("route", ROUTE)
    assert event.details["permission"] == "request:view"
    assert event.occurred_at == NOW


def test_fifty_refusals_in_a_minute_are_one_event_with_a_count(
    runtime: Runtime, client: TestClient, clock: dict[str, datetime]
) -> None:
    officer = principal(runtime, "officer")
    with acting_as(client, officer):
        for i in range(50):
            clock["now"] = NOW + timedelta(seconds=i % 45)
            assert client.get("/api/requests", params={"page": i}).status_code == 403
        [event] = denied_events(runtime, officer.id)
        [tally] = tally_rows(runtime, officer.id)
        assert (tally.count, tally.event_id, tally.route) == (50, event.id, ROUTE)
        # the next minute's first refusal is a new event that carries the last minute's count
        clock["now"] = NOW + timedelta(minutes=1)
        assert client.get("/api/requests").status_code == 403
    first, second = denied_events(runtime, officer.id)
    assert second.details["earlier"] == {
        "minute": refusals.minute_of(NOW).isoformat(),
        "count": 50,
        "event_id": first.id,
    }


def test_anonymous_refusals_are_tallied_not_logged(
    runtime: Runtime, client: TestClient, clock: dict[str, datetime]
) -> None:
    with runtime.db.session(read_only=True) as session:
        before = session.scalar(select(func.count()).select_from(CustodyEvent))
    for i in range(30):
        clock["now"] = NOW + timedelta(seconds=i)
        assert client.get("/api/requests").status_code == 401
    with runtime.db.session(read_only=True) as session:
        after = session.scalar(select(func.count()).select_from(CustodyEvent))
    assert after == before
    # a flood is one write a minute: the minute's first at once, the rest counted in memory
    [tally] = tally_rows(runtime, "public")
    assert (tally.count, tally.event_id, tally.permission) == (1, None, "request:view")
    # ... and written with the next minute's first
    clock["now"] = NOW + timedelta(minutes=1)
    assert client.get("/api/requests").status_code == 401
    first, second = tally_rows(runtime, "public")
    assert (first.minute, first.count) == (refusals.minute_of(NOW), 30)
    assert (second.minute, second.count) == (refusals.minute_of(clock["now"]), 1)


def test_a_refusal_that_cannot_be_recorded_is_still_answered_as_a_refusal(
    runtime: Runtime, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recording never changes the answer: the database busy is a 401/403, not a 503."""

    def busy(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database is locked")

    monkeypatch.setattr(denials, "note_refusal", busy)
    assert client.get("/api/requests").status_code == 401
    officer = principal(runtime, "officer")
    with acting_as(client, officer):
        assert client.get("/api/requests").status_code == 403


def test_the_tally_table_stays_bounded(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(refusals, "MAX_TALLIES", 20)
    monkeypatch.setattr(refusals, "PRUNE_BATCH", 5)
    with runtime.db.session() as session:
        for i in range(100):
            refusals.note_refusal(
                session,
                actor="public",
                signed_in=False,
                permission="request:view",
                route=f"GET /api/route-{i}",
                explanation="sign in first",
                now=NOW + timedelta(minutes=i),
            )
    with runtime.db.session(read_only=True) as session:
        held = session.scalar(select(func.count()).select_from(RefusalTally))
        newest = session.scalars(
            select(RefusalTally.route).order_by(RefusalTally.minute.desc()).limit(1)
        ).one()
    assert held is not None and held <= 20
    assert newest == "GET /api/route-99"  # the oldest minutes went first


def test_the_cli_lists_the_tallies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    runtime = start(embedded_settings(home))
    try:
        with runtime.db.session() as session:
            refusals.note_refusal(
                session,
                actor="user:7",
                signed_in=True,
                permission="request:view",
                route=ROUTE,
                explanation="requires permission request:view",
                now=NOW,
            )
    finally:
        runtime.close()
    monkeypatch.setenv("SUNLIGHT_HOME", str(home))
    monkeypatch.setenv("SUNLIGHT_WORKER_MODE", "eager")
    result = CliRunner().invoke(cli, ["refusals", "--json"])
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.output)
    assert (row["actor"], row["route"], row["count"]) == ("user:7", ROUTE, 1)
    assert row["event_id"] is not None
    text = CliRunner().invoke(cli, ["refusals"])
    assert "user:7" in text.output and ROUTE in text.output


def test_a_long_route_fits_the_custody_log() -> None:
    route = "POST /api/incidents/{incident_id}/release/orders/{order_id}/confirm"
    key = refusals.route_key(route)
    assert len(key) == 64 and key.startswith("POST /api/incidents/{incident_id}/release/")
    assert refusals.route_key(route + "x") != key
    assert refusals.route_key(ROUTE) == ROUTE


# Cross-site and CSRF refusals: the same door, permission "csrf".

TRANSITION = "/api/requests/1/transition"
TRANSITION_ROUTE = "POST /api/requests/{request_id}/transition"
EVIL = "https://evil.example"


def all_events(runtime: Runtime) -> int:
    with runtime.db.session(read_only=True) as session:
        return session.scalar(select(func.count()).select_from(CustodyEvent)) or 0


def test_a_cross_site_post_from_a_signed_in_user_is_refused_and_recorded(
    runtime: Runtime, client: TestClient, clock: dict[str, datetime]
) -> None:
    signed = make_session(runtime, roles=("records-custodian",), now=NOW)
    use_session(client, signed)
    for i in range(3):
        clock["now"] = NOW + timedelta(seconds=i)
        answer = client.post(TRANSITION, json={"to": "acknowledged"}, headers={"Origin": EVIL})
        assert answer.status_code == 403
        assert "Origin is not allowed" in answer.json()["detail"]
    actor = signed.principal.id
    [event] = denied_events(runtime, actor)  # once a minute, the rest counted
    assert event.outcome == "denied"
    assert (event.object_type, event.object_id) == ("route", TRANSITION_ROUTE)
    assert event.details["permission"] == denials.CSRF
    assert event.details["route"] == TRANSITION_ROUTE
    assert "Origin is not allowed" in event.details["explanation"]
    assert event.occurred_at == NOW
    [tally] = tally_rows(runtime, actor)
    assert (tally.permission, tally.route, tally.count, tally.event_id) == (
        "csrf",
        TRANSITION_ROUTE,
        3,
        event.id,
    )


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({"X-CSRF-Token": "not-the-token"}, "CSRF token"),
        ({"X-CSRF-Token": ""}, "CSRF token"),
        ({"Origin": ""}, "no Origin or Referer"),
    ],
)
def test_a_missing_or_wrong_csrf_token_from_a_signed_in_user_is_recorded(
    runtime: Runtime, client: TestClient, headers: dict[str, str], why: str
) -> None:
    signed = make_session(runtime, roles=("records-custodian",), now=NOW)
    use_session(client, signed)
    for name, value in headers.items():
        if value:
            client.headers[name] = value
        else:
            client.headers.pop(name)
    answer = client.post(TRANSITION, json={"to": "acknowledged"})
    assert answer.status_code == 403 and why in answer.json()["detail"]
    [event] = denied_events(runtime, signed.principal.id)
    assert event.details["permission"] == "csrf" and why in event.details["explanation"]
    assert event.object_id == TRANSITION_ROUTE


def test_a_cross_site_post_with_a_token_is_recorded_as_the_token(
    runtime: Runtime, client: TestClient
) -> None:
    token_id, raw = bearer(runtime, ["recording:upload"], now=NOW)
    answer = client.post(
        TRANSITION,
        json={"to": "acknowledged"},
        headers={"Origin": EVIL, "Authorization": f"Bearer {raw}"},
    )
    assert answer.status_code == 403
    [event] = denied_events(runtime, f"token:{token_id}")
    assert event.details["permission"] == "csrf"


@pytest.mark.parametrize("cookie", [None, "no-such-session", "ended"])
def test_anonymous_cross_site_posts_are_counted_not_logged(
    runtime: Runtime, client: TestClient, clock: dict[str, datetime], cookie: str | None
) -> None:
    if cookie == "ended":  # a session past its absolute limit is nobody
        signed = make_session(runtime, roles=("records-custodian",), now=NOW - timedelta(days=1))
        cookie = signed.raw_token
    if cookie is not None:
        client.cookies.set(COOKIE, cookie)
    before = all_events(runtime)
    for i in range(30):
        clock["now"] = NOW + timedelta(seconds=i)
        answer = client.post(
            f"/api/public/requests?n={i}", json={"name": "x"}, headers={"Origin": EVIL}
        )
        assert answer.status_code == 403
    assert all_events(runtime) == before  # nothing in the custody log
    [tally] = tally_rows(runtime, "public")
    assert (tally.permission, tally.route, tally.count, tally.event_id) == (
        "csrf",
        "POST /api/public/requests",
        1,
        None,
    )
    # the rest of the minute are written with the next minute's first
    clock["now"] = NOW + timedelta(minutes=1)
    assert client.post("/api/public/requests", json={}, headers={"Origin": EVIL}).status_code == 403
    first, second = tally_rows(runtime, "public")
    assert (first.count, second.count) == (30, 1)
    assert all_events(runtime) == before


def test_cross_site_posts_to_many_paths_are_one_tally(runtime: Runtime, client: TestClient) -> None:
    """The declared route is the key: varying ids or unknown paths make no new rows."""
    for path in ["/api/requests/1/transition", "/api/requests/2/transition"]:
        assert client.post(path, json={}, headers={"Origin": EVIL}).status_code == 403
    for i in range(5):
        assert client.post(f"/nowhere/{i}", headers={"Origin": EVIL}).status_code == 403
    routes = sorted((t.route, t.count) for t in tally_rows(runtime, "public"))
    assert routes == [("POST (no route)", 1), (TRANSITION_ROUTE, 1)]


def test_a_cross_site_refusal_that_cannot_be_recorded_is_still_refused(
    runtime: Runtime, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def busy(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database is locked")

    monkeypatch.setattr(denials, "note_refusal", busy)
    signed = make_session(runtime, roles=("records-custodian",), now=NOW)
    use_session(client, signed)
    assert client.post(TRANSITION, json={}, headers={"Origin": EVIL}).status_code == 403
    client.headers["X-CSRF-Token"] = "wrong"
    assert client.post(TRANSITION, json={}).status_code == 403
    assert denied_events(runtime, signed.principal.id) == []
