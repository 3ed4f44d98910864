"""Commands that write custody events leave them sealed; what is not sealed yet is still
audited (replayed) and counted, so an unsealed tail cannot hide a change."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select, update
from tests.support.cli import cli_env

from sunlight.cli.main import cli
from sunlight.evidence import service as evidence
from sunlight.evidence.models import CustodyEvent, Recording
from sunlight.ledger.audit import run_audit
from sunlight.ledger.models import LedgerLeaf
from sunlight.media.synth import make_clip
from sunlight.runtime import Runtime


def counts(rt: Runtime) -> tuple[int, int]:
    with rt.db.session() as s:
        events = s.scalar(select(func.count()).select_from(CustodyEvent)) or 0
        leaves = s.scalar(select(func.count()).select_from(LedgerLeaf)) or 0
    return events, leaves


def test_cli_ingest_leaves_its_events_sealed(runtime: Runtime, tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "stop.mp4", seconds=1.0, width=160, height=120, fps=10, seed=4)
    result = CliRunner().invoke(
        cli, ["ingest", str(clip), "--json"], env=cli_env(runtime), catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    events, leaves = counts(runtime)
    assert events >= 2  # ingest and derivatives
    assert leaves == events
    report = run_audit(runtime)
    assert report.ok, report.findings
    assert report.events_unsealed == 0


def test_an_unsealed_change_is_replayed_and_counted(runtime: Runtime, tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "a.mp4", seconds=1.0, width=160, height=120, fps=10, seed=5)
    env = cli_env(runtime)
    assert CliRunner().invoke(cli, ["ingest", str(clip)], env=env).exit_code == 0
    with runtime.db.session() as s:
        rid = s.scalar(select(Recording.id))
        assert rid is not None
        evidence.update_recording(s, rid, {"title": "Stop"}, actor="test", reason="typo")
    report = run_audit(runtime)
    assert report.ok, report.findings
    assert report.events_unsealed == 1
    with runtime.db.engine.begin() as conn:  # the DBA quietly reverts the unsealed change
        conn.execute(update(Recording).values(title=None))
    report = run_audit(runtime)
    assert [(f.kind, f.table, f.field) for f in report.findings] == [
        ("replay", "recordings", "title")
    ]
    result = CliRunner().invoke(cli, ["audit", "--no-objects"], env=env)
    assert result.exit_code == 1
    assert "(1 not yet sealed)" in result.output
    assert "recordings row id=" in result.output and "title is None" in result.output
