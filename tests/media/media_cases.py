"""The synthetic clips the media tests run against, and what probe should say of each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

CREATED = datetime(2024, 5, 1, 12, 34, 56, tzinfo=UTC)
GPS = (39.0997, -94.5786)


@dataclass(frozen=True)
class ClipSpec:
    filename: str
    kwargs: dict[str, Any]
    container: str
    video_codec: str
    audio_codec: str | None
    browser_playable: bool


# Short, small clips: enough frames for GOP structure and seeking, cheap to encode.
CLIP_SPECS = {
    "mp4_h264": ClipSpec("h264.mp4", {}, "mp4", "h264", "aac", True),
    "mp4_h264_camera_order": ClipSpec(
        "camera.mp4", {"faststart": False}, "mp4", "h264", "aac", True
    ),
    "mov_h264": ClipSpec("h264.mov", {"container": "mov"}, "mov", "h264", "aac", True),
    "mp4_h264_silent": ClipSpec("silent.mp4", {"audio": False}, "mp4", "h264", None, True),
    "mkv_h264": ClipSpec("h264.mkv", {"container": "mkv"}, "matroska", "h264", "aac", False),
    "webm_vp9": ClipSpec(
        "vp9.webm", {"container": "webm", "video_codec": "vp9"}, "webm", "vp9", "opus", False
    ),
    "mp4_hevc": ClipSpec("hevc.mp4", {"video_codec": "hevc"}, "mp4", "hevc", "aac", False),
    "mkv_mpeg2": ClipSpec(
        "mpeg2.mkv",
        {"container": "mkv", "video_codec": "mpeg2video"},
        "matroska",
        "mpeg2video",
        "aac",
        False,
    ),
    "mp4_rotated": ClipSpec("rotated.mp4", {"rotation": 90}, "mp4", "h264", "aac", True),
}
