from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sunlight.evidence.ingest import IngestMetadata, ingest_file
from sunlight.media.synth import make_clip
from sunlight.runtime import Runtime
from sunlight.web.app import create_app
from tests.support.auth import sign_in


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, start_worker=False)) as test_client:
        sign_in(test_client, runtime)
        yield test_client


@pytest.fixture
def recording(runtime: Runtime, tmp_path: Path) -> tuple[int, bytes]:
    path = tmp_path / "clip.mp4"
    make_clip(path, seconds=2.0, seed=7)
    result = ingest_file(
        runtime,
        path,
        IngestMetadata(original_filename=path.name, title="Test stop"),
        actor="test:clerk",
        source="cli",
    )
    return result.recording_id, path.read_bytes()
