"""The byte lifecycle of an upload, on both back ends: no fully received byte is orphaned.

A completion that fails in its commit keeps the staged bytes; the client's retry finishes
the job and answers like a first success; if nobody retries (or the process died in the
completion), ``reconcile`` records it; anything stored without a row is reported by
reconcile and by the audit, with its hash and size.
"""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sunlight.db.base import utcnow
from sunlight.evidence import ingest
from sunlight.evidence.models import CustodyEvent, Recording
from sunlight.evidence.orphans import find_orphans
from sunlight.ledger.audit import AuditReport, audit_orphans
from sunlight.media.synth import make_clip
from sunlight.runtime import Runtime
from sunlight.web.app import create_app
from sunlight.web.maintenance import reconcile_all
from sunlight.web.tus import service as tus_service
from tests.support.auth import sign_in

TUS = {"Tus-Resumable": "1.0.0"}
OCTET = "application/offset+octet-stream"


def _metadata(**pairs: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in pairs.items())


def _create(client: TestClient, size: int, filename: str) -> str:
    response = client.post(
        "/api/uploads",
        headers={
            **TUS,
            "Upload-Length": str(size),
            "Upload-Metadata": _metadata(filename=filename),
        },
    )
    assert response.status_code == 201, response.text
    return str(response.headers["location"])


def _patch(client: TestClient, url: str, offset: int, body: bytes) -> Any:
    headers = {**TUS, "Content-Type": OCTET, "Upload-Offset": str(offset)}
    return client.patch(url, headers=headers, content=body)


def _fail_commit_once(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make the recording's commit fail once, after the bytes reached the store."""
    real = ingest._record_ingest
    calls: list[int] = []

    def failing(*args: Any, **kwargs: Any) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        real(*args, **kwargs)

    monkeypatch.setattr(ingest, "_record_ingest", failing)
    return calls


def _recordings(runtime: Runtime) -> list[Recording]:
    with runtime.db.session() as session:
        return list(session.scalars(select(Recording)))


def _ingest_events(runtime: Runtime, recording_id: int) -> list[str]:
    with runtime.db.session() as session:
        return list(
            session.scalars(
                select(CustodyEvent.action).where(
                    CustodyEvent.object_type == "recording",
                    CustodyEvent.object_id == str(recording_id),
                )
            )
        )


@pytest.fixture
def video(tmp_path: Path) -> bytes:
    path = tmp_path / "upload.mp4"
    make_clip(path, seconds=1.0, width=160, height=120, seed=33)
    return path.read_bytes()


def test_failed_commit_keeps_the_bytes_and_a_retry_finishes_like_a_first_success(
    runtime: Runtime, video: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _fail_commit_once(monkeypatch)
    sha = hashlib.sha256(video).hexdigest()
    with TestClient(create_app(runtime, start_worker=False)) as client:
        sign_in(client, runtime)
        url = _create(client, len(video), "bwc.mp4")
        failed = _patch(client, url, 0, video)
        assert failed.status_code == 500
        assert "retry with an empty PATCH" in failed.text
        assert calls == [1]
        assert _recordings(runtime) == []
        staged = runtime.settings.uploads_dir / f"{url.rsplit('/', 1)[1]}.bin"
        assert staged.read_bytes() == video  # the staged bytes stay

        # The client does what tus clients do: HEAD, then the final request again.
        status = client.head(url, headers=TUS)
        assert status.headers["upload-offset"] == str(len(video))
        assert "sunlight-recording-id" not in status.headers
        retry = _patch(client, url, len(video), b"")
        assert retry.status_code == 204, retry.text
        assert retry.headers["sunlight-status"] == "ingested"
        assert retry.headers["sunlight-sha256"] == sha
        rid = int(retry.headers["sunlight-recording-id"])
        assert client.head(url, headers=TUS).headers["sunlight-recording-id"] == str(rid)
        assert client.get(f"/api/recordings/{rid}/original").content == video
    [recording] = _recordings(runtime)
    assert (recording.id, recording.sha256, recording.size_bytes) == (rid, sha, len(video))
    assert "ingest" in _ingest_events(runtime, rid)
    assert not staged.exists()  # removed only once the recording was committed
    assert runtime.store.verify(sha)
    assert list(find_orphans(runtime, now=utcnow(), grace=timedelta(0))) == []


def test_completion_cut_off_after_storing_is_recorded_by_reconcile(
    runtime: Runtime, video: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail_commit_once(monkeypatch)
    sha = hashlib.sha256(video).hexdigest()
    with TestClient(create_app(runtime, start_worker=False)) as client:
        sign_in(client, runtime)
        url = _create(client, len(video), "cut-off.mp4")
        assert _patch(client, url, 0, video).status_code == 500
        # The state a crash between storing the object and committing the row leaves.
        assert runtime.store.exists(sha) and _recordings(runtime) == []
        orphans = list(find_orphans(runtime, now=utcnow(), grace=timedelta(0)))
        assert [(o.sha256, o.size) for o in orphans] == [(sha, len(video))]

        fresh = reconcile_all(runtime, now=utcnow())  # idle for less than 10 minutes
        assert fresh.uploads_recorded == [] and _recordings(runtime) == []
        report = reconcile_all(runtime, now=utcnow(), idle_for=timedelta(0))
        assert [(u.sha256, u.size) for u in report.uploads_recorded] == [(sha, len(video))]
        assert report.uploads_failed == [] and report.orphan_count == 0
        [recording] = _recordings(runtime)
        assert recording.sha256 == sha and recording.original_filename == "cut-off.mp4"
        assert recording.ingest_source == "upload"
        # The client that comes back is told the result.
        status = client.head(url, headers=TUS)
        assert status.headers["sunlight-recording-id"] == str(recording.id)
        again = reconcile_all(runtime, now=utcnow(), idle_for=timedelta(0))
        assert again.uploads_recorded == [] and len(_recordings(runtime)) == 1


def test_unreferenced_bytes_are_reported_by_reconcile_and_audit(
    runtime: Runtime, tmp_path: Path
) -> None:
    clip = tmp_path / "clip.mp4"
    make_clip(clip, seconds=1.0, width=160, height=120, seed=5)
    result = ingest.ingest_file(
        runtime, clip, ingest.IngestMetadata(original_filename="clip.mp4"), actor="t", source="cli"
    )
    [recording] = _recordings(runtime)
    assert recording.poster_sha256 is not None  # derivatives are referenced, not orphans
    stray = b"bytes nobody recorded" * 100
    stray_sha = runtime.store.put_stream(io.BytesIO(stray)).sha256

    now = utcnow()
    assert list(find_orphans(runtime, now=now)) == []  # too young to judge
    later = now + timedelta(hours=1)
    orphans = list(find_orphans(runtime, now=later, batch_size=2))
    assert [(o.sha256, o.size) for o in orphans] == [(stray_sha, len(stray))]

    report = reconcile_all(runtime, now=later)
    assert report.orphan_count == 1 and report.orphan_bytes == len(stray)
    assert report.to_dict()["orphans"][0]["sha256"] == stray_sha
    assert runtime.store.exists(stray_sha)  # reported, never deleted

    fresh_audit = AuditReport()
    audit_orphans(runtime, fresh_audit, now=now)  # the audit gives writers time, too
    assert fresh_audit.findings == []
    audit = AuditReport()
    audit_orphans(runtime, audit, now=later)
    assert [f.kind for f in audit.findings] == ["orphan"]
    assert stray_sha in audit.findings[0].detail
    assert f"{len(stray)} bytes" in audit.findings[0].detail
    assert not audit.ok
    assert result.sha256 == recording.sha256


def test_staged_upload_space_counts_in_the_real_app(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tus_service, "free_bytes", lambda folder: 3 * 1024**3)
    settings = runtime.settings.with_overrides(max_upload_bytes=2 * 1024**3)
    runtime.settings = settings
    with TestClient(create_app(runtime, start_worker=False)) as client:
        sign_in(client, runtime)
        too_big = client.post(
            "/api/uploads",
            headers={
                **TUS,
                "Upload-Length": str(2 * 1024**3 + 1),
                "Upload-Metadata": _metadata(filename="a.mp4"),
            },
        )
        assert too_big.status_code == 413
        _create(client, 1024**3 // 2, "half.mp4")  # 0.5 GiB + 2 GiB reserve fit in 3 GiB
        no_room = client.post(
            "/api/uploads",
            headers={
                **TUS,
                "Upload-Length": str(1024**3),
                "Upload-Metadata": _metadata(filename="b.mp4"),
            },
        )
        assert no_room.status_code == 507


def test_serve_walks_the_store_for_orphans_only_now_and_then(
    embedded_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sunlight.web import maintenance

    walks: list[datetime] = []

    def counting(runtime: Runtime, *, now: datetime, grace: timedelta) -> Iterator[Any]:
        walks.append(now)
        return iter(())

    monkeypatch.setattr(maintenance, "find_orphans", counting)
    schedule = maintenance.server_schedule(embedded_runtime, retention=False)
    [task] = [t for t in schedule.tasks if t.name == "reconcile"]
    task.action()
    task.action()
    assert len(walks) == 1  # the cheap passes ran twice, the store walk once
