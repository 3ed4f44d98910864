"""`sunlight requests list|show|transition` on the embedded defaults."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from sunlight.cli.main import cli
from sunlight.requests import service
from sunlight.runtime import start
from tests.conftest import embedded_settings


def test_list_show_transition(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("SUNLIGHT_HOME", str(home))
    monkeypatch.setenv("SUNLIGHT_WORKER_MODE", "eager")
    runtime = start(embedded_settings(home))
    with runtime.db.session() as session:
        service.file_request(
            session,
            name="Jordan Example",
            email="jordan@example.org",
            requester_type="media",
            description="Footage of the protest on 1 December.",
            now=datetime.now(UTC),
        )
    runtime.close()
    runner = CliRunner()
    listed = runner.invoke(cli, ["requests", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    (row,) = json.loads(listed.output)
    assert row["tracking_number"].startswith("R-") and row["status"] == "received"
    refused = runner.invoke(cli, ["requests", "transition", row["tracking_number"], "delayed"])
    assert refused.exit_code == 1 and "explanation" in refused.output
    moved = runner.invoke(
        cli,
        ["requests", "transition", str(row["id"]), "acknowledged", "--operator", "clerk"],
    )
    assert moved.exit_code == 0, moved.output
    assert "acknowledged" in moved.output
    shown = runner.invoke(cli, ["requests", "show", row["tracking_number"], "--json"])
    assert shown.exit_code == 0, shown.output
    document = json.loads(shown.output)
    status = [e for e in document["timeline"] if e["kind"] == "status"]
    assert len(status) == 1 and status[0]["actor"] == "cli:clerk"
    missing = runner.invoke(cli, ["requests", "show", "R-1999-000001"])
    assert missing.exit_code == 1
