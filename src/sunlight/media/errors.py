"""The one exception type the media package lets escape."""

from __future__ import annotations


class MediaError(Exception):
    """A media file could not be read, decoded or written.

    Raised instead of PyAV/FFmpeg exceptions so callers need to handle exactly
    one type, and the message is meant to be shown to a person.
    """
