"""`sunlight reconcile`: records fully received uploads, reports stored bytes nobody refers to."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

from click.testing import CliRunner

from sunlight.cli.main import cli
from sunlight.config import load_settings
from sunlight.runtime import start


def test_reconcile_reports_orphans_with_hash_and_size(tmp_path: Path) -> None:
    env = {"SUNLIGHT_HOME": str(tmp_path / "home"), "SUNLIGHT_WORKER_MODE": "eager"}
    runtime = start(load_settings(env))
    stray = b"stored, then the process died before its row committed"
    runtime.store.put_stream(io.BytesIO(stray))
    runtime.close()
    sha = hashlib.sha256(stray).hexdigest()

    runner = CliRunner()
    fresh = runner.invoke(cli, ["reconcile", "--json"], env=env, catch_exceptions=False)
    assert fresh.exit_code == 0
    assert json.loads(fresh.output)["orphan_count"] == 0  # younger than the idle time

    result = runner.invoke(
        cli, ["reconcile", "--json", "--idle-minutes", "0"], env=env, catch_exceptions=False
    )
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert report["orphan_count"] == 1
    assert report["orphans"][0]["sha256"] == sha
    assert report["orphans"][0]["size"] == len(stray)

    text = runner.invoke(cli, ["reconcile", "--idle-minutes", "0"], env=env)
    assert f"orphan: {sha} ({len(stray)} bytes)" in text.output
    assert "1 stored objects belong to nothing" in text.output
