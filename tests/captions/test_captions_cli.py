"""`sunlight captions draft|show|import|approve`: the same rules as the web, with refusals
as clear CLI errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sunlight.cli.main import cli
from sunlight.runtime import Runtime
from tests.captions.support import clip_recording, redacted_copy


def test_import_show_approve_and_draft(
    embedded_runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, copy = redacted_copy(embedded_runtime, tmp_path, [(1.0, 2.0)])
    monkeypatch.setenv("SUNLIGHT_HOME", str(embedded_runtime.settings.home))
    monkeypatch.setenv("SUNLIGHT_WORKER_MODE", "eager")
    runner = CliRunner()

    over = tmp_path / "over.vtt"
    over.write_text("WEBVTT\n\n00:00:01.500 --> 00:00:02.500\nthe muted name\n")
    refused = runner.invoke(cli, ["captions", "import", str(copy), str(over)])
    assert refused.exit_code != 0 and "muted by redaction" in refused.output
    broken = tmp_path / "broken.vtt"
    broken.write_text("WEBVTT\n\n00:00:02.000 --> 00:00:01.000\nbackwards\n")
    refused = runner.invoke(cli, ["captions", "import", str(copy), str(broken)])
    assert refused.exit_code != 0 and "broken.vtt: cue 1" in refused.output

    good = tmp_path / "good.vtt"
    good.write_text("WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nStop, police.\n")
    done = runner.invoke(cli, ["captions", "import", str(copy), str(good), "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["version"] == 1
    shown = runner.invoke(cli, ["captions", "show", str(copy), "--format", "transcript"])
    assert shown.output == "[00:00:00] Stop, police.\n"
    vtt = runner.invoke(cli, ["captions", "show", str(copy)])
    assert vtt.output.startswith("WEBVTT\n\n1\n00:00:00.000 --> 00:00:01.000\nStop, police.")
    wrong = runner.invoke(cli, ["captions", "approve", str(copy), "--version", "2"])
    assert wrong.exit_code != 0 and "no version 2" in wrong.output
    ok = runner.invoke(cli, ["captions", "approve", str(copy), "--version", "1", "--json"])
    assert ok.exit_code == 0 and json.loads(ok.output)["status"] == "approved"

    monkeypatch.setenv("SUNLIGHT_SPEECH_BACKEND", "tests.captions.test_captions_service:make_probe")
    drafted = runner.invoke(cli, ["captions", "draft", str(copy), "--json"])
    assert drafted.exit_code == 0, drafted.output
    doc = json.loads(drafted.output)
    assert doc["version"] == 2 and doc["dropped_muted"] == 1
    assert [c["text"] for c in doc["cues"]] == ["second 0", "second 2", "second 3"]
    status = json.loads(runner.invoke(cli, ["captions", "show", str(copy), "--json"]).output)
    assert (status["status"], status["approved_version"]) == ("draft", 1)


def test_unknown_recording_and_long_sound(
    embedded_runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rec = clip_recording(embedded_runtime, tmp_path, seconds=3.0)
    monkeypatch.setenv("SUNLIGHT_HOME", str(embedded_runtime.settings.home))
    monkeypatch.setenv("SUNLIGHT_SPEECH_MAX_S", "1")
    runner = CliRunner()
    assert "no recording '99999'" in runner.invoke(cli, ["captions", "show", "99999"]).output
    failed = runner.invoke(cli, ["captions", "draft", str(rec)])
    assert failed.exit_code != 0 and "SUNLIGHT_SPEECH_MAX_S" in failed.output
