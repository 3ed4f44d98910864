"""The demo: one account per role that signs in with the printed password and the code
`sunlight demo totp` gives, and demo data on which the access rules visibly act."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select

from sunlight.access import Decision, Permission, decide
from sunlight.access.models import AuthSession, User
from sunlight.access.principal import Principal
from sunlight.access.sessions import principal_for
from sunlight.access.users import assignable_roles, create_user
from sunlight.cli.main import cli
from sunlight.config import load_settings
from sunlight.demo import load_demo
from sunlight.demo_accounts import (
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    DemoOnly,
    demo_totp_code,
    ensure_demo_accounts,
)
from sunlight.evidence.models import Officer, Recording
from sunlight.runtime import Runtime, start
from sunlight.web.app import create_app
from tests.support.auth import ORIGIN


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    """One demo for the module: loading it makes and ingests media (slow)."""
    home = tmp_path_factory.mktemp("demo") / "home"
    runtime = start(load_settings({"SUNLIGHT_HOME": str(home), "SUNLIGHT_WORKER_MODE": "eager"}))
    load_demo(runtime)
    yield runtime
    runtime.close()


def as_user(runtime: Runtime, username: str) -> Principal:
    """The principal a demo account acts as once signed in."""
    with runtime.db.session(read_only=True) as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        now = datetime.now(UTC)
        return principal_for(user, AuthSession(id=0, user_id=user.id, reauth_at=now))


def recording(runtime: Runtime, filename: str) -> int:
    with runtime.db.session(read_only=True) as session:
        return session.scalars(
            select(Recording.id).where(Recording.original_filename == filename)
        ).one()


def test_one_account_per_role_linked_to_the_demo_officer(demo: Runtime) -> None:
    with demo.db.session(read_only=True) as session:
        accounts = session.scalars(select(User).order_by(User.id)).all()
        roles = sorted(r for u in accounts for r in u.role_names)
        assert roles == sorted(assignable_roles())
        officer = next(u for u in accounts if u.username == "officer")
        record = session.get(Officer, officer.officer_id)
        assert record is not None and record.badge_number == "6203"
        assert officer.unit == record.unit == "South Patrol Division"
        supervisor = next(u for u in accounts if u.username == "supervisor")
        assert supervisor.unit == officer.unit
        agencies = {u.username: u.agency.short_name for u in accounts}
        assert agencies["investigator"] == "MSHP"
        assert agencies["prosecutor"] == "JCPO"
        assert agencies["oversight"] == "OCC"
    assert ensure_demo_accounts(demo) == 0  # idempotent


def test_demo_accounts_sign_in_with_the_printed_password_and_code(demo: Runtime) -> None:
    app = create_app(demo, start_worker=False)
    with TestClient(app, follow_redirects=False) as client:
        client.headers["Origin"] = ORIGIN
        step = client.post(
            "/sign-in",
            data={"username": "custodian", "password": DEMO_PASSWORD, "next": "/recordings"},
        )
        assert step.status_code == 303
        assert client.get("/api/recordings").status_code == 401  # not yet: the code
        page = client.get("/sign-in", headers={"Accept": "text/html"}).text
        csrf = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
        code = demo_totp_code(demo, "custodian")
        done = client.post("/sign-in/totp", data={"code": code, "csrf_token": csrf})
        assert done.status_code == 303, done.text
        assert client.get("/api/recordings").status_code == 200


def test_demo_totp_refuses_accounts_the_demo_did_not_make(demo: Runtime) -> None:
    with demo.db.session() as session:
        kcpd = session.scalars(select(User.agency_id).where(User.username == "custodian")).one()
        create_user(
            session,
            username="real.person",
            display_name="Real Person",
            agency_id=kcpd,
            roles=["officer"],
            actor=Principal.cli(operator="tests"),
        )
    with pytest.raises(DemoOnly):
        demo_totp_code(demo, "real.person")
    env = {"SUNLIGHT_HOME": str(demo.settings.home)}
    refused = CliRunner().invoke(cli, ["demo", "totp", "real.person"], env=env)
    assert refused.exit_code == 1 and "not a demo account" in refused.output
    given = CliRunner().invoke(cli, ["demo", "totp", "officer"], env=env)
    assert given.exit_code == 0 and given.output.strip().isdigit()
    assert len(given.output.strip()) == 6


def test_the_demo_exercises_the_rules(demo: Runtime) -> None:
    shooting = recording(demo, "ICV0620_pursuit.mov")
    assembly = recording(demo, "BWC0398_assembly.mkv")
    shared = recording(demo, "BWC0512_call_for_service.mp4")
    complained = recording(demo, "BWC0417_traffic_stop.mp4")
    minor = recording(demo, "BWC0417_welfare_check.webm")
    now = datetime.now(UTC)  # the demo was loaded on the real clock: its shares are current
    with demo.db.session(read_only=True) as session:

        def check(
            username: str, permission: Permission, rec: int, reason: str | None = None
        ) -> Decision:
            return decide(session, as_user(demo, username), permission, rec, now=now, reason=reason)

        # report before review: the involved officer sees his recording listed, not its footage
        assert check("officer", Permission.RECORDING_LIST, shooting).allowed
        for permission in (Permission.RECORDING_VIEW, Permission.RECORDING_STREAM):
            refused = check("officer", permission, shooting)
            assert not refused.allowed and refused.rule == "report-before-review"
        # the Highway Patrol holds the shooting and sees it; the department cannot edit it
        assert check("investigator", Permission.RECORDING_VIEW, shooting).allowed
        locked = check("custodian", Permission.RECORDING_EDIT, shooting)
        assert not locked.allowed and locked.rule == "outside-custody-lock"
        # the prosecutor sees exactly what is shared with the office
        assert check("prosecutor", Permission.RECORDING_VIEW, shared).allowed
        assert not check("prosecutor", Permission.RECORDING_VIEW, complained).allowed
        # civilian oversight sees the footage of the complaint it handles
        assert check("oversight", Permission.RECORDING_VIEW, complained).allowed
        assert not check("oversight", Permission.RECORDING_VIEW, shared).allowed
        # First Amendment footage needs a purpose, not just any reason
        unstated = check("custodian", Permission.RECORDING_STREAM, assembly, "training")
        assert not unstated.allowed
        purposed = check(
            "custodian", Permission.RECORDING_STREAM, assembly, "criminal-investigation: 24-1"
        )
        assert purposed.allowed
        # a minor's footage: named roles only
        assert check("custodian", Permission.RECORDING_VIEW, minor).allowed
        hidden = check("admin", Permission.RECORDING_LIST, minor)
        assert not hidden.allowed


def test_serve_and_demo_print_how_to_sign_in(tmp_path: Path) -> None:
    from sunlight.cli.main import demo_report

    summary = {"ingested": 0, "duplicates": 7, "flagged": 0, "incidents": 0, "c2pa_key": "kept",
               "witness": 9}  # fmt: skip
    lines = demo_report(summary, tmp_path, "http://127.0.0.1:8123")
    text = "\n".join(lines)
    assert "http://127.0.0.1:8123/sign-in" in text and DEMO_PASSWORD in text
    assert "sunlight demo totp USERNAME" in text
    for account in DEMO_ACCOUNTS:
        assert f"  {account.username} " in text
