"""The "check these" list: what a reviewer should look at first in a detected plan.

The detector's output is a draft. Some of it deserves a human look before release more
than the rest: faces the detector was unsure of, stretches where it lost a face and the
plan interpolates, tracks that begin or end in the open picture (a face does not appear
out of nowhere: it was turned, occluded or too blurred a moment earlier, and may be visible
there), and faces close to the smallest size the detector finds. Each is listed with its
frame range, stored in the plan and shown in the review editor.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from sunlight.redaction.plan import REVIEW_KINDS
from sunlight.redaction.track import Box, Track

NOTES = {
    "weak": "the detector was unsure here (low score): a face, or a false alarm?",
    "gap": "the detector lost this face for a while; the box is interpolated",
    "start": "the track begins in the open picture: is the face visible just before?",
    "end": "the track ends in the open picture: is the face visible just after?",
    "small": "a face near the smallest size the detector finds: check for others nearby",
}
# A track whose best detection scored below this is listed as weak.
WEAK_SCORE = 0.35
# Faces smaller than this (px, longer side) are near the detector's limit.
SMALL_PX = 24.0
# The detector lost a face for at least this many frames between two detections.
GAP_FRAMES = 12
MAX_FLAGS = 500
assert set(NOTES) == set(REVIEW_KINDS)


def _near_edge(box: Box, width: int, height: int) -> bool:
    size = max(box[2] - box[0], box[3] - box[1])
    return box[0] <= size or box[1] <= size or box[2] >= width - size or box[3] >= height - size


def _size(box: Box) -> float:
    return max(box[2] - box[0], box[3] - box[1])


def review_flags(
    tracks: Sequence[tuple[str, Track, Sequence[tuple[int, Box]]]],
    *,
    width: int,
    height: int,
    frame_count: int,
) -> list[dict[str, Any]]:
    """The "check these" list for detected tracks, as (plan id, track, keyframes)."""
    flags: list[dict[str, Any]] = []

    def add(kind: str, tid: str, start: int, end: int) -> None:
        flags.append(
            {"kind": kind, "track": tid, "frame": start, "end_frame": end, "note": NOTES[kind]}
        )

    for tid, track, kfs in tracks:
        hits = track.hits
        if not hits or not kfs:
            continue
        span = (kfs[0][0], kfs[-1][0])
        best = max(hits, key=lambda h: h.score)
        if best.score < WEAK_SCORE:
            add("weak", tid, *span)
        for a, b in pairwise(hits):
            if b.frame - a.frame >= GAP_FRAMES:
                add("gap", tid, a.frame, b.frame)
        first, last = hits[0], hits[-1]
        if span[0] > 0 and not _near_edge(first.box, width, height):
            add("start", tid, max(0, span[0] - 1), first.frame)
        if span[1] < frame_count - 1 and not _near_edge(last.box, width, height):
            add("end", tid, last.frame, min(frame_count - 1, span[1] + 1))
        small = [h for h in hits if _size(h.box) < SMALL_PX]
        if small:
            add("small", tid, small[0].frame, small[-1].frame)
    flags.sort(key=lambda f: (f["frame"], f["track"], f["kind"]))
    return flags[:MAX_FLAGS]
