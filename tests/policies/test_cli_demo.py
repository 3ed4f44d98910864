"""`sunlight policies ...` on the embedded defaults, and the demo proposal (both back ends)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from sunlight.cli.main import cli
from sunlight.demo_policies import ensure_demo_policies
from sunlight.policies import service
from sunlight.runtime import Runtime, start
from sunlight.web.app import create_app
from tests.conftest import embedded_settings
from tests.policies.test_policies import retention_v3


def test_cli_propose_comments_moderate_decide(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("SUNLIGHT_HOME", str(home))
    monkeypatch.setenv("SUNLIGHT_WORKER_MODE", "eager")
    runtime = start(embedded_settings(home))
    runtime.close()
    runner = CliRunner()
    good, bad = tmp_path / "v3.yaml", tmp_path / "bad.yaml"
    soon = (datetime.now(UTC) + timedelta(days=20)).date().isoformat()
    past = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    good.write_text(retention_v3(soon))
    bad.write_text("version: 3\ncategories: 12\n")
    args = ["policies", "propose", "retention"]
    refused = runner.invoke(cli, [*args, str(bad), "--effective", soon, "--summary", "x"])
    assert refused.exit_code == 1 and "invalid" in refused.output
    late = runner.invoke(cli, [*args, str(good), "--effective", past, "--summary", "x"])
    assert late.exit_code == 1 and "future" in late.output
    later = (datetime.now(UTC) + timedelta(days=21)).date().isoformat()
    other = runner.invoke(cli, [*args, str(good), "--effective", later, "--summary", "x"])
    assert other.exit_code == 1
    assert f"the file says effective: {soon}" in other.output and later in other.output
    made = runner.invoke(cli, [*args, str(good), "--effective", soon, "--summary", "One year."])
    assert made.exit_code == 0, made.output
    runtime = start(embedded_settings(home))
    with runtime.db.session() as session:
        row = service.get_version(session, "retention", "3")
        comment = service.add_comment(session, row, name=None, body="Good.", now=datetime.now(UTC))
        comment_id = comment.id
    runtime.close()
    listed = runner.invoke(cli, ["policies", "comments", "retention", "3", "--json"])
    assert listed.exit_code == 0, listed.output
    assert [c["status"] for c in json.loads(listed.output)] == ["pending"]
    moderated = runner.invoke(
        cli, ["policies", "moderate", str(comment_id), "approved", "--response", "Thanks."]
    )
    assert moderated.exit_code == 0, moderated.output
    decided = runner.invoke(
        cli, ["policies", "decide", "retention", "3", "withdraw", "--reason", "Redrafting."]
    )
    assert decided.exit_code == 0 and "withdrawn" in decided.output
    shown = runner.invoke(cli, ["policies", "show", "retention", "--json"])
    document = json.loads(shown.output)
    assert document["proposals"][0]["version"]["status"] == "withdrawn"
    assert runner.invoke(cli, ["policies", "list"]).exit_code == 0


def test_demo_proposal_with_one_public_comment(runtime: Runtime) -> None:
    assert ensure_demo_policies(runtime) == 1
    assert ensure_demo_policies(runtime) == 0  # idempotent
    app = create_app(runtime, start_worker=False)
    with TestClient(app) as client:
        body = client.get("/api/public/policies/release").json()
        (proposal,) = body["proposals"]
        assert proposal["comments_open"] and proposal["version"]["version"] == "3"
        assert [c["body"] for c in proposal["comments"]] == [
            "48 hours is better; please also say who is told."
        ]
        page = client.get("/public/policies/release")
        assert "warning_hours: 48" in page.text and "Why not a full week?" not in page.text
