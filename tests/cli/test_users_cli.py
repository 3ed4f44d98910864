"""`sunlight users|agencies|tokens`: round trips on both back ends, JSON output, exit 1 with
a message on bad input, and custody events under the command line's own principal."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from sunlight.access import tokens
from sunlight.access.models import AuthSession, TotpCredential, User
from sunlight.access.passwords import verify_password
from sunlight.access.policy import load_access_policy
from sunlight.access.principal import Principal
from sunlight.cli.main import cli
from sunlight.db.base import utcnow
from sunlight.evidence import service as evidence
from sunlight.evidence.models import CustodyEvent
from sunlight.runtime import Runtime
from tests.support.cli import cli_env

CLI = Principal.cli().id  # what the command line records: cli:<os user>


def run(rt: Runtime, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env=cli_env(rt), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def ok_json(rt: Runtime, *args: str, stdin: str | None = None) -> Any:
    code, out, err = run(rt, *args, "--json", stdin=stdin)
    assert code == 0, (out, err)
    return json.loads(out)


def refused(rt: Runtime, *args: str) -> str:
    code, out, err = run(rt, *args)
    assert code == 1, (out, err)
    assert out == ""
    return err


def events(rt: Runtime, action: str) -> list[CustodyEvent]:
    with rt.db.session(read_only=True) as session:
        return list(
            session.scalars(
                select(CustodyEvent).where(CustodyEvent.action == action).order_by(CustodyEvent.id)
            )
        )


def test_users_round_trip(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        officer = evidence.create_officer(
            session, badge_number="6203", name="Samuel Okafor", unit="South", actor="test"
        ).id
    created = ok_json(
        runtime,
        "users",
        "create",
        "sokafor",
        "--name",
        "Samuel Okafor",
        "--agency",
        "kcpd",
        "--role",
        "officer",
        "--unit",
        "South",
        "--officer",
        "6203",
        "--email",
        "s.okafor@example.org",
    )
    password = created.pop("password")
    assert len(password) >= 20
    assert created | {"created_at": None} == {
        "id": created["id"],
        "principal": f"user:{created['id']}",
        "username": "sokafor",
        "name": "Samuel Okafor",
        "email": "s.okafor@example.org",
        "agency": "KCPD",
        "agency_id": created["agency_id"],
        "unit": "South",
        "officer_id": officer,
        "roles": ["officer"],
        "mfa": "",
        "locked": False,
        "disabled": False,
        "last_sign_in": None,
        "created_at": None,
    }
    with runtime.db.session(read_only=True) as session:
        user = session.scalars(select(User).where(User.username == "sokafor")).one()
        assert verify_password(user.password_hash, password)
    (made,) = events(runtime, "user.create")
    assert made.actor == CLI and made.object_id == str(created["id"])

    # roles: --add, --remove, --set; each records the published policy's hash
    assert ok_json(runtime, "users", "roles", "sokafor", "--add", "supervisor")["roles"] == [
        "officer",
        "supervisor",
    ]
    assert ok_json(runtime, "users", "roles", "sokafor", "--remove", "officer")["roles"] == [
        "supervisor"
    ]
    changed = ok_json(runtime, "users", "roles", "sokafor", "--set", "internal-affairs")
    assert changed == {
        "id": created["id"],
        "username": "sokafor",
        "before": ["supervisor"],
        "roles": ["internal-affairs"],
    }
    role_events = events(runtime, "user.roles")
    assert len(role_events) == 3
    assert {e.actor for e in role_events} == {CLI}
    assert {e.details["policy_sha256"] for e in role_events} == {load_access_policy().sha256}

    # list, filtered by agency
    listed = ok_json(runtime, "users", "list")
    assert [u["username"] for u in listed] == ["sokafor"]
    assert ok_json(runtime, "users", "list", "--agency", "MSHP") == []


def _open_session(rt: Runtime, username: str, *, totp: bool = False) -> None:
    """A signed-in session (second factor done), as the sign-in pages would leave it."""
    with rt.db.session() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        now = utcnow()
        count = len(session.scalars(select(AuthSession.id)).all())
        session.add(
            AuthSession(
                token_sha256=f"{count + 1:064d}",
                user_id=user.id,
                csrf_token="x" * 32,
                created_at=now,
                last_seen_at=now,
                mfa_at=now,
            )
        )
        if totp:
            session.add(
                TotpCredential(user_id=user.id, secret="JBSWY3DPEHPK3PXP", confirmed_at=now)
            )


def _sessions_open(rt: Runtime, username: str) -> int:
    with rt.db.session(read_only=True) as session:
        return len(
            session.scalars(
                select(AuthSession)
                .join(User, User.id == AuthSession.user_id)
                .where(User.username == username, AuthSession.ended_at.is_(None))
            ).all()
        )


def test_disable_enable_unlock_reset_mfa_end_sessions(runtime: Runtime) -> None:
    ok_json(runtime, "users", "create", "ia1", "--name", "Ida A", "--agency", "KCPD", "--role",
            "internal-affairs")  # fmt: skip
    _open_session(runtime, "ia1", totp=True)
    shown = ok_json(runtime, "users", "show", "ia1")
    assert shown["mfa"] == "totp" and shown["last_sign_in"] is not None

    disabled = ok_json(runtime, "users", "disable", "ia1", "--reason", "left the unit")
    assert disabled["sessions_ended"] == 1
    assert _sessions_open(runtime, "ia1") == 0
    assert ok_json(runtime, "users", "show", "ia1")["disabled"] is True
    (event,) = events(runtime, "user.disable")
    assert event.actor == CLI and event.reason == "left the unit"
    ok_json(runtime, "users", "enable", "ia1")
    assert ok_json(runtime, "users", "show", "ia1")["disabled"] is False

    with runtime.db.session() as session:
        user = session.scalars(select(User).where(User.username == "ia1")).one()
        user.locked_at, user.failed_sign_ins = utcnow() - timedelta(minutes=1), 5
    assert ok_json(runtime, "users", "show", "ia1")["locked"] is True
    ok_json(runtime, "users", "unlock", "ia1")
    assert ok_json(runtime, "users", "show", "ia1")["locked"] is False

    _open_session(runtime, "ia1")
    assert ok_json(runtime, "users", "reset-mfa", "ia1")["sessions_ended"] == 1
    assert ok_json(runtime, "users", "show", "ia1")["mfa"] == ""

    _open_session(runtime, "ia1")
    _open_session(runtime, "ia1")
    assert ok_json(runtime, "users", "end-sessions", "ia1")["sessions_ended"] == 2
    assert _sessions_open(runtime, "ia1") == 0
    for action in ("user.enable", "user.unlock", "mfa.reset", "sessions.end"):
        assert [e.actor for e in events(runtime, action)] == [CLI], action


def test_bad_input_exits_1_with_a_message(runtime: Runtime) -> None:
    base = ["users", "create", "x1", "--name", "X", "--role", "officer"]
    assert "no agency 'NOPE'" in refused(runtime, *base, "--agency", "NOPE")
    assert "unknown role" in refused(
        runtime, "users", "create", "x1", "--name", "X", "--agency", "KCPD", "--role", "chief"
    )
    assert "no officer with badge" in refused(
        runtime, *base, "--agency", "KCPD", "--officer", "0000"
    )
    assert "password" in refused(
        runtime, *base, "--agency", "KCPD", "--password-stdin"
    )  # empty stdin: too short
    code, out, err = run(runtime, *base, "--agency", "KCPD", "--password-stdin", "--json",
                         stdin="correct horse battery staple 7\n")  # fmt: skip
    assert code == 0, err
    assert "password" not in json.loads(out)  # a password given is never printed back
    assert "already a user" in refused(runtime, *base, "--agency", "KCPD")
    assert "no user" in refused(runtime, "users", "disable", "nobody")
    assert "--set alone" in refused(
        runtime, "users", "roles", "x1", "--set", "officer", "--add", "supervisor"
    )
    assert "at least one role" in refused(runtime, "users", "roles", "x1", "--remove", "officer")
    assert "unknown agency kind" in refused(
        runtime, "agencies", "create", "Somewhere", "--short", "SW", "--kind", "militia"
    )
    assert "already exists" in refused(
        runtime, "agencies", "create", "Missouri Highway Patrol", "--short", "X", "--kind", "other"
    )
    assert "not a token id" in refused(runtime, "tokens", "revoke", "abc")
    assert "no token" in refused(runtime, "tokens", "revoke", "99")
    assert "may not hold" in refused(
        runtime, "tokens", "create", "--name", "t", "--permission", "recording:download"
    )
    assert "unknown permission" in refused(
        runtime, "tokens", "create", "--name", "t", "--permission", "everything"
    )
    assert "expires after" in refused(
        runtime, "tokens", "create", "--name", "t", "--expires-days", "0"
    )


def test_agencies_and_units(runtime: Runtime) -> None:
    made = ok_json(runtime, "agencies", "create", "FBI Kansas City", "--short", "FBI",
                   "--kind", "investigator")  # fmt: skip
    assert made == {
        "id": made["id"],
        "name": "FBI Kansas City",
        "short_name": "FBI",
        "kind": "investigator",
        "default_investigator": False,
        "units": [],
    }
    assert ok_json(runtime, "agencies", "units", "add", "KCPD", "East Patrol Division") == {
        "id": 1,
        "agency": "KCPD",
        "unit": "East Patrol Division",
    }
    assert "already has a unit" in refused(
        runtime, "agencies", "units", "add", "kcpd", "east patrol division"
    )
    listed = {a["short_name"]: a for a in ok_json(runtime, "agencies", "list")}
    assert set(listed) == {"KCPD", "MSHP", "JCPO", "OCC", "FBI"}
    assert listed["KCPD"]["kind"] == "department"
    assert listed["KCPD"]["units"] == ["East Patrol Division"]
    assert listed["MSHP"]["default_investigator"] is True
    assert ok_json(runtime, "agencies", "units", "list", "KCPD") == [
        {"id": 1, "agency": "KCPD", "unit": "East Patrol Division"}
    ]
    assert [e.actor for e in events(runtime, "agency.create")] == [CLI]
    assert [e.actor for e in events(runtime, "unit.create")] == [CLI]


def test_tokens_create_json_list_revoke(runtime: Runtime) -> None:
    created = ok_json(runtime, "tokens", "create", "--name", "Dock 3, East Patrol")
    assert set(created) == {"id", "token"}  # exactly these, for scripts
    raw = created["token"]
    with runtime.db.session() as session:
        principal = tokens.authenticate(session, raw, utcnow())
    assert principal is not None
    assert principal.id == f"token:{created['id']}"
    assert principal.granted == frozenset({"recording:upload"})  # upload only, by default
    listed = ok_json(runtime, "tokens", "list")
    assert [(t["id"], t["state"], t["permissions"]) for t in listed] == [
        (created["id"], "active", ["recording:upload"])
    ]
    assert raw not in json.dumps(listed)  # never shown again
    expires = listed[0]["expires_at"]
    assert expires is not None  # tokens expire (a year by default)

    scoped = ok_json(runtime, "tokens", "create", "--name", "CAD feed", "--permission",
                     "incident:import", "--permission", "officer:view", "--expires-days", "30")  # fmt: skip
    assert ok_json(runtime, "tokens", "list")[1]["permissions"] == [
        "incident:import",
        "officer:view",
    ]
    revoked = ok_json(runtime, "tokens", "revoke", f"token:{created['id']}")
    assert revoked["state"] == "revoked"
    with runtime.db.session() as session:
        assert tokens.authenticate(session, raw, utcnow()) is None
    states = {t["id"]: t["state"] for t in ok_json(runtime, "tokens", "list")}
    assert states == {created["id"]: "revoked", scoped["id"]: "active"}
    assert [e.actor for e in events(runtime, "token.create")] == [CLI, CLI]
    assert [e.actor for e in events(runtime, "token.revoke")] == [CLI]


@pytest.mark.parametrize("group", ["users", "agencies", "tokens"])
def test_help_lists_the_commands(group: str) -> None:
    result = CliRunner().invoke(cli, [group, "--help"])
    assert result.exit_code == 0
    assert "create" in result.output and "list" in result.output


def test_a_cli_token_uploads_as_itself_and_only_uploads(runtime: Runtime) -> None:
    from fastapi.testclient import TestClient

    from sunlight.web.app import create_app

    dock = ok_json(runtime, "tokens", "create", "--name", "Dock 1")
    viewer = ok_json(runtime, "tokens", "create", "--name", "Roster", "--permission",
                     "officer:view")  # fmt: skip
    import base64

    name = base64.b64encode(b"dock.mp4").decode()
    tus = {"Tus-Resumable": "1.0.0", "Upload-Length": "10", "Upload-Metadata": f"filename {name}"}
    with TestClient(create_app(runtime, start_worker=False)) as client:
        assert client.post("/api/uploads", headers=tus).status_code == 401  # no token

        def as_token(raw: str) -> dict[str, str]:
            return {**tus, "Authorization": f"Bearer {raw}"}

        created = client.post("/api/uploads", headers=as_token(dock["token"]))
        assert created.status_code == 201, created.text
        sent = client.patch(
            created.headers["Location"],
            headers={
                "Tus-Resumable": "1.0.0",
                "Upload-Offset": "0",
                "Content-Type": "application/offset+octet-stream",
                "Authorization": f"Bearer {dock['token']}",
            },
            content=b"0123456789",
        )
        assert sent.status_code == 204, sent.text
        (ingested,) = events(runtime, "ingest")
        assert ingested.actor == f"token:{dock['id']}"  # the dock, not an administrator
        assert client.post("/api/uploads", headers=as_token(viewer["token"])).status_code == 403
        assert client.get("/api/officers", headers=as_token(viewer["token"])).status_code == 200
        assert client.get("/api/recordings", headers=as_token(dock["token"])).status_code == 403
        ok_json(runtime, "tokens", "revoke", str(dock["id"]))
        assert client.post("/api/uploads", headers=as_token(dock["token"])).status_code == 401
