"""The custody log's replay rebuilds the caption tables: versions and approvals match the
events, and a version's WebVTT hash changed behind the log's back is found."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from sunlight.captions import service
from sunlight.captions.vtt import Cue
from sunlight.evidence.replay import Difference, replay
from sunlight.runtime import Runtime
from tests.captions.support import clip_recording

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def _differences(runtime: Runtime) -> list[Difference]:
    found: list[Difference] = []
    with runtime.db.session(read_only=True) as session:
        replay(session, found.append)
    return [d for d in found if d.table.startswith("caption_")]


def test_replay_matches_and_finds_tampering(runtime: Runtime, tmp_path: Path) -> None:
    rec = clip_recording(runtime, tmp_path)
    cues = [Cue(0.0, 1.0, "one")]
    service.save_version(runtime, rec, cues, actor="user:1", source="staff", now=NOW)
    v2 = service.save_version(
        runtime, rec, [Cue(0.0, 1.0, "two")], actor="user:1", source="import", now=NOW
    )
    service.approve(runtime, rec, version=2, actor="user:2", now=NOW)
    assert _differences(runtime) == []
    with runtime.db.session() as session:
        session.execute(
            text("UPDATE caption_versions SET vtt_sha256 = :h WHERE id = :i"),
            {"h": "0" * 64, "i": v2.id},
        )
        session.execute(text("UPDATE caption_tracks SET approved_by = 'user:9'"))
    found = _differences(runtime)
    assert {(d.table, d.field) for d in found} == {
        ("caption_versions", "vtt_sha256"),
        ("caption_tracks", "approved_by"),
    }
