"""Admin pages (/admin/users, /admin/agencies, /admin/tokens): each needs its permission,
every change is a custody event under the signed-in administrator, role changes record the
access policy's hash, and secrets (initial passwords, tokens) are shown once."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sunlight.access import tokens
from sunlight.access.models import Agency, AuthSession, Unit, User
from sunlight.access.policy import load_access_policy
from sunlight.db.base import utcnow
from sunlight.evidence.models import CustodyEvent
from sunlight.runtime import Runtime
from sunlight.web.app import create_app
from tests.support.auth import make_session, sign_in

PAGES = ["/admin/users", "/admin/tokens"]
FORMS = [
    ("/admin/users", {"username": "zz", "display_name": "Z", "agency_id": "1", "role": "officer"}),
    ("/admin/users/1/roles", {"role": "officer"}),
    ("/admin/users/1/agency", {"agency_id": "1"}),
    ("/admin/users/1/disable", {}),
    ("/admin/users/1/enable", {}),
    ("/admin/users/1/unlock", {}),
    ("/admin/users/1/reset-mfa", {}),
    ("/admin/users/1/end-sessions", {}),
    ("/admin/agencies", {"name": "X", "short_name": "X", "kind": "other"}),
    ("/admin/agencies/1/units", {"name": "X"}),
    ("/admin/tokens", {"name": "x"}),
    ("/admin/tokens/1/revoke", {}),
]


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, start_worker=False)) as test_client:
        yield test_client


def events(runtime: Runtime, action: str) -> list[CustodyEvent]:
    with runtime.db.session(read_only=True) as session:
        return list(
            session.scalars(
                select(CustodyEvent).where(CustodyEvent.action == action).order_by(CustodyEvent.id)
            )
        )


def department(runtime: Runtime) -> int:
    with runtime.db.session(read_only=True) as session:
        return session.scalars(select(Agency.id).where(Agency.kind == "department")).one()


@pytest.mark.parametrize(
    "roles",
    [
        ("officer",),
        ("supervisor",),
        ("records-custodian",),
        ("internal-affairs",),
        ("outside-investigator",),
        ("prosecutor",),
        ("civilian-oversight",),
    ],
)
def test_only_administrators_manage_accounts(
    client: TestClient, runtime: Runtime, roles: tuple[str, ...]
) -> None:
    kind = {"outside-investigator": "investigator", "prosecutor": "prosecutor"}.get(
        roles[0], "oversight" if roles[0] == "civilian-oversight" else "department"
    )
    sign_in(client, runtime, roles, agency_kind=kind)
    for path in PAGES:
        assert client.get(path).status_code == 403, path
    for path, data in FORMS:
        assert client.post(path, data=data, follow_redirects=False).status_code == 403, path
    # the agency list is for everyone the policy lets see it (agency:view)
    assert client.get("/admin/agencies").status_code == 200
    with runtime.db.session(read_only=True) as session:
        assert session.scalar(select(User).where(User.username == "zz")) is None


def test_anonymous_is_sent_to_sign_in(client: TestClient) -> None:
    for path in [*PAGES, "/admin/agencies"]:
        response = client.get(path, headers={"Accept": "text/html"}, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/sign-in?next=")
    assert client.post("/admin/tokens", data={"name": "x"}).status_code in (401, 403)


def test_create_user_shows_the_password_once_and_records_who(
    client: TestClient, runtime: Runtime
) -> None:
    admin = sign_in(client, runtime, ("administrator",))
    page = client.post(
        "/admin/users",
        data={
            "username": "tlind",
            "display_name": "Teresa Lindqvist",
            "agency_id": str(department(runtime)),
            "role": ["supervisor", "officer"],
            "unit": "South Patrol Division",
        },
    )
    assert page.status_code == 200
    match = re.search(r'<code class="secret">([^<]+)</code>', page.text)
    assert match is not None
    assert match.group(1) not in client.get("/admin/users").text  # shown once
    listing = client.get("/admin/users").text
    assert "tlind" in listing and "South Patrol Division" in listing
    (event,) = [e for e in events(runtime, "user.create") if e.details["username"] == "tlind"]
    assert event.actor == admin.id
    assert event.details["policy_sha256"] == load_access_policy().sha256

    refused = client.post(
        "/admin/users",
        data={
            "username": "tlind",
            "display_name": "Again",
            "agency_id": str(department(runtime)),
            "role": "officer",
        },
    )
    assert refused.status_code == 422
    assert "already a user" in refused.text


def test_role_change_records_the_policy_hash(client: TestClient, runtime: Runtime) -> None:
    admin = sign_in(client, runtime, ("administrator",))
    target = make_session(runtime, roles=("officer",))
    page = client.get(f"/admin/users/{target.user_id}")
    assert page.status_code == 200 and "Save roles" in page.text
    response = client.post(
        f"/admin/users/{target.user_id}/roles",
        data={"role": ["supervisor", "officer"]},
        follow_redirects=False,
    )
    assert response.status_code == 303
    (event,) = events(runtime, "user.roles")
    assert event.actor == admin.id
    assert event.object_id == str(target.user_id)
    assert event.details["before"] == ["officer"]
    assert event.details["after"] == ["officer", "supervisor"]
    loaded = load_access_policy()
    assert event.details["policy_sha256"] == loaded.sha256
    assert event.details["policy_version"] == loaded.policy.version
    # an unknown role is refused, and nothing changes
    assert (
        client.post(f"/admin/users/{target.user_id}/roles", data={"role": "chief"}).status_code
        == 422
    )
    assert len(events(runtime, "user.roles")) == 1


def test_disable_ends_sessions_and_admins_cannot_lock_themselves_out(
    client: TestClient, runtime: Runtime
) -> None:
    admin = sign_in(client, runtime, ("administrator",))
    target = make_session(runtime, roles=("officer",))
    response = client.post(
        f"/admin/users/{target.user_id}/disable",
        data={"reason": "left the department"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    with runtime.db.session(read_only=True) as session:
        ended = session.get(AuthSession, target.session_id)
        assert ended is not None and ended.ended_at is not None
    (event,) = events(runtime, "user.disable")
    assert (event.actor, event.reason) == (admin.id, "left the department")
    assert "disabled" in client.get(f"/admin/users/{target.user_id}").text

    assert admin.user_id is not None
    assert client.post(f"/admin/users/{admin.user_id}/disable").status_code == 409
    assert (
        client.post(f"/admin/users/{admin.user_id}/roles", data={"role": "officer"}).status_code
        == 409
    )
    for action in ("unlock", "reset-mfa", "end-sessions", "enable"):
        assert (
            client.post(
                f"/admin/users/{target.user_id}/{action}", follow_redirects=False
            ).status_code
            == 303
        ), action
    for action in ("user.unlock", "mfa.reset", "sessions.end", "user.enable"):
        assert [e.actor for e in events(runtime, action)] == [admin.id], action
    assert client.get("/admin/users/999999").status_code == 404


def test_agencies_and_units(client: TestClient, runtime: Runtime) -> None:
    admin = sign_in(client, runtime, ("administrator",))
    made = client.post(
        "/admin/agencies",
        data={"name": "FBI Kansas City", "short_name": "FBI", "kind": "investigator"},
        follow_redirects=False,
    )
    assert made.status_code == 303
    again = client.post(
        "/admin/agencies", data={"name": "FBI Kansas City", "short_name": "F2", "kind": "other"}
    )
    assert again.status_code == 422 and "already exists" in again.text
    bad = client.post("/admin/agencies", data={"name": "Y", "short_name": "Y", "kind": "militia"})
    assert bad.status_code == 422 and "unknown agency kind" in bad.text
    kcpd = department(runtime)
    unit = client.post(
        f"/admin/agencies/{kcpd}/units", data={"name": "East Patrol"}, follow_redirects=False
    )
    assert unit.status_code == 303
    page = client.get("/admin/agencies").text
    assert "FBI Kansas City" in page and "East Patrol" in page
    with runtime.db.session(read_only=True) as session:
        assert session.scalars(select(Unit.name).where(Unit.agency_id == kcpd)).all() == [
            "East Patrol"
        ]
    assert [e.actor for e in events(runtime, "agency.create")] == [admin.id]
    assert [e.actor for e in events(runtime, "unit.create")] == [admin.id]


def test_tokens_page_shows_a_token_once_and_revokes(client: TestClient, runtime: Runtime) -> None:
    admin = sign_in(client, runtime, ("administrator",))
    page = client.post("/admin/tokens", data={"name": "Dock 3", "expires_days": "30"})
    assert page.status_code == 200
    match = re.search(r'<code class="secret">([^<]+)</code>', page.text)
    assert match is not None
    raw = match.group(1)
    listing = client.get("/admin/tokens").text
    assert raw not in listing and "Dock 3" in listing and "recording:upload" in listing
    with runtime.db.session() as session:
        principal = tokens.authenticate(session, raw, utcnow())
        assert principal is not None and principal.granted == frozenset({"recording:upload"})
        token_id = principal.token_id
    refused = client.post("/admin/tokens", data={"name": "x", "permission": "recording:download"})
    assert refused.status_code == 422 and "may not hold" in refused.text
    revoked = client.post(f"/admin/tokens/{token_id}/revoke", follow_redirects=False)
    assert revoked.status_code == 303
    with runtime.db.session() as session:
        assert tokens.authenticate(session, raw, utcnow()) is None
    assert [e.actor for e in events(runtime, "token.create")] == [admin.id]
    assert [e.actor for e in events(runtime, "token.revoke")] == [admin.id]


def test_step_up_needed_to_manage(client: TestClient, runtime: Runtime) -> None:
    """Managing accounts asks a user who re-authenticated long ago to do it again."""
    from datetime import timedelta

    sign_in(client, runtime, ("administrator",), now=utcnow() - timedelta(minutes=11))
    assert client.get("/admin/users").status_code == 200  # reading needs no step-up
    response = client.post(
        "/admin/agencies", data={"name": "Q", "short_name": "Q", "kind": "other"}
    )
    assert response.status_code == 401
    assert response.json()["reauth"].startswith("/reauth")
