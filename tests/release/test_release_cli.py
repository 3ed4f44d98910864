"""`sunlight releases list|show` on the embedded defaults."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sunlight.cli.main import cli
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
