"""Ingest: hashing at the door, content addressing, flags for unplayable files, metadata."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from sunlight.evidence import service
from sunlight.evidence.custody import events_for
from sunlight.evidence.ingest import (
    IngestError,
    IngestMetadata,
    ingest_file,
    metadata_from,
)
from sunlight.evidence.models import CustodyEvent, Recording
from sunlight.media.synth import make_clip, make_corrupt_variants
from sunlight.runtime import Runtime

ACTOR = "test:clerk"


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ingest(runtime: Runtime, path: Path, **meta: object) -> object:
    return ingest_file(
        runtime,
        path,
        IngestMetadata(original_filename=path.name, **meta),  # type: ignore[arg-type]
        actor=ACTOR,
        source="cli",
    )


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    path = tmp_path / "stop.mp4"
    make_clip(
        path,
        seconds=2.0,
        width=320,
        height=240,
        fps=15,
        seed=1,
        creation_time=datetime(2026, 5, 8, 19, 3, tzinfo=UTC),
        gps=(39.0997, -94.5786),
    )
    return path


def test_ingest_hashes_stores_and_records(runtime: Runtime, clip: Path) -> None:
    result = ingest(runtime, clip)
    assert result.status == "ingested"  # type: ignore[attr-defined]
    assert result.sha256 == sha256_of(clip)  # type: ignore[attr-defined]
    assert runtime.store.verify(result.sha256)  # type: ignore[attr-defined]
    assert b"".join(runtime.store.iter_range(result.sha256)) == clip.read_bytes()  # type: ignore[attr-defined]
    with runtime.db.session() as session:
        rec = service.get_recording(session, result.recording_id)  # type: ignore[attr-defined]
        assert rec.playable and rec.browser_playable
        assert rec.duration_s == pytest.approx(2.0, abs=0.2)
        assert (rec.width, rec.height) == (320, 240)
        assert rec.recorded_at == datetime(2026, 5, 8, 19, 3, tzinfo=UTC)
        assert rec.recorded_at_source == "container"
        assert rec.gps_lat == pytest.approx(39.0997, abs=1e-3)
        assert rec.gps_lon == pytest.approx(-94.5786, abs=1e-3)
        actions = [e.action for e in events_for(session, "recording", rec.id)]
        assert actions[0] == "ingest"
        # jobs run inline in tests: the poster and strip exist, no proxy is needed
        assert rec.derivatives_status == "ready"
        assert rec.poster_sha256 and runtime.store.exists(rec.poster_sha256)
        assert rec.thumbs_sha256 and runtime.store.exists(rec.thumbs_sha256)
        assert rec.proxy_sha256 is None
        assert "derive" in actions


def test_same_bytes_are_ingested_once(runtime: Runtime, clip: Path, tmp_path: Path) -> None:
    first = ingest(runtime, clip)
    copy = tmp_path / "renamed-copy.mp4"
    copy.write_bytes(clip.read_bytes())
    second = ingest(runtime, copy)
    assert second.status == "duplicate"  # type: ignore[attr-defined]
    assert second.recording_id == first.recording_id  # type: ignore[attr-defined]
    with runtime.db.session() as session:
        assert session.scalar(select(Recording).where(Recording.sha256 == first.sha256)) is not None  # type: ignore[attr-defined]
        assert len(session.scalars(select(Recording)).all()) == 1
        assert "ingest.duplicate" in [
            e.action for e in events_for(session, "recording", first.recording_id)
        ]  # type: ignore[attr-defined]
    originals = [d for d in runtime.store.iter_objects() if d == first.sha256]  # type: ignore[attr-defined]
    assert originals == [first.sha256]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "variant", ["truncated_mp4", "zero_byte", "text_as_mp4", "random_mov", "mdat_cut_mp4"]
)
def test_invalid_video_is_kept_and_flagged(runtime: Runtime, tmp_path: Path, variant: str) -> None:
    variants = make_corrupt_variants(tmp_path / "bad")
    path = variants[variant]
    result = ingest(runtime, path)
    assert result.status == "ingested"  # type: ignore[attr-defined]
    assert result.flagged  # type: ignore[attr-defined]
    assert result.sha256 == sha256_of(path)  # type: ignore[attr-defined]
    assert runtime.store.verify(result.sha256)  # type: ignore[attr-defined]
    with runtime.db.session() as session:
        rec = service.get_recording(session, result.recording_id)  # type: ignore[attr-defined]
        assert not rec.playable
        assert rec.unplayable_reason
        assert [f.kind for f in rec.open_flags] == ["unplayable"]
        assert rec.derivatives_status == "unavailable"
        actions = [e.action for e in events_for(session, "recording", rec.id)]
        assert actions == ["ingest", "flag"]


def test_non_browser_container_gets_a_proxy(runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "vendor.mkv"
    make_clip(path, seconds=1.5, container="mkv", video_codec="h264", seed=3)
    result = ingest(runtime, path)
    with runtime.db.session() as session:
        rec = service.get_recording(session, result.recording_id)  # type: ignore[attr-defined]
        assert rec.playable and not rec.browser_playable
        assert rec.derivatives_status == "ready"
        assert rec.proxy_sha256 is not None
        proxy_bytes = b"".join(runtime.store.iter_range(rec.proxy_sha256))
    proxy = tmp_path / "proxy.mp4"
    proxy.write_bytes(proxy_bytes)
    from sunlight.media import probe

    info = probe(proxy)
    assert info.browser_playable and info.video_codec == "h264"
    # the original is untouched
    assert runtime.store.verify(result.sha256)  # type: ignore[attr-defined]


def test_unknown_officer_is_refused_before_anything_is_stored(runtime: Runtime, clip: Path) -> None:
    with pytest.raises(IngestError, match="no officer with badge number"):
        ingest(runtime, clip, officer_badge="0000")
    assert list(runtime.store.iter_objects()) == []
    with runtime.db.session() as session:
        assert session.scalars(select(CustodyEvent)).all() == []


@pytest.mark.parametrize(
    "name", ["../../etc/passwd", "a/b.mp4", "..", "", "bad\x00name.mp4", "x" * 300]
)
def test_filenames_that_smuggle_paths_are_refused(runtime: Runtime, clip: Path, name: str) -> None:
    with pytest.raises(IngestError):
        ingest_file(
            runtime, clip, IngestMetadata(original_filename=name), actor=ACTOR, source="cli"
        )
    assert list(runtime.store.iter_objects()) == []


def test_officer_is_inferred_from_camera_assignment(runtime: Runtime, clip: Path) -> None:
    with runtime.db.session() as session:
        officer = service.create_officer(
            session, badge_number="4417", name="D. W.", unit=None, actor=ACTOR
        )
        device = service.create_device(
            session, serial="CAM-1", vendor="Panasonic", model="BWC", actor=ACTOR
        )
        service.assign_device(
            session,
            device_id=device.id,
            officer_id=officer.id,
            at=datetime(2026, 1, 1, tzinfo=UTC),
            actor=ACTOR,
        )
    result = ingest(runtime, clip, device_serial="CAM-1")
    with runtime.db.session() as session:
        rec = service.get_recording(session, result.recording_id)  # type: ignore[attr-defined]
        assert rec.officer is not None and rec.officer.badge_number == "4417"
        assert rec.device is not None and rec.device.serial == "CAM-1"


def test_custody_events_are_append_only(runtime: Runtime, clip: Path) -> None:
    ingest(runtime, clip)
    for statement in (
        "UPDATE custody_events SET actor = 'someone else'",
        "DELETE FROM custody_events",
    ):
        with pytest.raises(DBAPIError, match="append-only"), runtime.db.engine.begin() as conn:
            conn.execute(text(statement))
    with runtime.db.session() as session:
        assert {e.actor for e in session.scalars(select(CustodyEvent))} == {
            ACTOR,
            "system:derivatives",
        }


def test_sidecar_metadata(tmp_path: Path) -> None:
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"x")
    (tmp_path / "clip.mp4.json").write_text(
        '{"officer": "4417", "device": "CAM-1", "recorded_at": "2026-05-08T14:03:00-05:00", "title": "Stop"}'
    )
    meta = metadata_from(video, officer=None, device=None, recorded_at=None, max_sidecar_bytes=4096)
    assert meta.officer_badge == "4417" and meta.device_serial == "CAM-1" and meta.title == "Stop"
    assert meta.recorded_at == datetime(2026, 5, 8, 19, 3, tzinfo=UTC)
    # command-line options win over the sidecar
    meta = metadata_from(
        video, officer="5120", device=None, recorded_at=None, max_sidecar_bytes=4096
    )
    assert meta.officer_badge == "5120"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"oficer": "4417"}', "unknown fields"),
        ("[1, 2]", "must be a JSON object"),
        ("{not json", "not valid JSON"),
        ('{"officer": 4417}', "must be a string"),
        ('{"recorded_at": "2026-05-08 14:03"}', "needs a timezone"),
        ('{"recorded_at": "yesterday"}', "not an ISO 8601"),
        ('{"notes": "' + "n" * 5000 + '"}', "over the"),
    ],
)
def test_bad_sidecars_get_clear_errors(tmp_path: Path, content: str, message: str) -> None:
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"x")
    (tmp_path / "clip.json").write_text(content)
    with pytest.raises(IngestError, match=message):
        metadata_from(video, officer=None, device=None, recorded_at=None, max_sidecar_bytes=4096)
