"""Shared synthetic clips for the media tests, generated once per session."""

from __future__ import annotations

from pathlib import Path

import pytest
from media_cases import CLIP_SPECS, CREATED, GPS

from sunlight.media.synth import make_clip, make_corrupt_variants


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clips")
    return {
        name: make_clip(
            folder / spec.filename,
            seconds=2.0,
            creation_time=CREATED,
            gps=GPS,
            seed=index,
            **spec.kwargs,
        )
        for index, (name, spec) in enumerate(CLIP_SPECS.items())
    }


@pytest.fixture(scope="session")
def corrupt(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_corrupt_variants(tmp_path_factory.mktemp("corrupt"))
