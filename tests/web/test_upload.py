"""Resumable uploads through the real app end in evidence ingest."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sunlight.evidence import service
from sunlight.media.synth import make_clip
from sunlight.runtime import Runtime
from sunlight.web.app import create_app
from tests.support.auth import sign_in

TUS = {"Tus-Resumable": "1.0.0"}


def metadata(**pairs: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in pairs.items())


def create(client: TestClient, size: int, **meta: str) -> str:
    response = client.post(
        "/api/uploads",
        headers={**TUS, "Upload-Length": str(size), "Upload-Metadata": metadata(**meta)},
    )
    assert response.status_code == 201, response.text
    return response.headers["location"]


def patch(client: TestClient, url: str, offset: int, chunk: bytes, checksum: bytes | None = None):  # type: ignore[no-untyped-def]
    digest = hashlib.sha256(checksum if checksum is not None else chunk).digest()
    return client.patch(
        url,
        content=chunk,
        headers={
            **TUS,
            "Content-Type": "application/offset+octet-stream",
            "Upload-Offset": str(offset),
            "Upload-Checksum": "sha256 " + base64.b64encode(digest).decode(),
        },
    )


@pytest.fixture
def video(tmp_path: Path) -> bytes:
    path = tmp_path / "upload.mp4"
    make_clip(path, seconds=2.0, seed=21)
    return path.read_bytes()


def test_upload_in_chunks_then_interrupted_resume(runtime: Runtime, video: bytes) -> None:
    with runtime.db.session() as session:
        service.create_officer(session, badge_number="4417", name="D. W.", unit=None, actor="t")
    third = len(video) // 3
    with TestClient(create_app(runtime, start_worker=False)) as client:
        sign_in(client, runtime)
        url = create(
            client,
            len(video),
            filename="bwc.mp4",
            officer="4417",
            recorded_at="2026-05-08T14:03:00-05:00",
        )
        assert patch(client, url, 0, video[:third]).status_code == 204
        # A corrupted chunk is refused and the offset does not move.
        bad = patch(
            client,
            url,
            third,
            b"X" + video[third + 1 : 2 * third],
            checksum=video[third : 2 * third],
        )
        assert bad.status_code == 460
        assert client.head(url, headers=TUS).headers["upload-offset"] == str(third)
    # The "server restarts" (a new app, no in-memory hash); the client resumes from HEAD.
    with TestClient(create_app(runtime, start_worker=False)) as client:
        sign_in(client, runtime)
        offset = int(client.head(url, headers=TUS).headers["upload-offset"])
        assert offset == third
        assert patch(client, url, offset, video[offset : 2 * third]).status_code == 204
        done = patch(client, url, 2 * third, video[2 * third :])
        assert done.status_code == 204, done.text
        sha = hashlib.sha256(video).hexdigest()
        assert done.headers["sunlight-sha256"] == sha
        assert done.headers["sunlight-status"] == "ingested"
        rid = int(done.headers["sunlight-recording-id"])
        assert client.head(url, headers=TUS).headers["sunlight-recording-id"] == str(rid)
        assert client.get(f"/api/recordings/{rid}/original").content == video
    with runtime.db.session() as session:
        rec = service.get_recording(session, rid)
        assert rec.sha256 == sha and rec.ingest_source == "upload"
        assert rec.officer is not None and rec.officer.badge_number == "4417"
    assert runtime.store.verify(sha)
    assert not list(runtime.settings.uploads_dir.glob("*.bin"))  # staged bytes moved into storage


def test_same_bytes_uploaded_twice_is_a_duplicate(runtime: Runtime, video: bytes) -> None:
    with TestClient(create_app(runtime, start_worker=False)) as client:
        sign_in(client, runtime)
        first = patch(client, create(client, len(video), filename="a.mp4"), 0, video)
        second = patch(client, create(client, len(video), filename="b.mp4"), 0, video)
    assert first.headers["sunlight-status"] == "ingested"
    assert second.headers["sunlight-status"] == "duplicate"
    assert second.headers["sunlight-recording-id"] == first.headers["sunlight-recording-id"]


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ({"filename": "../../etc/passwd"}, "must not contain a path"),
        ({"filetype": "video/mp4"}, "needs a filename"),
        ({"filename": "a.mp4", "officer": "0000"}, "no officer"),
        ({"filename": "a.mp4", "recorded_at": "tuesday"}, "ISO 8601"),
        ({"filename": "a.mp4", "colour": "red"}, "unknown upload metadata"),
    ],
)
def test_bad_metadata_is_refused_at_creation(
    runtime: Runtime, meta: dict[str, str], message: str
) -> None:
    with TestClient(create_app(runtime, start_worker=False)) as client:
        sign_in(client, runtime)
        response = client.post(
            "/api/uploads",
            headers={**TUS, "Upload-Length": "10", "Upload-Metadata": metadata(**meta)},
        )
    assert response.status_code == 400
    assert message in response.text
