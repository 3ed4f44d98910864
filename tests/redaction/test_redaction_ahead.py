"""The look-ahead after a track's last hit ends where region runs kept missing the face
(issue 12: a face that left the picture at once was boxed on to the next whole-frame run)."""

from __future__ import annotations

from sunlight.redaction.track import Tracker, keyframes

W, H = 1920, 1080


def face(x: float, y: float, size: float, score: float = 0.6) -> tuple[float, ...]:
    return (x, y, x + size, y + size, score)


def run(size: float, regions: list[int], found_again: int | None = None) -> list[int]:
    """Whole-frame runs at 0, 8, 16 and 24, region runs at 2, 4, 6, 10, 12 and at
    ``regions``; the face (moving 2 px a frame) is found on every run up to frame 12 and
    at ``found_again``, missed on the others. Returns the frames its track covers."""
    tracker = Tracker()
    for frame in sorted({0, 2, 4, 6, 8, 10, 12, 16, 24, *regions}):
        found = frame <= 12 or frame == found_again
        dets = [face(600 + 2 * frame, 400, size)] if found else []
        if frame % 8 == 0:
            tracker.update(frame, dets)
        else:
            tracker.update(frame, dets, searched={1})
    tracks = tracker.finish(30)
    assert len(tracks) == 1
    kfs = keyframes(tracks[0], W, H)
    return list(range(kfs[0][0], kfs[-1][0] + 1))


def test_two_region_misses_in_a_row_end_the_look_ahead_at_the_first() -> None:
    # Found up to 12, missed by the regions at 13 and 14: covered to 12, not on to 15
    # (the frame before the whole-frame run at 16).
    frames = run(40, regions=[13, 14])
    assert frames[-1] == 12, frames[-1]


def test_one_region_miss_alone_does_not_end_it() -> None:
    # Missed by the region run at 14 only, then by the whole-frame run at 16: covered
    # to 15, as before.
    frames = run(40, regions=[14])
    assert frames[-1] == 15, frames[-1]


def test_small_faces_keep_the_look_ahead_to_the_next_whole_frame_run() -> None:
    # A small face fades under the bar in region runs and comes back: under 24 px the
    # look-ahead still runs to the whole-frame run that misses it.
    frames = run(18, regions=[13, 14])
    assert frames[-1] == 15, frames[-1]


def test_a_face_found_again_after_region_misses_is_covered_throughout() -> None:
    # Missed by the regions at 13 and 14 and by the whole-frame run at 16, found again
    # by the region run at 20: the gap is bridged, nothing is left visible.
    frames = run(40, regions=[13, 14, 20], found_again=20)
    assert frames == list(range(frames[0], frames[-1] + 1))
    assert frames[0] == 0 and frames[-1] >= 20
