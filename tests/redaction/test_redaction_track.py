"""Tracking and the plan as data."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from sunlight.redaction.plan import Plan, PlanError, PlanTrack, Reason, load_plan, parse_plan
from sunlight.redaction.track import Tracker, box_at, covered_by, drop_covered, keyframes
from tests.redaction.support import covers

FACE = (100.0, 100.0, 140.0, 150.0, 0.9)


def test_tracking_fills_a_one_frame_detection_gap() -> None:
    tracker = Tracker()
    for frame in range(6):
        moved = (FACE[0] + 3 * frame, FACE[1], FACE[2] + 3 * frame, FACE[3], FACE[4])
        tracker.update(frame, [] if frame == 3 else [moved])
    tracks = tracker.finish(5)
    assert len(tracks) == 1, "one face, one track: the miss must not split it"
    frames = keyframes(tracks[0], 640, 360)
    for frame in range(6):
        truth = (FACE[0] + 3 * frame, FACE[1], FACE[2] + 3 * frame, FACE[3])
        assert covers(box_at(frames, frame), truth), f"face left visible on frame {frame}"


def test_a_track_is_extended_back_and_forward_to_the_neighbouring_runs() -> None:
    tracker = Tracker()
    tracker.update(0, [])
    tracker.update(6, [FACE])  # first seen at the run on frame 6
    tracker.update(12, [FACE])
    tracker.update(18, [])  # gone by the run on frame 18
    frames = keyframes(tracker.finish(30)[0], 640, 360)
    assert frames[0][0] == 1 and frames[-1][0] == 17


def test_two_faces_make_two_tracks_and_separate_faces_do_not_merge() -> None:
    other = (400.0, 100.0, 440.0, 150.0, 0.8)
    tracker = Tracker()
    for frame in range(0, 30, 6):
        tracker.update(frame, [FACE, other])
    assert len(tracker.finish(29)) == 2


def test_a_partial_box_between_full_ones_does_not_uncover_the_face() -> None:
    """The detector sometimes boxes only part of a face (here its upper half) on one run
    between two full boxes. The box on that frame, and the boxes interpolated towards it,
    must still cover the whole face: a hit's box also covers its neighbours' boxes moved
    onto its centre."""
    face = (900.0, 400.0, 933.0, 482.0)  # 33 x 82 px, standing still
    upper_half = (900.0, 400.0, 933.0, 441.0)
    tracker = Tracker()
    for frame in range(0, 25, 3):
        tracker.update(frame, [(*(upper_half if frame == 12 else face), 0.8)])
    tracks = tracker.finish(24)
    assert len(tracks) == 1, "the partial box belongs to the face's track"
    assert tracks[0].hits[4].box == upper_half
    frames = keyframes(tracks[0], 1920, 1080)
    assert covers(box_at(frames, 12), face), "the face is half visible on the partial frame"
    for frame in range(25):
        assert covers(box_at(frames, frame), face), f"face left visible on frame {frame}"


def _plan() -> Plan:
    return Plan(
        recording_sha256="a" * 64,
        width=640,
        height=360,
        fps=15.0,
        frame_count=30,
        tracks=[PlanTrack("t1", [(0, (10.0, 10.0, 50.0, 60.0)), (29, (20.0, 10.0, 60.0, 60.0))])],
    )


def test_plan_round_trips_and_its_hash_is_stable() -> None:
    plan = _plan()
    again = load_plan(plan.canonical())
    assert again.to_dict() == plan.to_dict()
    assert again.sha256() == plan.sha256()
    assert json.loads(plan.canonical())["tracks"][0]["reason"]["statute"] == "RSMo 610.024"
    plan.tracks[0].keep_visible = True
    assert plan.sha256() != again.sha256()
    assert plan.boxes_at(5) == []  # keep-visible tracks are not redacted


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["tracks"][0]["reason"].update(statute="none"), "statute"),
        (lambda d: d["tracks"][0].update(keyframes=[[5, 1, 1, 2, 2], [4, 1, 1, 2, 2]]), "increase"),
        (lambda d: d["tracks"][0].update(keyframes=[[0, 700, 10, 800, 20]]), "outside"),
        (lambda d: d.update(audio_mutes=[{"start_s": 2, "end_s": 1, "reason": {}}]), "start_s"),
        (lambda d: d.update(recording_sha256="xyz"), "recording_sha256"),
    ],
)
def test_invalid_plans_are_refused_with_a_reason(change, message) -> None:  # type: ignore[no-untyped-def]
    document = _plan().to_dict()
    change(document)
    with pytest.raises(PlanError, match=message):
        parse_plan(document)


def test_every_redaction_carries_a_reason_citing_a_statute() -> None:
    document = _plan().to_dict()
    document["audio_mutes"] = [
        {"start_s": 1.0, "end_s": 2.0, "reason": Reason("RSMo 610.100", "minor's name").to_dict()}
    ]
    plan = parse_plan(document)
    assert plan.audio_mutes[0].reason.statute == "RSMo 610.100"


# --- no detection is ever dropped (issue 12) ------------------------------------------------

Face = tuple[float, float, float, float]


def _plan_boxes(
    tracker: Tracker, last: int, width: int = 1920, height: int = 1080
) -> tuple[list[list[tuple[int, Face]]], Callable[[int], list[Face]]]:
    tracks = tracker.finish(last)
    kfs = [keyframes(t, width, height) for t in tracks]
    kept = [kfs[i] for i in drop_covered(kfs)]
    return kept, lambda frame: [b for k in kept if (b := box_at(k, frame)) is not None]


def _covered_on(boxes: list[tuple[float, float, float, float]], face: Face) -> bool:
    return any(covers(b, face) for b in boxes)


def test_a_face_inside_a_larger_neighbours_box_keeps_its_own_track() -> None:
    """The frame-56 case: a small face first detected 0.92 inside a larger neighbour's
    predicted box was dropped as a duplicate; when it moved out, nothing covered it."""

    def big(f: int) -> Face:
        return (800.0 + f, 300.0, 1000.0 + f, 520.0)

    def small(f: int) -> Face:
        # Inside the big face's box until frame 60, then it leaves it fast.
        dx = f - max(0, f - 60) * 10
        return (880.0 + dx, 380.0, 940.0 + dx, 450.0)

    tracker = Tracker()
    runs = list(range(0, 100, 4))
    for frame in runs:
        dets = [(*big(frame), 0.95)]
        if frame >= 56:
            dets.append((*small(frame), 0.9))
        tracker.update(frame, dets)
    kept, boxes_at = _plan_boxes(tracker, 99)
    assert len(kept) == 2, "two people, two tracks"
    for frame in range(56, 100):
        assert _covered_on(boxes_at(frame), small(frame)), f"small face visible on {frame}"
        assert _covered_on(boxes_at(frame), big(frame)), f"large face visible on {frame}"


def _crowd(frame: int) -> list[Face]:
    """Eight faces in two rows walking past each other (boxes overlap when they cross),
    with sizes from 28 to 120 px; one small face passes right through a big one."""
    faces: list[Face] = []
    for i in range(4):
        size = 40.0 + 25 * i
        x = 200.0 + 300 * i + 9 * frame
        faces.append((x, 400.0, x + size, 400.0 + size * 1.2))
        x2 = 1500.0 - 300 * i - 11 * frame
        y2 = 420.0 + 10 * i
        small = 28.0 + 6 * i
        faces.append((x2, y2, x2 + small, y2 + small * 1.2))
    # Only what is inside the picture: faces walk out of it at the sides.
    clipped = [(max(0.0, f[0]), f[1], min(1920.0, f[2]), f[3]) for f in faces]
    return [f for f in clipped if f[2] - f[0] >= 8]


def test_a_crowd_of_crossing_faces_never_leaves_a_detected_face_visible() -> None:
    tracker = Tracker()
    frames = 120
    runs = list(range(0, frames, 2))
    for frame in runs:
        tracker.update(frame, [(*f, 0.8) for f in _crowd(frame)])
    kept, boxes_at = _plan_boxes(tracker, frames - 1)
    assert len(kept) >= 8, "every face in the crowd keeps a track of its own"
    for frame in range(frames):
        boxes = boxes_at(frame)
        for n, face in enumerate(_crowd(frame)):
            assert _covered_on(boxes, face), f"face {n} visible on frame {frame}"


def test_nested_faces_both_stay_covered_while_they_separate() -> None:
    """A child's face in front of an adult's (fully nested boxes), then they part."""

    def adult(f: int) -> Face:
        return (600.0, 200.0, 840.0, 480.0)

    def child(f: int) -> Face:
        return (680.0 + 6 * f, 300.0, 740.0 + 6 * f, 370.0)

    tracker = Tracker()
    for frame in range(0, 60, 3):
        tracker.update(frame, [(*adult(frame), 0.9), (*child(frame), 0.7)])
    kept, boxes_at = _plan_boxes(tracker, 59)
    assert len(kept) == 2
    for frame in range(60):
        assert _covered_on(boxes_at(frame), child(frame)), f"child visible on {frame}"
        assert _covered_on(boxes_at(frame), adult(frame))


def test_a_region_run_that_finds_a_neighbour_starts_a_track_for_it() -> None:
    known = (500.0, 300.0, 580.0, 400.0)
    neighbour = (600.0, 310.0, 670.0, 400.0)
    tracker = Tracker()
    tracker.update(0, [(*known, 0.9)])
    ids = {tid for tid, _ in tracker.predictions(2)}
    tracker.update(2, [(*known, 0.9), (*neighbour, 0.8)], searched=ids)
    tracker.update(4, [(*known, 0.9), (*neighbour, 0.8)], searched=ids)
    _kept, boxes_at = _plan_boxes(tracker, 4)
    assert _covered_on(boxes_at(2), neighbour) and _covered_on(boxes_at(4), neighbour)


def test_a_second_response_inside_the_same_face_adds_no_track() -> None:
    """Covered duplicates are folded: the plan stays one box per face for the reviewer."""
    face = (400.0, 200.0, 520.0, 350.0)
    part = (430.0, 240.0, 480.0, 300.0)  # e.g. the eyes and nose, scored separately
    tracker = Tracker()
    for frame in range(0, 40, 4):
        tracker.update(frame, [(*face, 0.9)] + ([(*part, 0.3)] if frame in (8, 12) else []))
    kept, boxes_at = _plan_boxes(tracker, 39)
    assert len(kept) == 1
    assert _covered_on(boxes_at(8), part) and _covered_on(boxes_at(12), part)


def test_covered_by_checks_every_frame_of_the_span() -> None:
    outer = [(0, (0.0, 0.0, 100.0, 100.0)), (10, (0.0, 0.0, 100.0, 100.0))]
    inside = [(2, (10.0, 10.0, 50.0, 50.0)), (8, (40.0, 40.0, 90.0, 90.0))]
    leaves = [(2, (10.0, 10.0, 50.0, 50.0)), (8, (80.0, 40.0, 130.0, 90.0))]
    longer = [(2, (10.0, 10.0, 50.0, 50.0)), (12, (10.0, 10.0, 50.0, 50.0))]
    assert covered_by(inside, outer)
    assert not covered_by(leaves, outer)
    assert not covered_by(longer, outer), "a track outliving the other is never covered"


def test_check_these_lists_weak_abrupt_interrupted_and_small_faces() -> None:
    from sunlight.redaction.review import review_flags

    tracker = Tracker()
    steady = (0.0, 400.0, 80.0, 500.0)  # enters at the left edge, stays the whole clip
    sudden = (900.0, 400.0, 980.0, 500.0)  # appears and vanishes mid-picture
    tiny = (1500.0, 300.0, 1518.0, 320.0)
    for frame in range(0, 120, 8):
        dets = [(*steady, 0.9), (*tiny, 0.25)]
        if 40 <= frame <= 64 and frame not in (48, 56):
            dets.append((*sudden, 0.8))
        tracker.update(frame, dets)
    tracks = tracker.finish(119)
    named = [(f"t{i}", t, keyframes(t, 1920, 1080)) for i, t in enumerate(tracks, 1)]
    flags = review_flags(named, width=1920, height=1080, frame_count=120)
    by_track: dict[str, set[str]] = {}
    for f in flags:
        by_track.setdefault(f["track"], set()).add(f["kind"])
    ids = {t.hits[0].box[0]: tid for tid, t, _ in named}
    assert by_track.get(ids[0.0], set()) == set(), "a steady face at the edge needs no look"
    assert by_track[ids[900.0]] >= {"start", "end", "gap"}
    assert by_track[ids[1500.0]] >= {"weak", "small"}
    start = next(f for f in flags if f["track"] == ids[900.0] and f["kind"] == "start")
    assert start["frame"] < 40 <= start["end_frame"]


def test_the_check_these_list_is_validated_with_the_plan() -> None:
    document = _plan().to_dict()
    assert "review" not in document, "plans without a list keep their old hash"
    document["review"] = [{"kind": "gap", "track": "t1", "frame": 3, "end_frame": 9, "note": "x"}]
    assert parse_plan(document).review == document["review"]
    document["review"] = [{"kind": "nonsense", "frame": 3}]
    with pytest.raises(PlanError, match="review"):
        parse_plan(document)
    document["review"] = [{"kind": "weak", "frame": -1}]
    with pytest.raises(PlanError, match="frame"):
        parse_plan(document)
