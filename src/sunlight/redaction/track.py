"""Associate per-frame detections into tracks and turn them into keyframed boxes.

The job is offline, so a track may look both ways: a face detected at two detection runs
is covered on every frame between them (linear interpolation), a track whose detector
misses a run or two keeps going through the gap, and each track is extended backwards to
the previous detection run and forwards to the next one, because a face first seen at run
k was probably already on screen a few frames earlier. Boxes grow by a margin that also
scales with how far the face moved between runs, since straight-line interpolation is
least reliable exactly when motion is large.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # plans, reviews and the web pages need no numpy at run time
    import numpy as np
    import numpy.typing as npt

Box = tuple[float, float, float, float]

# Frames of hits a lost track's velocity is measured over (Track.predict).
LONG_BASELINE = 12


@dataclass
class TrackerSettings:
    # Matching: IoU after prediction, or centre distance relative to face size.
    min_iou: float = 0.2
    max_centre_shift: float = 1.0  # in face widths per detection run
    # A detection this many times larger or smaller than a track's predicted box, and
    # not overlapping it, is another face: a face does not shrink from 100 px to 16 px
    # and jump away between runs. (A lost 100 px track once took a 16 px detection in the
    # next scene, after a cut, and its interpolated box swept half the frame.) Without
    # the overlap condition (any size jump refused) tracks split and their leftover
    # predictions added false boxes (0.05 -> 0.14 per frame on the 5 s clip).
    max_size_ratio: float = 3.0
    # How long (frames) a track lives on without a detection before it is closed; the
    # gap is then bridged by interpolation if the face is found again.
    max_gap_frames: int = 24
    # A small face (last box under ``lost_small_face`` px) on a confirmed track is not
    # closed after max_gap_frames: small faces fade under the detector's bar for a second
    # or two (motion blur, a fast pan's compression) and come back where they were
    # heading. Such a *lost* track is looked for again (at whole-frame runs, in an
    # enlarged region) for up to ``lost_gap_frames``, and only a detection close to its
    # prediction (centre within ``lost_shift`` face sizes, size within ``lost_ratio``)
    # takes it up again; the gap is then bridged by interpolation. (On the 5 s bench
    # clip over other backgrounds an 18 px face scored under 0.1 for frames 53-85 and
    # 0.15-0.5 from frame 88 on: its track had been closed at frame 75, and 45 frames
    # were left visible.)
    lost_small_face: float = 40.0
    lost_gap_frames: int = 90
    lost_shift: float = 0.5
    lost_ratio: float = 1.5
    # Margin added to every box, as a fraction of its size on each side.
    margin: float = 0.2
    # A hit's box also covers its neighbours' boxes moved onto it: up to
    # ``neighbour_hits`` hits on each side on the same track, within ``neighbour_frames``
    # frames and ``neighbour_ratio`` in size, each translated so its centre sits on this
    # hit's centre, are joined with this hit's box (before the margins). The detector
    # sometimes returns a partial box (the upper half of a face) between two full ones;
    # the keyframe at that run, and the boxes interpolated towards it, then left part of
    # the face unblurred. A neighbour much larger or smaller (a size jump) or far away in
    # time says nothing about this frame's face and is left out.
    neighbour_hits: int = 2
    neighbour_frames: int = 12
    neighbour_ratio: float = 3.0
    # Extra margin per side as a fraction of the displacement between two keyframes.
    motion_margin: float = 0.5
    # Temporal confirmation of second looks. A detection is *direct* when the detector
    # found it at its own threshold on the frame as it is (a whole-frame or a region run);
    # one that only an enlarged second look found (a weak candidate confirmed, the
    # small-face tiles, a lost small face looked for again) is *tentative*. A track with a
    # direct hit is always kept (no detection a frame-by-frame tool makes is ever dropped).
    # A track of tentative hits only is kept when the detector found it on at least
    # ``confirm_anchor_runs`` whole-frame runs or in at least ``confirm_hits`` runs of any
    # kind, or when it overlaps a kept track; otherwise it was a blip on face-like texture.
    confirm_anchor_runs: int = 2
    confirm_hits: int = 3
    # The look-back and look-ahead extension (see the module docstring) bets that a face
    # was on screen before it was first found and after it was last found. The bet is not
    # made for a *weak* track: one whose face is ``extend_small_face`` px or larger, that
    # the detector never scored ``extend_score`` or more (the review list's "weak" bar),
    # and that it found fewer than ``extend_min_hits`` times. Such a track is redacted on
    # its own hits' frames and on every frame between them, never less, but not before
    # the first hit or after the last. On seven bench scenes (1080p, seven backgrounds),
    # 26 of 31 such tracks had no hit on a face, the other 5 one or two hits of a face
    # other tracks also covered (no face's coverage changed), and the extension, up to a
    # whole-frame interval on each side, turned each response just over the detector's
    # bar into 8 to 15 frames of false boxes. Small faces are left out of
    # the rule: they score low whatever they are (an 18 px face found once at 0.24, after
    # its track was lost, was left visible on the frames the look-back had covered).
    extend_min_hits: int = 5
    extend_score: float = 0.35
    extend_small_face: float = 40.0
    # The look-ahead runs to the next whole-frame run that misses the face, but when the
    # region runs after the last hit looked for the face where it should be and missed it
    # ``ahead_region_misses`` times in a row, the face has most likely gone (a face
    # leaving at once, a turn away): the look-ahead then ends at the first of those
    # misses. Faces under ``ahead_small_face`` px are left out (a small face often fades
    # under the detector's bar in a region run and is found again). Should the track be
    # found again, the gap is bridged by interpolation as before; should another track
    # find the face at the next whole-frame run, that track's look-back covers the
    # frames. (On the 5 s bench clip a 33 px face left the picture at frame 75; regions
    # missed it at 76 and 78, and its box was held to 79 over the background.)
    ahead_region_misses: int = 2
    ahead_small_face: float = 24.0


@dataclass
class Hit:
    frame: int
    box: Box
    score: float
    # Found at the detector's own threshold on the frame as it is (see TrackerSettings).
    direct: bool = True
    # Found by a whole-frame run (not a region run around tracks).
    anchor: bool = True


@dataclass
class Track:
    id: int
    hits: list[Hit] = field(default_factory=list)
    missed: int = 0
    # Detection-run frames just before the first hit and just after the last one (bounds
    # of the look-back/look-ahead extension).
    run_before: int | None = None
    run_after: int | None = None
    # Started by a region run (around another face) rather than a whole-frame run.
    from_region: bool = False
    # Region runs since the last hit that looked for this track and missed it, and the
    # frame of the first of them (see ``TrackerSettings.ahead_region_misses``).
    region_misses: int = 0
    first_region_miss: int | None = None

    @property
    def last(self) -> Hit:
        return self.hits[-1]

    @property
    def direct(self) -> bool:
        """Whether any hit is a direct detection (such a track is never dropped)."""
        return any(h.direct for h in self.hits)

    def confirmed(self, settings: TrackerSettings) -> bool:
        """Direct, or tentative but found again often enough to be a face."""
        if self.direct or len(self.hits) >= settings.confirm_hits:
            return True
        anchors = {h.frame for h in self.hits if h.anchor}
        return len(anchors) >= settings.confirm_anchor_runs

    def weak(self, settings: TrackerSettings) -> bool:
        """Too little evidence of a face for the look-back/look-ahead extension (see
        ``TrackerSettings.extend_min_hits``)."""
        return (
            len(self.hits) < settings.extend_min_hits
            and all(h.score < settings.extend_score for h in self.hits)
            and max(_size(h.box) for h in self.hits) >= settings.extend_small_face
        )

    def predict(self, frame: int) -> Box:
        """Where the face should be at ``frame``, by constant velocity from the last hits.

        Far ahead of the last hit (a lost track), the velocity is taken over a longer
        stretch of hits (at least ``LONG_BASELINE`` frames where the track has them): the
        jitter of two hits a few frames apart, extrapolated over a second, misses a
        small face by more than its size."""
        last = self.last
        if len(self.hits) < 2 or frame == last.frame:
            return last.box
        prev = self.hits[-2]
        if frame - last.frame > LONG_BASELINE:
            for hit in reversed(self.hits[:-1]):
                prev = hit
                if last.frame - hit.frame >= LONG_BASELINE:
                    break
        span = last.frame - prev.frame
        if span <= 0:
            return last.box
        step = (frame - last.frame) / span
        if frame - last.frame <= LONG_BASELINE:
            return (
                last.box[0] + (last.box[0] - prev.box[0]) * step,
                last.box[1] + (last.box[1] - prev.box[1]) * step,
                last.box[2] + (last.box[2] - prev.box[2]) * step,
                last.box[3] + (last.box[3] - prev.box[3]) * step,
            )
        # Far ahead, only the centre moves: the size is the recent hits' mean (a growth
        # rate taken from two jittery boxes, extrapolated over a second, doubled a small
        # face's predicted box).
        recent = self.hits[-3:]
        w = sum(h.box[2] - h.box[0] for h in recent) / len(recent)
        h = sum(h.box[3] - h.box[1] for h in recent) / len(recent)
        cx = (
            last.box[0]
            + last.box[2]
            + (last.box[0] + last.box[2] - prev.box[0] - prev.box[2]) * step
        ) / 2
        cy = (
            last.box[1]
            + last.box[3]
            + (last.box[1] + last.box[3] - prev.box[1] - prev.box[3]) * step
        ) / 2
        return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)

    def lost(self, frame: int, settings: TrackerSettings) -> bool:
        """Past the ordinary gap, kept only as a lost small face (see TrackerSettings)."""
        return frame - self.last.frame > settings.max_gap_frames

    def keeps_looking(self, frame: int, settings: TrackerSettings) -> bool:
        """Whether the track stays open at ``frame`` without a hit."""
        gap = frame - self.last.frame
        if gap <= settings.max_gap_frames:
            return True
        return (
            gap <= settings.lost_gap_frames
            and _size(self.last.box) < settings.lost_small_face
            and self.confirmed(settings)
        )


def iou(a: Box, b: Box) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _inside(box: Box, other: Box) -> float:
    """The fraction of ``box`` that lies inside ``other``."""
    ix = max(0.0, min(box[2], other[2]) - max(box[0], other[0]))
    iy = max(0.0, min(box[3], other[3]) - max(box[1], other[1]))
    area = (box[2] - box[0]) * (box[3] - box[1])
    return ix * iy / area if area > 0 else 1.0


def _size(box: Box) -> float:
    return max(box[2] - box[0], box[3] - box[1])


def _centre_shift(a: Box, b: Box) -> float:
    size = max(a[2] - a[0], a[3] - a[1], b[2] - b[0], b[3] - b[1], 1.0)
    dx = (a[0] + a[2] - b[0] - b[2]) / 2
    dy = (a[1] + a[3] - b[1] - b[3]) / 2
    return math.hypot(dx, dy) / size


class Tracker:
    """Feed detection runs in frame order with ``update``; then call ``finish``."""

    def __init__(self, settings: TrackerSettings | None = None) -> None:
        self.settings = settings or TrackerSettings()
        self._active: list[Track] = []
        self._done: list[Track] = []
        self._next_id = 1
        self._last_run: int | None = None
        self._last_anchor: int | None = None
        # The first frame after the latest cut (see ``update``).
        self._cut: int | None = None

    def update(
        self,
        frame: int,
        detections: npt.NDArray[np.float32] | Sequence[Sequence[float]],
        *,
        searched: set[int] | None = None,
        cut: bool = False,
    ) -> None:
        """One detection run at ``frame``. ``searched`` names the tracks a partial run
        (regions around tracks) looked for; the others can match but not miss it. None
        means a whole-frame run. ``cut``: the picture changed at once just before
        ``frame`` (a cut, or the lens uncovered).

        A track last found before the latest cut is taken up after it only as a lost
        track is: where it was heading, at its size (the same face, still in view). The
        ordinary rule, whose reach grows with every miss up to four face widths, let a
        track of the old scene take a face of the new one a run or two after the cut,
        and the boxes interpolated and grown between the two swept across the picture:
        on the bench's 15 s clip a 150 px face's track took a 63 px face 600 px away 8
        frames after a cut, and its boxes lay over a third face (never detected there)
        on the cut's frame, which the bench then counted as left visible on 48 frames."""
        dets: list[tuple[Box, float, bool]] = [
            (
                (float(r[0]), float(r[1]), float(r[2]), float(r[3])),
                float(r[4]),
                len(r) < 6 or float(r[5]) > 0.5,
            )
            for r in detections
        ]
        anchor = searched is None
        s = self.settings
        if cut:
            self._cut = frame
        eligible = self._active  # every track may match; see `searched` for misses
        pairs: list[tuple[float, int, int]] = []
        for ti, track in enumerate(eligible):
            predicted = track.predict(frame)
            lost = track.lost(frame, s) or (self._cut is not None and track.last.frame < self._cut)
            for di, (box, _score, _direct) in enumerate(dets):
                overlap = iou(predicted, box)
                ratio = max(_size(predicted), _size(box)) / max(
                    1.0, min(_size(predicted), _size(box))
                )
                if lost:
                    # A lost track is taken up only where it was heading, at its size.
                    shift = _centre_shift(predicted, box) * max(_size(predicted), _size(box))
                    if ratio <= s.lost_ratio and shift <= s.lost_shift * _size(predicted):
                        pairs.append((overlap - 1.0 - shift / max(1.0, _size(predicted)), ti, di))
                    continue
                if ratio > s.max_size_ratio and overlap == 0.0:
                    continue
                shift = _centre_shift(predicted, box)
                if overlap >= s.min_iou or shift <= s.max_centre_shift * min(4, 1 + track.missed):
                    # Prefer overlap, then closeness: one sortable score.
                    pairs.append((overlap - shift, ti, di))
        pairs.sort(reverse=True)
        used_t: set[int] = set()
        used_d: set[int] = set()
        for _score, ti, di in pairs:
            if ti in used_t or di in used_d:
                continue
            used_t.add(ti)
            used_d.add(di)
            box, score, direct = dets[di]
            eligible[ti].hits.append(Hit(frame, box, score, direct, anchor))
            eligible[ti].missed = 0
            eligible[ti].run_after = None
            eligible[ti].region_misses = 0
            eligible[ti].first_region_miss = None
        closed: set[int] = set()
        for ti, track in enumerate(eligible):
            if ti in used_t or (searched is not None and track.id not in searched):
                continue
            track.missed += 1
            # Coverage runs on to the first whole-frame run that misses the face: a single
            # miss in a region run (small, blurred faces often are) does not end it early,
            # a run of them on a face not small does (``ahead_region_misses``).
            if searched is None and track.run_after is None:
                track.run_after = frame
            elif searched is not None:
                track.region_misses += 1
                if track.first_region_miss is None:
                    track.first_region_miss = frame
                if (
                    track.run_after is None
                    and track.region_misses >= s.ahead_region_misses
                    and _size(track.last.box) >= s.ahead_small_face
                ):
                    track.run_after = track.first_region_miss
            if not track.keeps_looking(frame, s):
                closed.add(id(track))
                self._done.append(track)
        survivors = [t for t in self._active if id(t) not in closed]
        for di, (box, score, direct) in enumerate(dets):
            if di in used_d:
                continue
            # Every detection no track took starts a track of its own, even one lying
            # inside a neighbour's (larger) box: in a crowd that neighbour is another
            # person, and when the two drift apart only this track still covers the face.
            # (Two responses to one face are folded together after the fact, and only
            # where one track's boxes are covered by the other's on every frame: see
            # `drop_covered`.) Region runs start tracks too: a second face near a tracked
            # one is found there first.
            track = Track(self._next_id, [Hit(frame, box, score, direct, anchor)])
            track.from_region = searched is not None
            # A face first seen now may have been on screen since the last whole-frame
            # run: the look-back extension reaches back to it.
            track.run_before = self._last_anchor
            if self._cut is not None and (track.run_before or -1) < self._cut - 1:
                # Never back across a cut: the previous scene's last frame bounds it (the
                # run before the cut may have been a region run, frames earlier).
                track.run_before = self._cut - 1
            self._next_id += 1
            survivors.append(track)
        self._active = survivors
        self._last_run = frame
        if searched is None:
            self._last_anchor = frame

    def predictions(
        self, frame: int, *, due_only: bool = False, lost: bool = True
    ) -> list[tuple[int, Box]]:
        """Where each live track is expected at ``frame`` (for region-of-interest runs).

        With ``due_only``, only tracks worth a look now: a face moving fast relative to its
        size is looked at every frame asked, a slow one every 3rd (interpolation between
        detections is exact for steady motion; it is the quick ones that turn or swerve).
        With ``lost`` False, lost small faces (see TrackerSettings) are left out.
        """
        out = []
        for t in self._active:
            if not lost and t.lost(frame, self.settings):
                continue
            if due_only:
                vx, vy = _velocity(t.hits[-2:])
                relative = math.hypot(vx, vy) / max(_size(t.last.box), 1.0)
                interval = 1 if relative > 0.03 else 2 if relative > 0.01 else 3
                if frame - t.last.frame < interval and t.missed == 0:
                    continue
            out.append((t.id, t.predict(frame)))
        return out

    def confirmed_ids(self) -> set[int]:
        """The live tracks that are confirmed (``Track.confirmed``)."""
        return {t.id for t in self._active if t.confirmed(self.settings)}

    def finish(self, last_frame: int) -> list[Track]:
        for track in self._active:
            if track.run_after is None:
                track.run_after = last_frame + 1
        tracks = self._done + self._active
        self._active, self._done = [], []
        return sorted(tracks, key=lambda t: (t.hits[0].frame, t.id))


def _with_neighbours(hits: Sequence[Hit], i: int, settings: TrackerSettings) -> Box:
    """Hit ``i``'s box joined with its neighbours' boxes moved onto its centre (see
    ``TrackerSettings.neighbour_hits``)."""
    hit = hits[i]
    x1, y1, x2, y2 = hit.box
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    size = _size(hit.box)
    for step in (-1, 1):
        for n in range(1, settings.neighbour_hits + 1):
            j = i + step * n
            if not 0 <= j < len(hits) or abs(hits[j].frame - hit.frame) > settings.neighbour_frames:
                break
            other = hits[j].box
            if max(size, _size(other)) > settings.neighbour_ratio * min(size, _size(other)):
                continue
            hw, hh = (other[2] - other[0]) / 2, (other[3] - other[1]) / 2
            x1, y1 = min(x1, cx - hw), min(y1, cy - hh)
            x2, y2 = max(x2, cx + hw), max(y2, cy + hh)
    return (x1, y1, x2, y2)


def _grow(box: Box, margin: float, extra: float, width: int, height: int) -> Box:
    w, h = box[2] - box[0], box[3] - box[1]
    mx, my = w * margin + extra, h * margin + extra
    return (
        max(0.0, box[0] - mx),
        max(0.0, box[1] - my),
        min(float(width), box[2] + mx),
        min(float(height), box[3] + my),
    )


def _velocity(hits: Sequence[Hit]) -> tuple[float, float]:
    if len(hits) < 2 or hits[1].frame == hits[0].frame:
        return 0.0, 0.0
    span = hits[1].frame - hits[0].frame
    a, b = hits[0].box, hits[1].box
    return ((b[0] + b[2] - a[0] - a[2]) / 2 / span, (b[1] + b[3] - a[1] - a[3]) / 2 / span)


def _shift(box: Box, velocity: tuple[float, float], frames: int) -> Box:
    dx, dy = velocity[0] * frames, velocity[1] * frames
    # Grow by half the distance too: the further the guess, the less sure it is.
    gx, gy = abs(dx) / 2, abs(dy) / 2
    return (box[0] + dx - gx, box[1] + dy - gy, box[2] + dx + gx, box[3] + dy + gy)


def _clip(box: Box, width: int, height: int) -> Box:
    x1, y1 = min(max(0.0, box[0]), width - 1.0), min(max(0.0, box[1]), height - 1.0)
    return (
        x1,
        y1,
        max(x1 + 1.0, min(float(width), box[2])),
        max(y1 + 1.0, min(float(height), box[3])),
    )


def keyframes(
    track: Track, width: int, height: int, settings: TrackerSettings | None = None
) -> list[tuple[int, Box]]:
    """The boxes to redact, as (frame, box) keyframes; linear in between, inclusive span.

    Includes the look-back and look-ahead extension: the first box is held from the frame
    after the previous detection run, the last one until the frame before the next run
    (not for a weak track: see ``TrackerSettings.extend_min_hits``).
    """
    s = settings or TrackerSettings()
    hits = track.hits
    out: list[tuple[int, Box]] = []
    for i, hit in enumerate(hits):
        moves = []
        for j in (i - 1, i + 1):
            if 0 <= j < len(hits):
                other = hits[j].box
                moves.append(max(abs(hit.box[k] - other[k]) for k in range(4)))
        extra = s.motion_margin * max(moves) if moves else 0.0
        box = _with_neighbours(hits, i, s)
        out.append((hit.frame, _grow(box, s.margin, extra, width, height)))
    # The extension follows the face's motion (constant velocity from the nearest two
    # hits) rather than holding the box still, so a moving face stays covered.
    if track.weak(s):
        return [(f, _clip(b, width, height)) for f, b in out]
    first_frame, first_box = out[0]
    start = (track.run_before + 1) if track.run_before is not None else 0
    if start < first_frame:
        out.insert(0, (start, _shift(first_box, _velocity(hits[:2]), start - first_frame)))
    last_frame, last_box = out[-1]
    end = (track.run_after - 1) if track.run_after is not None else last_frame
    if end > last_frame:
        out.append((end, _shift(last_box, _velocity(hits[-2:]), end - last_frame)))
    out = [(f, _clip(b, width, height)) for f, b in out]
    return out


def box_at(frames: Sequence[tuple[int, Box]], frame: int) -> Box | None:
    """Linear interpolation between keyframes; None outside the span. Same rule as the
    review editor's JavaScript, so what a reviewer sees is what is rendered."""
    if not frames or frame < frames[0][0] or frame > frames[-1][0]:
        return None
    lo, hi = 0, len(frames) - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if frames[mid][0] <= frame:
            lo = mid
        else:
            hi = mid
    f0, b0 = frames[lo]
    f1, b1 = frames[hi]
    if frame <= f0 or f1 == f0:
        return b0
    if frame >= f1:
        return b1
    t = (frame - f0) / (f1 - f0)
    return (
        b0[0] + (b1[0] - b0[0]) * t,
        b0[1] + (b1[1] - b0[1]) * t,
        b0[2] + (b1[2] - b0[2]) * t,
        b0[3] + (b1[3] - b0[3]) * t,
    )


def _contains(outer: Box | None, inner: Box | None, tolerance: float) -> bool:
    return (
        outer is not None
        and inner is not None
        and outer[0] <= inner[0] + tolerance
        and outer[1] <= inner[1] + tolerance
        and outer[2] >= inner[2] - tolerance
        and outer[3] >= inner[3] - tolerance
    )


def covered_by(
    inner: Sequence[tuple[int, Box]], outer: Sequence[tuple[int, Box]], tolerance: float = 0.5
) -> bool:
    """Whether ``outer``'s box contains ``inner``'s on every frame of ``inner``'s span.

    Both move in straight lines between keyframes, so containment (four linear
    inequalities) holds on every frame when it holds at every keyframe of either track
    inside that span."""
    if not inner or not outer:
        return False
    first, last = inner[0][0], inner[-1][0]
    if outer[0][0] > first or outer[-1][0] < last:
        return False
    frames = {f for f, _ in inner} | {f for f, _ in outer if first <= f <= last}
    return all(_contains(box_at(outer, f), box_at(inner, f), tolerance) for f in sorted(frames))


def drop_covered(tracks: Sequence[Sequence[tuple[int, Box]]]) -> list[int]:
    """Indices of the tracks to keep: a track is left out only when another kept track's
    box contains its box on every frame of its span (a second response to the same face:
    removing it changes no pixel of the render). Larger tracks are kept first."""

    def area(kfs: Sequence[tuple[int, Box]]) -> float:
        return sum((b[2] - b[0]) * (b[3] - b[1]) for _f, b in kfs) / max(1, len(kfs))

    order = sorted(range(len(tracks)), key=lambda i: (-area(tracks[i]), i))
    kept: list[int] = []
    for i in order:
        if not any(covered_by(tracks[i], tracks[k]) for k in kept):
            kept.append(i)
    return sorted(kept)


def overlaps(a: Sequence[tuple[int, Box]], b: Sequence[tuple[int, Box]]) -> bool:
    """Whether two keyframed tracks' boxes overlap on any frame both cover (checked at
    every keyframe of either inside the shared span; boxes move linearly in between, so
    this can miss only a brief overlap between keyframes)."""
    if not a or not b:
        return False
    first, last = max(a[0][0], b[0][0]), min(a[-1][0], b[-1][0])
    if first > last:
        return False
    frames = {first, last} | {f for f, _ in (*a, *b) if first <= f <= last}
    for f in frames:
        p, q = box_at(a, f), box_at(b, f)
        if (
            p is not None
            and q is not None
            and min(p[2], q[2]) > max(p[0], q[0])
            and min(p[3], q[3]) > max(p[1], q[1])
        ):
            return True
    return False


def unconfirmed(
    tracks: Sequence[tuple[Track, Sequence[tuple[int, Box]]]],
    settings: TrackerSettings | None = None,
) -> list[int]:
    """Indices of the tentative tracks to leave out of the plan: made only of second-look
    detections, found too few times (``Track.confirmed``), and overlapping no confirmed
    track. A track with a direct detection is never among them."""
    s = settings or TrackerSettings()
    sure = [kfs for track, kfs in tracks if track.confirmed(s)]
    return [
        i
        for i, (track, kfs) in enumerate(tracks)
        if not track.confirmed(s) and not any(overlaps(kfs, other) for other in sure)
    ]
