"""Helpers shared by the redaction tests."""

from __future__ import annotations


def covers(outer: tuple[float, ...] | None, inner: tuple[float, ...]) -> bool:
    """``outer`` (a box, or None) contains ``inner`` on every side."""
    return (
        outer is not None
        and outer[0] <= inner[0]
        and outer[1] <= inner[1]
        and outer[2] >= inner[2]
        and outer[3] >= inner[3]
    )
