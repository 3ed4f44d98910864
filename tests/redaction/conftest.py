"""Fixtures for the redaction tests: small clips with real faces, built at test time."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sunlight.redaction.synthetic import Clip, Face, GroundTruth, write_clip
from sunlight.runtime import Runtime
from tests.support.auth import browser_sign_in
from tests.support.server import live_server
from tests.support.services import unavailable

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


def face_clip(path: Path, *, frames: int = 30, audio: bool = True) -> GroundTruth:
    """640x360, 15 fps: two faces (about 110 and 70 px) drifting across a panning scene."""
    clip = Clip(
        640,
        360,
        frames,
        15,
        [
            Face(0, 0, frames, 80, 60, 2.0, 0.5, 110, 100),
            Face(1, 0, frames, 420, 150, -1.5, 0.0, 70, 76),
        ],
    )
    return write_clip(clip, path, audio=audio)


@pytest.fixture(scope="session")
def faces_mp4(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GroundTruth]:
    path = tmp_path_factory.mktemp("clips") / "faces.mp4"
    return path, face_clip(path)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not shutil.which("chromium"):
        unavailable("Debian Chromium is not installed (apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def base_url_live(embedded_runtime: Runtime, context: Any) -> Iterator[str]:
    """The live app, the browser signed in as a records custodian (and administrator) who
    states a reason with every request, as the access policy asks for footage."""
    with live_server(embedded_runtime) as url:
        browser_sign_in(context, url, embedded_runtime)
        context.set_extra_http_headers({"Sunlight-Reason": "records-request: redaction tests"})
        yield url
