"""The media type a recording's bytes are served as, from its file name's suffix."""

from __future__ import annotations

__all__ = ["video_type"]

_VIDEO_TYPES = {
    "mp4": "video/mp4",
    "m4v": "video/mp4",
    "mov": "video/quicktime",
    "mkv": "video/x-matroska",
    "webm": "video/webm",
    "avi": "video/x-msvideo",
}


def video_type(filename: str) -> str:
    """``video/...`` for the video suffixes a browser may play, else
    ``application/octet-stream``."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return _VIDEO_TYPES.get(suffix, "application/octet-stream")
