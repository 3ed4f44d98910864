"""`sunlight retention run [--dry-run] [--as-of DATE] [--json]`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from sunlight.cli.main import cli
from sunlight.runtime import start
from tests.conftest import embedded_settings
from tests.support.evidence_data import add_recording


def test_dry_run_then_run_from_the_command_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    runtime = start(embedded_settings(home))
    rec = add_recording(runtime, recorded_at=datetime(2025, 1, 10, 15, 0, tzinfo=UTC))
    runtime.close()
    env = {"SUNLIGHT_HOME": str(home), "SUNLIGHT_WORKER_MODE": "eager"}
    runner = CliRunner()

    result = runner.invoke(
        cli, ["retention", "run", "--dry-run", "--as-of", "2025-07-09", "--json"], env=env
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["dry_run"] is True
    [item] = report["to_schedule"]
    assert (item["recording_id"], item["rule"], item["delete_on"]) == (
        rec,
        "non-evidentiary",
        "2025-07-09",
    )
    assert "no incident claims it" in item["why"]

    # A real run uses the present time: --as-of is for dry runs only.
    result = runner.invoke(cli, ["retention", "run", "--as-of", "2099-01-01"], env=env)
    assert result.exit_code == 2
    assert "--as-of needs --dry-run" in result.output
    result = runner.invoke(cli, ["retention", "run"], env=env)
    assert result.exit_code == 0, result.output
    assert f"schedule  recording {rec}" in result.output
    # Run again at once: the grace period has not passed, so nothing is deleted.
    result = runner.invoke(cli, ["retention", "run", "--json"], env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["to_delete"] == []
    assert report["as_of"] == datetime.now(UTC).date().isoformat()
    # A dry run as on a day past the grace period shows what would then be deleted.
    result = runner.invoke(
        cli, ["retention", "run", "--dry-run", "--as-of", "2099-01-01", "--json"], env=env
    )
    assert json.loads(result.stdout)["to_delete"][0]["recording_id"] == rec
    result = runner.invoke(
        cli, ["retention", "run", "--dry-run", "--as-of", "9999-12-31", "--json"], env=env
    )
    assert result.exit_code == 2
    assert "out of range" in result.output

    assert runner.invoke(cli, ["retention", "run", "--as-of", "July"], env=env).exit_code == 2
    policy = runner.invoke(cli, ["retention", "policy", "--json"], env=env)
    assert json.loads(policy.stdout)["categories"][0]["keep"] == {"days": 180}
