"""`sunlight demo` gives a newcomer a working system, and is idempotent."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from sunlight.cli.main import cli


def test_demo_twice(tmp_path: Path) -> None:
    env = {"SUNLIGHT_HOME": str(tmp_path / "home")}
    first = CliRunner().invoke(cli, ["demo", "--json"], env=env, catch_exceptions=False)
    assert first.exit_code == 0, first.output
    summary = json.loads(first.output[first.output.index("{") :])
    assert summary == {
        "ingested": 7,
        "duplicates": 0,
        "flagged": 1,
        "incidents": 4,
        "c2pa_key": "demo",
        "witness": summary["witness"],
    }
    assert summary["witness"] > 7  # the cosigned checkpoint holds every demo ingest
    again = CliRunner().invoke(cli, ["demo", "--json"], env=env, catch_exceptions=False)
    summary = json.loads(again.output[again.output.index("{") :])
    assert {k: summary[k] for k in ("ingested", "duplicates", "flagged", "incidents")} == {
        "ingested": 0,
        "duplicates": 7,
        "flagged": 0,
        "incidents": 0,
    }
    assert summary["c2pa_key"] == "kept"  # a key in place is never replaced
