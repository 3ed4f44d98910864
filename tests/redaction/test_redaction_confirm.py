"""Temporal confirmation: a detection only an enlarged second look made (tentative) becomes
a redaction when the detector finds it again or it overlaps a confirmed track; a one-frame
tentative blip does not; a direct detection is always kept, whatever its score."""

from __future__ import annotations

import numpy as np

from sunlight.redaction.analyze import add_new, on_targets, tag
from sunlight.redaction.track import (
    Box,
    Track,
    Tracker,
    TrackerSettings,
    box_at,
    keyframes,
    overlaps,
    unconfirmed,
)
from tests.redaction.support import covers

W, H = 1280, 720
SMALL = (600.0, 300.0, 620.0, 322.0)  # a 20 px face
TEXTURE = (900.0, 500.0, 930.0, 530.0)  # face-like texture somewhere else


def tentative(box: Box, score: float = 0.25) -> list[float]:
    return [*box, score, 0.0]


def direct(box: Box, score: float) -> list[float]:
    return [*box, score, 1.0]


def drafted(tracker: Tracker, last: int) -> list[tuple[Track, list[tuple[int, Box]]]]:
    return [(t, keyframes(t, W, H)) for t in tracker.finish(last)]


def left_out(tracker: Tracker, last: int) -> list[tuple[float, float, float, float]]:
    tracks = drafted(tracker, last)
    return [tracks[i][0].hits[0].box for i in unconfirmed(tracks)]


def test_a_tentative_face_found_again_at_two_whole_frame_runs_is_redacted() -> None:
    tracker = Tracker()
    tracker.update(0, [tentative(SMALL)])
    tracker.update(8, [tentative(SMALL)])
    tracker.update(16, [])
    tracks = drafted(tracker, 30)
    assert len(tracks) == 1 and tracks[0][0].confirmed(tracker.settings)
    assert unconfirmed(tracks) == []


def test_a_tentative_face_found_in_three_runs_of_any_kind_is_redacted() -> None:
    tracker = Tracker()
    tracker.update(0, [tentative(SMALL)])
    tid = tracker.confirmed_ids() | {1}
    tracker.update(2, [tentative(SMALL)], searched=tid)
    tracker.update(4, [tentative(SMALL)], searched=tid)
    assert left_out(tracker, 7) == []


def test_a_one_frame_tentative_blip_is_not_redacted() -> None:
    tracker = Tracker()
    tracker.update(0, [])
    tracker.update(8, [tentative(TEXTURE, 0.3)])
    tracker.update(16, [])
    tracker.update(24, [])
    assert left_out(tracker, 30) == [TEXTURE]


def test_a_tentative_blip_found_once_more_in_a_region_run_only_is_not_redacted() -> None:
    tracker = Tracker()
    tracker.update(8, [tentative(TEXTURE)])
    tracker.update(11, [tentative(TEXTURE)], searched={1})
    tracker.update(16, [])
    assert left_out(tracker, 30) == [TEXTURE]


def test_a_direct_detection_is_always_redacted_even_once_and_weak() -> None:
    # Score 0.21: just over the detector's own threshold, on one frame only, alone.
    tracker = Tracker()
    tracker.update(0, [])
    tracker.update(8, [direct(TEXTURE, 0.21)])
    tracker.update(16, [])
    tracks = drafted(tracker, 30)
    assert unconfirmed(tracks) == []
    frames = tracks[0][1]
    assert frames[0][0] <= 8 <= frames[-1][0]


def test_untagged_detections_count_as_direct() -> None:
    tracker = Tracker()
    tracker.update(8, [[*TEXTURE, 0.21]])
    assert left_out(tracker, 20) == []


def test_a_tentative_blip_overlapping_a_confirmed_track_is_redacted() -> None:
    face = (580.0, 280.0, 680.0, 400.0)
    beside = (660.0, 300.0, 690.0, 330.0)  # overlaps the face's box
    tracker = Tracker()
    for frame in (0, 8, 16):
        rows = [direct(face, 0.9)]
        if frame == 8:
            rows.append(tentative(beside))
        tracker.update(frame, rows)
    tracks = drafted(tracker, 20)
    assert len(tracks) == 2
    assert overlaps(tracks[0][1], tracks[1][1])
    assert unconfirmed(tracks) == []


def test_one_direct_hit_makes_a_tentative_track_sure() -> None:
    tracker = Tracker()
    tracker.update(0, [tentative(SMALL)])
    tracker.update(3, [direct(SMALL, 0.4)], searched={1})
    assert left_out(tracker, 10) == []


def test_overlaps_needs_a_shared_frame() -> None:
    a = [(0, (0.0, 0.0, 10.0, 10.0)), (5, (0.0, 0.0, 10.0, 10.0))]
    b = [(6, (0.0, 0.0, 10.0, 10.0)), (9, (0.0, 0.0, 10.0, 10.0))]
    c = [(5, (9.0, 9.0, 20.0, 20.0))]
    assert not overlaps(a, b)
    assert overlaps(a, c)


def test_tags_and_adding_keep_every_box() -> None:
    found = tag(np.asarray([[0, 0, 10, 10, 0.9]], dtype=np.float32), True)
    extra = tag(np.asarray([[50, 50, 60, 60, 0.3], [2, 2, 9, 9, 0.3]], dtype=np.float32), False)
    both = add_new(found, extra)
    assert both.shape == (2, 6)
    assert both[0, 5] == 1.0 and both[1, 5] == 0.0
    # A 5-column array (a detector's own output) joins a tagged one as direct.
    mixed = add_new(extra, np.asarray([[100, 100, 120, 120, 0.5]], dtype=np.float32))
    assert mixed.shape == (3, 6) and mixed[2, 5] == 1.0
    assert tag(np.empty((0, 5), dtype=np.float32), False).shape == (0, 6)


def test_a_low_bar_refind_keeps_only_the_face_looked_for() -> None:
    target = [(1, (100.0, 100.0, 120.0, 122.0))]
    boxes = np.asarray(
        [
            [102, 101, 121, 124, 0.12],  # the face, moved a little
            [160, 100, 180, 122, 0.11],  # something beside it in the region
            [95, 95, 160, 165, 0.15],  # much larger: not this face
        ],
        dtype=np.float32,
    )
    kept = on_targets(boxes, target)
    assert kept.shape == (1, 5) and kept[0, 0] == 102
    assert on_targets(boxes[1:], target).shape == (0, 5)


# The look-back/look-ahead extension needs evidence of a face (TrackerSettings.extend_*).
# 60 px of face-like texture (real faces this size score higher than it does).
LARGE = (900.0, 500.0, 960.0, 560.0)


def test_a_lone_weak_detection_is_redacted_on_its_own_frame_but_not_extended() -> None:
    # Fails on the code before the extension needed evidence: the box was held from
    # frame 1 (after the run on frame 0) to 15 (before the run on 16), fifteen frames of
    # a box for one response just over the detector's bar.
    tracker = Tracker()
    tracker.update(0, [])
    tracker.update(8, [direct(LARGE, 0.23)])
    tracker.update(16, [])
    tracks = drafted(tracker, 30)
    assert unconfirmed(tracks) == []
    frames = tracks[0][1]
    assert [f for f, _box in frames] == [8]
    assert covers(box_at(frames, 8), LARGE)
    assert box_at(frames, 7) is None and box_at(frames, 9) is None


def test_a_weak_track_is_covered_from_its_first_hit_to_its_last_only() -> None:
    # Fails on the old code too (covered from frame 1 to 23). Every frame from the first
    # hit to the last is still covered: a detected face is always redacted.
    tracker = Tracker()
    tracker.update(0, [])
    tracker.update(8, [direct(LARGE, 0.22)])
    tracker.update(11, [direct(LARGE, 0.24)], searched={1})
    tracker.update(16, [tentative(LARGE, 0.21)])
    tracker.update(24, [])
    (track, frames), *_ = drafted(tracker, 30)
    assert frames[0][0] == 8 and frames[-1][0] == 16
    assert track.weak(tracker.settings)
    assert all(covers(box_at(frames, f), LARGE) for f in range(8, 17))


def test_a_small_weak_detection_keeps_the_extension() -> None:
    # Small faces score low whatever they are, so a low score says nothing about them: a
    # real 18 px face found once, weakly, after its track was lost, was left visible on
    # the frames before that hit when small tracks lost the extension too.
    tracker = Tracker()
    tracker.update(0, [])
    tracker.update(8, [direct(SMALL, 0.23)])
    tracker.update(16, [])
    (track, frames), *_ = drafted(tracker, 30)
    assert not track.weak(tracker.settings)
    assert frames[0][0] == 1 and frames[-1][0] == 15


def test_one_sure_hit_or_repeated_weak_hits_keep_the_extension() -> None:
    settings = TrackerSettings()
    sure = Tracker(settings)
    sure.update(0, [])
    sure.update(8, [direct(LARGE, settings.extend_score)])
    sure.update(16, [])
    frames = drafted(sure, 30)[0][1]
    assert frames[0][0] == 1 and frames[-1][0] == 15

    again = Tracker(settings)
    again.update(0, [])
    hits = list(range(8, 8 + 2 * settings.extend_min_hits, 2))
    for frame in hits:
        again.update(frame, [direct(LARGE, 0.22)], searched=None if frame == 8 else {1})
    again.update(24, [])
    (track, frames), *_ = drafted(again, 30)
    assert not track.weak(settings) and len(track.hits) == settings.extend_min_hits
    assert frames[0][0] == 1 and frames[-1][0] == 23
