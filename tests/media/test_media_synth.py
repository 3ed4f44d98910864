"""Synthetic clips and damaged variants, and the container structure readers."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import av
import pytest

from sunlight.media import is_faststart, make_clip, make_truncated, top_level_boxes
from sunlight.media.synth import format_creation_time, format_iso6709, make_mdat_cut


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_seeds_give_distinct_clips(tmp_path: Path) -> None:
    a = make_clip(tmp_path / "a.mp4", seconds=0.5, seed=1)
    b = make_clip(tmp_path / "b.mp4", seconds=0.5, seed=2)
    assert digest(a) != digest(b)


def test_frames_change_over_time(clips: dict[str, Path]) -> None:
    with av.open(str(clips["mp4_h264"])) as container:
        lumas = [bytes(frame.planes[0]) for frame in container.decode(video=0)]
    assert len(lumas) == 30
    assert len(set(lumas)) == 30


def test_audio_matches_video_length(clips: dict[str, Path]) -> None:
    with av.open(str(clips["mp4_h264"])) as container:
        audio = container.streams.audio[0]
        assert audio.sample_rate == 48_000
        assert audio.duration is not None
        assert audio.time_base is not None
        assert float(audio.duration * audio.time_base) == pytest.approx(2.0, abs=0.05)


def test_faststart_and_camera_order(clips: dict[str, Path]) -> None:
    assert is_faststart(clips["mp4_h264"])
    assert is_faststart(clips["mov_h264"])
    assert not is_faststart(clips["mp4_h264_camera_order"])
    types = [box.type for box in top_level_boxes(clips["mp4_h264_camera_order"])]
    assert types[0] == "ftyp"
    assert types.index("mdat") < types.index("moov")


def test_make_truncated_keeps_prefix(clips: dict[str, Path], tmp_path: Path) -> None:
    source = clips["mkv_h264"]
    cut = make_truncated(source, tmp_path / "cut.mkv", 0.25)
    data = source.read_bytes()
    assert cut.read_bytes() == data[: len(data) // 4]


def test_mdat_cut_needs_faststart(clips: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="faststart"):
        make_mdat_cut(clips["mp4_h264_camera_order"], tmp_path / "x.mp4")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"container": "avi"}, "unsupported container"),
        ({"container": "webm", "video_codec": "h264"}, "WebM cannot carry"),
        ({"width": 321}, "even"),
    ],
)
def test_make_clip_rejects_bad_arguments(
    tmp_path: Path, kwargs: dict[str, object], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        make_clip(tmp_path / "x.mp4", **kwargs)  # type: ignore[arg-type]


def test_metadata_formatting() -> None:
    assert format_iso6709((39.0997, -94.5786)) == "+39.0997-094.5786/"
    assert format_iso6709((-5.5, 7.25, 12.0)) == "-05.5000+007.2500+12.000/"
    with pytest.raises(ValueError, match="timezone-aware"):
        format_creation_time(datetime(2024, 1, 1))
