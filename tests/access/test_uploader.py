"""The uploader of a tus upload is the request's principal (a signed-in user or a dock's
token), recorded on the recording's ingest custody event; not the administrator."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sunlight.access import Permission, Principal
from sunlight.evidence.custody import events_for
from sunlight.media.synth import make_clip
from sunlight.runtime import Runtime
from sunlight.web.app import create_app
from tests.access.principals import acting_as
from tests.web.test_upload import create, patch

DOCK = Principal(
    id="token:4",
    display_name="Dock 4 (East garage)",
    kind="token",
    roles=frozenset({"integration"}),
    token_id=4,
    granted=frozenset({Permission.RECORDING_UPLOAD}),
    auth="token",
)


@pytest.fixture
def video(tmp_path: Path) -> bytes:
    path = tmp_path / "dock.mp4"
    make_clip(path, seconds=1.0, seed=5)
    return path.read_bytes()


def test_a_dock_token_is_the_uploader(runtime: Runtime, video: bytes) -> None:
    with TestClient(create_app(runtime, start_worker=False)) as client, acting_as(client, DOCK):
        url = create(client, len(video), filename="dock.mp4")
        done = patch(client, url, 0, video)
        assert done.status_code == 204, done.text
        rid = int(done.headers["sunlight-recording-id"])
        # the token may upload, and nothing else: not even see what it uploaded
        assert client.get(f"/api/recordings/{rid}").status_code == 403
        assert client.get("/api/recordings").status_code == 403
    with runtime.db.session(read_only=True) as session:
        ingest = [e for e in events_for(session, "recording", rid) if e.action == "ingest"]
    assert [e.actor for e in ingest] == ["token:4"]


def test_a_token_without_upload_is_refused(runtime: Runtime, video: bytes) -> None:
    reader = Principal(
        id="token:5",
        display_name="Reports integration",
        kind="token",
        roles=frozenset({"integration"}),
        token_id=5,
        granted=frozenset({Permission.COMPLIANCE_PUBLIC}),
        auth="token",
    )
    with TestClient(create_app(runtime, start_worker=False)) as client, acting_as(client, reader):
        refused = client.post(
            "/api/uploads", headers={"Tus-Resumable": "1.0.0", "Upload-Length": "10"}
        )
        assert refused.status_code == 403
