"""`sunlight ingest`: dock folders, --json, re-runs, sidecars, clear errors."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sunlight.cli.main import cli
from sunlight.media.synth import make_clip, make_corrupt_variants


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"SUNLIGHT_HOME": str(tmp_path / "home"), "SUNLIGHT_WORKER_MODE": "eager"}


@pytest.fixture
def dock(tmp_path: Path) -> Path:
    folder = tmp_path / "dock"
    (folder / "2026-05-08").mkdir(parents=True)
    make_clip(folder / "2026-05-08" / "a.mp4", seconds=1.0, seed=1)
    make_clip(folder / "b.mov", seconds=1.0, container="mov", seed=2)
    (folder / "b.mov.json").write_text(
        '{"title": "Stop on Prospect", "recorded_at": "2026-05-08T09:00:00-05:00"}'
    )
    (folder / ".partial").write_bytes(b"dock temp file")
    variants = make_corrupt_variants(tmp_path / "bad")
    (folder / "empty.mp4").write_bytes(variants["zero_byte"].read_bytes())
    return folder


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.output


def test_ingest_folder_json_then_rerun_ingests_nothing(env: dict[str, str], dock: Path) -> None:
    code, out = run(env, "ingest", str(dock), "--json")
    assert code == 0, out
    report = json.loads(out)
    assert report["summary"] == {
        "files": 3,
        "ingested": 3,
        "duplicates": 0,
        "flagged": 1,
        "errors": 0,
        "bytes": report["summary"]["bytes"],
    }
    by_name = {item["filename"]: item for item in report["ingested"]}
    a = dock / "2026-05-08" / "a.mp4"
    assert by_name["a.mp4"]["sha256"] == hashlib.sha256(a.read_bytes()).hexdigest()
    assert by_name["empty.mp4"]["flagged"] is True
    assert report["skipped"] == [f"{dock / '.partial'}: hidden file"]

    code, out = run(env, "ingest", str(dock), "--json")
    again = json.loads(out)
    assert code == 0
    assert again["summary"]["ingested"] == 0 and again["summary"]["duplicates"] == 3
    assert {d["recording_id"] for d in again["duplicates"]} == {
        i["recording_id"] for i in report["ingested"]
    }


def test_human_output_has_summary(env: dict[str, str], dock: Path) -> None:
    code, out = run(env, "ingest", str(dock))
    assert code == 0
    assert "3 ingested" in out and "1 flagged" in out
    code, out = run(env, "ingest", str(dock))
    assert "0 ingested, 3 already in custody" in out


def test_unknown_officer_fails_before_anything(env: dict[str, str], dock: Path) -> None:
    code, out = run(env, "ingest", str(dock), "--officer", "9999")
    assert code != 0 and "no officer with badge number '9999'" in out
    code, out = run(env, "ingest", str(dock), "--json")
    assert json.loads(out)["summary"]["ingested"] == 3


def test_bad_option_and_bad_sidecar(env: dict[str, str], dock: Path) -> None:
    code, out = run(env, "ingest", str(dock), "--recorded-at", "last tuesday")
    assert code == 2 and "ISO 8601" in out
    (dock / "b.mov.json").write_text('{"officer": 12}')
    code, out = run(env, "ingest", str(dock), "--json")
    report = json.loads(out)
    assert code == 1
    assert (
        report["errors"][0]["path"].endswith("b.mov")
        and "must be a string" in report["errors"][0]["error"]
    )
    assert report["summary"]["ingested"] == 2  # the other files still went in
    code, out = run(env, "ingest", str(dock / "does-not-exist"))
    assert code == 2
