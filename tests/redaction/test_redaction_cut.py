"""A cut: a track of the old scene never takes a face of the new one (issue 12)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sunlight.redaction.track import Tracker, keyframes

W, H = 1920, 1080


def face(x: float, y: float, size: float, score: float = 0.9) -> tuple[float, ...]:
    return (x, y, x + size, y + size, score)


def scenes(cut: bool) -> list[tuple[int, int]]:
    """Whole-frame runs every 8 frames; a 100 px face found at 0..16 and missed at 24
    (a miss widens the ordinary rule's reach), then a cut before frame 25: the new
    scene has another, 60 px face, its centre 150 px to the right, found at 25 and 33. Returns
    every track's keyframe span."""
    tracker = Tracker()
    for frame in (0, 8, 16):
        tracker.update(frame, [face(1000, 500, 100)])
    tracker.update(24, [])
    tracker.update(25, [face(1170, 520, 60)], cut=cut)
    tracker.update(33, [face(1170, 520, 60)])
    spans = []
    for track in tracker.finish(40):
        kfs = keyframes(track, W, H)
        spans.append((kfs[0][0], kfs[-1][0]))
    return spans


def test_a_track_of_the_old_scene_does_not_take_a_face_after_a_cut() -> None:
    spans = scenes(cut=True)
    assert len(spans) == 2, spans
    for first, last in spans:
        assert last < 25 or first >= 25, f"a track spans the cut: {first}-{last}"


def test_without_a_cut_the_ordinary_rule_takes_the_face() -> None:
    # The ordinary rule (a face that moved 1.5 widths while missed once) is unchanged.
    assert any(first < 25 <= last for first, last in scenes(cut=False))


def test_the_same_face_still_in_view_after_a_cut_keeps_its_track() -> None:
    # A "cut" that is the lens uncovered, or a jump of the background alone: the face is
    # where it was heading, at its size.
    tracker = Tracker()
    for frame in (0, 8, 16, 24):
        tracker.update(frame, [face(1000 + frame, 500, 100)])
    tracker.update(25, [face(1026, 501, 96)], cut=True)
    tracker.update(33, [face(1034, 500, 100)])
    assert len(tracker.finish(40)) == 1


def test_analyze_tells_the_tracker_about_the_cut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sunlight.redaction import analyze as analysis
    from sunlight.redaction.synthetic import Clip, Face, write_clips

    scenes = [
        Clip(640, 360, 20, 15, [Face(0, 0, 20, 60, 60, 0.5, 0.0, 100, 100)], seed=1),
        Clip(640, 360, 20, 15, [Face(1, 0, 20, 440, 180, -0.5, 0.0, 90, 90)], seed=2),
    ]
    path = tmp_path / "cut.mp4"
    write_clips(scenes, path, audio=False)
    cuts: list[int] = []
    update = Tracker.update

    def spy(self: Tracker, frame: int, detections: object, **kwargs: object) -> None:
        if kwargs.get("cut"):
            cuts.append(frame)
        update(self, frame, detections, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(analysis.Tracker, "update", spy)
    analysis.analyze(path, recording_sha256="0" * 64)
    assert cuts == [20]


def test_a_face_found_after_a_cut_is_not_covered_back_into_the_old_scene() -> None:
    # The last whole-frame run was at 16; region runs followed, the last at 23, and the
    # cut is before 24: the new face's look-back reaches to the cut, not to 17.
    tracker = Tracker()
    tracker.update(16, [face(200, 200, 80)])
    tracker.update(23, [face(203, 200, 80)], searched={1})
    tracker.update(24, [face(1200, 600, 80)], cut=True)
    tracker.update(32, [face(1200, 600, 80)])
    new = [t for t in tracker.finish(40) if t.hits[0].frame == 24]
    assert len(new) == 1
    assert keyframes(new[0], W, H)[0][0] == 24
