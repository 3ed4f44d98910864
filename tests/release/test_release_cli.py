"""`sunlight releases list|show` on the embedded defaults."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from sunlight.access import principal as principal_module
from sunlight.access.principal import Principal
from sunlight.cli.main import cli
from sunlight.evidence.custody import events_for
from sunlight.release import service
from sunlight.runtime import start
from tests.conftest import embedded_settings
from tests.release.support import T0, person, scenario


def test_list_and_show(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    runtime = start(embedded_settings(home))
    try:
        s = scenario(runtime)
        with runtime.db.session() as session:
            service.open_case(
                session, s.incident_id, principal=person(runtime, 1, "records-custodian"), now=T0
            )
    finally:
        runtime.close()
    monkeypatch.setenv("SUNLIGHT_HOME", str(home))
    monkeypatch.setenv("SUNLIGHT_WORKER_MODE", "eager")
    runner = CliRunner()
    listed = runner.invoke(cli, ["releases", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert rows[0]["state"] == "closed" and rows[0]["authority"] == "Missouri Highway Patrol"
    assert rows[0]["overdue"] is True  # 45 days from the incident in May 2026 have passed
    text = runner.invoke(cli, ["releases", "list"])
    assert "KC26-000777" in text.output and "OVERDUE" in text.output
    shown = runner.invoke(cli, ["releases", "show", str(s.incident_id)])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["clock"]["rule_id"] == "critical-shooting"


def test_a_court_order_needs_a_second_shell_account(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`releases order` records an order unconfirmed; `releases confirm-order` by the same
    shell account is refused (and recorded), by another account it takes effect."""
    home = tmp_path / "home"
    runtime = start(embedded_settings(home))
    try:
        s = scenario(runtime, cad="KC26-000778")
        custodian = person(runtime, 1, "records-custodian")
        with runtime.db.session() as session:
            service.open_case(session, s.incident_id, principal=custodian, now=T0)
            petition = service.file_petition(
                session,
                s.incident_id,
                principal=custodian,
                court="16th Judicial Circuit",
                case_number="2616-CV04444",
                petitioner="A resident",
                filed_on=date(2026, 6, 1),
                now=T0,
            )
            petition_id = petition.id
    finally:
        runtime.close()
    monkeypatch.setenv("SUNLIGHT_HOME", str(home))
    monkeypatch.setenv("SUNLIGHT_WORKER_MODE", "eager")
    runner = CliRunner()
    # the command line's person is the process's account; two accounts are two people
    monkeypatch.setattr(principal_module, "_os_user", lambda: "clerk")
    args = ["releases", "order", str(petition_id), "--outcome", "deny"]
    recorded = runner.invoke(cli, [*args, "--ordered-on", "2026-06-20"])
    assert recorded.exit_code == 0, recorded.output
    assert "awaiting a second person's confirmation" in recorded.output
    order_id = recorded.output.split()[2]
    alone = runner.invoke(cli, ["releases", "confirm-order", order_id])
    assert alone.exit_code == 1 and "another person must confirm" in alone.output
    monkeypatch.setattr(principal_module, "_os_user", lambda: "supervisor")
    confirmed = runner.invoke(cli, ["releases", "confirm-order", order_id])
    assert confirmed.exit_code == 0, confirmed.output
    assert "confirmed by cli:supervisor" in confirmed.output
    runtime = start(embedded_settings(home))
    try:
        with runtime.db.session(read_only=True) as session:
            actions = [
                (e.actor, e.action, e.outcome)
                for e in events_for(session, "incident", s.incident_id)
            ]
    finally:
        runtime.close()
    assert ("cli:clerk", "release.court-order", "success") in actions
    assert ("cli:clerk", "access.denied", "denied") in actions
    assert ("cli:supervisor", "release.court-order-confirm", "success") in actions


def test_the_command_lines_person_is_not_taken_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """$USER and $LOGNAME are the caller's to set: setting them must not make a second
    person for the two-person rule."""
    me = Principal.cli().id
    monkeypatch.setenv("LOGNAME", "supervisor")
    monkeypatch.setenv("USER", "supervisor")
    assert Principal.cli().id == me != "cli:supervisor"
