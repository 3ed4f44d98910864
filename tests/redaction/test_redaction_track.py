"""Tracking and the plan as data."""

from __future__ import annotations

import json

import pytest

from sunlight.redaction.plan import Plan, PlanError, PlanTrack, Reason, load_plan, parse_plan
from sunlight.redaction.track import Tracker, box_at, keyframes

FACE = (100.0, 100.0, 140.0, 150.0, 0.9)


def covers(outer: tuple[float, ...] | None, inner: tuple[float, ...]) -> bool:
    return (
        outer is not None
        and outer[0] <= inner[0]
        and outer[1] <= inner[1]
        and outer[2] >= inner[2]
        and outer[3] >= inner[3]
    )


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
