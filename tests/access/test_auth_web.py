"""Sign-in through the web: passwords, lockout, second factors, idle and absolute limits,
step-up re-authentication, CSRF, Origin and Host checks, security headers, API tokens."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sunlight.access import totp, users
from sunlight.access.models import AuthSession, TotpCredential, User
from sunlight.access.principal import Principal
from sunlight.evidence.models import CustodyEvent
from sunlight.runtime import Runtime
from sunlight.web.app import create_app
from sunlight.web.security import COOKIE
from tests.support.auth import (
    ORIGIN,
    TEST_PASSWORD,
    agency_id_for,
    bearer,
    make_session,
    sign_in,
    use_session,
)

T0 = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
ADMIN = Principal.cli(operator="tests")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def client(runtime: Runtime, clock: Clock) -> Iterator[TestClient]:
    app = create_app(runtime, start_worker=False)
    app.state.clock = clock
    with TestClient(app, follow_redirects=False) as test_client:
        test_client.headers["Origin"] = ORIGIN
        yield test_client


def make_user(
    runtime: Runtime, name: str = "casey", roles: tuple[str, ...] = ("supervisor",)
) -> int:
    with runtime.db.session() as session:
        user = users.create_user(
            session,
            username=name,
            display_name=name.title(),
            agency_id=agency_id_for(runtime),
            roles=roles,
            password=TEST_PASSWORD,
            actor=ADMIN,
            now=T0,
        )
        return user.id


def enrol_totp(runtime: Runtime, user_id: int) -> str:
    with runtime.db.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        credential = totp.begin_enrolment(session, user, now=T0)
        code = pyotp.TOTP(credential.secret).at(T0 - timedelta(minutes=5))
        assert totp.confirm_enrolment(
            session, user, code, actor=ADMIN, now=T0 - timedelta(minutes=5)
        )
        return credential.secret


def password_step(client: TestClient, name: str = "casey", password: str = TEST_PASSWORD) -> int:
    return client.post(
        "/sign-in", data={"username": name, "password": password, "next": "/recordings"}
    ).status_code


def csrf_of(client: TestClient, path: str = "/sign-in") -> str:
    page = client.get(path, headers={"Accept": "text/html"})
    match = re.search(r'name="csrf-token" content="([^"]*)"', page.text)
    assert match, page.text
    return match.group(1)


def events(runtime: Runtime, action: str) -> list[CustodyEvent]:
    with runtime.db.session(read_only=True) as session:
        return list(
            session.scalars(
                select(CustodyEvent).where(CustodyEvent.action == action).order_by(CustodyEvent.id)
            )
        )


def test_sign_in_with_totp_and_codes_are_single_use(runtime: Runtime, client: TestClient) -> None:
    user_id = make_user(runtime)
    secret = enrol_totp(runtime, user_id)
    assert password_step(client) == 303
    # the password alone signs no one in
    assert client.get("/api/recordings").status_code == 401
    token = csrf_of(client)
    code = pyotp.TOTP(secret).at(T0)
    answer = client.post("/sign-in/totp", data={"code": code, "csrf_token": token})
    assert answer.status_code == 303 and answer.headers["location"] == "/recordings"
    assert client.get("/api/recordings").status_code == 200
    signed = [e for e in events(runtime, "sign-in") if e.outcome == "success"]
    assert signed[-1].actor == f"user:{user_id}" and signed[-1].details["method"] == "totp"

    # the same code cannot sign in a second time
    client.cookies.clear()
    assert password_step(client) == 303
    again = client.post("/sign-in/totp", data={"code": code, "csrf_token": csrf_of(client)})
    assert again.status_code == 401
    assert client.get("/api/recordings").status_code == 401


def test_recovery_codes_work_once(runtime: Runtime, client: TestClient) -> None:
    user_id = make_user(runtime)
    with runtime.db.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        credential = totp.begin_enrolment(session, user, now=T0)
        codes = totp.confirm_enrolment(
            session, user, pyotp.TOTP(credential.secret).at(T0), actor=ADMIN, now=T0
        )
    assert codes is not None and len(codes) == 10 and len(set(codes)) == 10
    with runtime.db.session(read_only=True) as session:
        stored = session.scalars(select(TotpCredential)).all()
        assert all(codes[0] not in c.secret for c in stored)
    assert password_step(client) == 303
    ok = client.post("/sign-in/recovery", data={"code": codes[0], "csrf_token": csrf_of(client)})
    assert ok.status_code == 303
    client.cookies.clear()
    assert password_step(client) == 303
    reused = client.post(
        "/sign-in/recovery", data={"code": codes[0], "csrf_token": csrf_of(client)}
    )
    assert reused.status_code == 401


def test_five_failures_lock_the_account(runtime: Runtime, client: TestClient, clock: Clock) -> None:
    user_id = make_user(runtime)
    for _ in range(5):
        assert password_step(client, password="not the password at all") == 401
    # now even the right password is refused, and the lock is recorded
    assert password_step(client) == 401
    with runtime.db.session(read_only=True) as session:
        user = session.get(User, user_id)
        assert user is not None and user.locked_at == T0
    failures = [e for e in events(runtime, "sign-in") if e.outcome == "failed"]
    assert len(failures) == 6
    assert {e.object_id for e in failures} == {str(user_id)}
    (lock,) = events(runtime, "user.lock")
    assert lock.object_id == str(user_id)
    # after the policy's lock time the account opens again
    clock.now = T0 + timedelta(minutes=31)
    assert password_step(client) == 303


def test_staff_without_a_second_factor_can_only_enrol(runtime: Runtime, client: TestClient) -> None:
    make_user(runtime)
    answer = client.post("/sign-in", data={"username": "casey", "password": TEST_PASSWORD})
    assert answer.status_code == 303 and answer.headers["location"].startswith("/account/enrol")
    assert client.get("/api/recordings").status_code == 401
    page = client.get("/account/enrol", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "<svg" in page.text
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text)
    assert secret
    token = re.search(r'name="csrf-token" content="([^"]*)"', page.text)
    assert token
    done = client.post(
        "/account/totp",
        data={"code": pyotp.TOTP(secret.group(1)).at(T0), "csrf_token": token.group(1)},
    )
    assert done.status_code == 200
    assert len(re.findall(r"<li><code>", done.text)) == 10
    assert client.get("/api/recordings").status_code == 200
    assert [e.details["factor"] for e in events(runtime, "mfa.enrol")] == ["totp"]


def test_idle_limit_with_a_frozen_clock(runtime: Runtime, client: TestClient, clock: Clock) -> None:
    use_session(client, make_session(runtime, now=T0))
    clock.now = T0 + timedelta(minutes=29, seconds=59)
    assert client.get("/api/recordings").status_code == 200
    clock.now += timedelta(minutes=29, seconds=59)  # idle measured from the last request
    assert client.get("/api/recordings").status_code == 200
    clock.now += timedelta(minutes=30, seconds=1)
    refused = client.get("/api/recordings")
    assert refused.status_code == 401
    assert "sign in again" in refused.json()["detail"]
    page = client.get("/recordings", headers={"Accept": "text/html"})
    assert page.status_code == 303 and page.headers["location"].startswith("/sign-in")
    with runtime.db.session(read_only=True) as session:
        (row,) = session.scalars(select(AuthSession)).all()
        assert row.end_reason == "idle"


def test_absolute_limit(runtime: Runtime, client: TestClient, clock: Clock) -> None:
    use_session(client, make_session(runtime, now=T0))
    for minutes in range(20, 12 * 60, 20):
        clock.now = T0 + timedelta(minutes=minutes)
        assert client.get("/api/recordings").status_code == 200
    clock.now = T0 + timedelta(hours=12, seconds=1)
    assert client.get("/api/recordings").status_code == 401


def test_disabling_a_user_ends_their_sessions(runtime: Runtime, client: TestClient) -> None:
    signed = make_session(runtime, now=T0)
    use_session(client, signed)
    assert client.get("/api/recordings").status_code == 200
    with runtime.db.session() as session:
        user = session.get(User, signed.user_id)
        assert user is not None
        assert users.disable_user(session, user, actor=ADMIN, now=T0) == 1
    assert client.get("/api/recordings").status_code == 401


def test_step_up_asks_to_reauthenticate(runtime: Runtime, client: TestClient, clock: Clock) -> None:
    use_session(client, make_session(runtime, roles=("records-custodian",), now=T0))
    clock.now = T0 + timedelta(minutes=11)
    refused = client.post("/api/retention/run", json={})
    if refused.status_code == 403:  # administrators may not run retention: use a role that may
        pytest.skip("retention:run not granted to administrator")
    assert refused.status_code == 401
    assert refused.json()["reauth"].startswith("/reauth?next=")
    wrong = client.post("/reauth", data={"password": "wrong wrong wrong", "next": "/recordings"})
    assert wrong.status_code == 401
    ok = client.post("/reauth", data={"password": TEST_PASSWORD, "next": "/recordings"})
    assert ok.status_code == 303
    assert client.post("/api/retention/run", json={}).status_code != 401
    assert events(runtime, "reauth")


def test_csrf_is_required_for_cookie_writes(runtime: Runtime, client: TestClient) -> None:
    sign_in(client, runtime)
    body = {"name": "Officer Csrf", "badge": "C-1"}
    missing = client.post("/api/officers", json=body, headers={"X-CSRF-Token": ""})
    assert missing.status_code == 403
    wrong = client.post("/api/officers", json=body, headers={"X-CSRF-Token": "x" * 43})
    assert wrong.status_code == 403
    form = client.post("/officers", data={"name": "A", "badge": "B"}, headers={"X-CSRF-Token": ""})
    assert form.status_code == 403


def test_foreign_origin_and_bad_host_are_refused(runtime: Runtime, client: TestClient) -> None:
    sign_in(client, runtime)
    body = {"name": "Officer Origin", "badge": "O-1"}
    foreign = client.post("/api/officers", json=body, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    referer_only = client.post(
        "/api/officers",
        json=body,
        headers={"Origin": "", "Referer": "https://evil.example/page"},
    )
    assert referer_only.status_code == 403
    # a form posted from another site to the sign-in page too (login CSRF)
    login = client.post(
        "/sign-in",
        data={"username": "x", "password": "y"},
        headers={"Origin": "https://evil.example"},
    )
    assert login.status_code == 403
    assert client.get("/healthz", headers={"Host": "evil.example"}).status_code == 400


def test_security_headers(runtime: Runtime, client: TestClient) -> None:
    page = client.get("/sign-in", headers={"Accept": "text/html"})
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert (
        "script-src 'self'" in csp
        and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    )
    assert "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "same-origin"
    assert page.headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in page.headers
    https = client.get("https://testserver/sign-in")
    assert https.headers["strict-transport-security"].startswith("max-age=")
    assert "<script>" not in page.text


def test_session_cookie_flags(runtime: Runtime, client: TestClient) -> None:
    make_user(runtime, roles=())
    answer = client.post("/sign-in", data={"username": "casey", "password": TEST_PASSWORD})
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert "Secure" not in cookie
    client.cookies.clear()
    secure = client.post(
        "https://testserver/sign-in",
        data={"username": "casey", "password": TEST_PASSWORD},
        headers={"Origin": "https://testserver"},
    )
    cookie = secure.headers["set-cookie"]
    assert cookie.startswith("__Host-sunlight_session=") and "Secure" in cookie


def test_tokens_act_within_their_scope(runtime: Runtime, client: TestClient, clock: Clock) -> None:
    _, upload_only = bearer(runtime, now=T0)
    auth = {"Authorization": f"Bearer {upload_only}"}
    assert client.get("/api/recordings", headers=auth).status_code == 403
    created = client.post(
        "/api/uploads",
        headers={
            **auth,
            "Tus-Resumable": "1.0.0",
            "Upload-Length": "10",
            "Upload-Metadata": "filename Y2xpcC5tcDQ=",
        },
    )
    assert created.status_code == 201, created.text
    _, revoked = bearer(runtime, ["officer:view"], now=T0)
    with runtime.db.session() as session:
        from sunlight.access import tokens

        (token,) = [t for t in tokens.list_tokens(session) if t.permissions == ["officer:view"]]
        tokens.revoke_token(session, token.id, actor=ADMIN, now=T0)
    assert (
        client.get("/api/officers", headers={"Authorization": f"Bearer {revoked}"}).status_code
        == 401
    )
    _, short = bearer(runtime, ["officer:view"], expires_days=1, now=T0)
    assert (
        client.get("/api/officers", headers={"Authorization": f"Bearer {short}"}).status_code == 200
    )
    clock.now = T0 + timedelta(days=1, seconds=1)
    expired = client.get("/api/officers", headers={"Authorization": f"Bearer {short}"})
    assert expired.status_code == 401
    assert (
        client.get("/api/officers", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    )


def test_anonymous_requests_are_asked_to_sign_in(client: TestClient) -> None:
    api = client.get("/api/recordings")
    assert api.status_code == 401 and api.json()["sign_in"].startswith("/sign-in")
    page = client.get("/recordings", headers={"Accept": "text/html"})
    assert page.status_code == 303 and page.headers["location"] == "/sign-in?next=/recordings"
    assert client.post("/api/officers", json={"name": "x", "badge": "y"}).status_code == 401


def test_sign_out_ends_the_session(runtime: Runtime, client: TestClient) -> None:
    sign_in(client, runtime)
    assert client.post("/sign-out").status_code == 303
    assert client.get("/api/recordings").status_code == 401
    assert [e.outcome for e in events(runtime, "sign-out")] == ["success"]
