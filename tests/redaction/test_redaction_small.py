"""The small-face pass: enlarged tiles and weak small candidates find faces the whole-frame
run cannot, and a second look only ever adds to what the first found."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from scipy import ndimage  # type: ignore[import-untyped]

from sunlight.redaction.analyze import (
    Schedule,
    add_new,
    analyze,
    missed_small,
    small_face_tiles,
)
from sunlight.redaction.synthetic import Clip, Face, GroundTruth, write_clip

Boxes = npt.NDArray[np.float32]


class SquareDetector:
    """A stand-in for a network with a minimum face size: it "detects" bright squares
    (a white patch on a dark picture) only when they are at least ``min_side`` px in the
    image it is given, as CenterFace misses faces much under 32 px. The tiny square is
    therefore found only in an enlarged image."""

    name = "squares"
    backend = "test"
    threshold = 0.2

    def __init__(self, min_side: float = 40.0) -> None:
        self.min_side = min_side
        self.calls: list[tuple[int, int]] = []

    def detect(self, image: npt.NDArray[np.uint8], threshold: float | None = None) -> Boxes:
        self.calls.append(image.shape[:2])
        labels, _count = ndimage.label(image.mean(axis=2) > 200)
        out = []
        for where in ndimage.find_objects(labels):
            if where is None:
                continue
            h = where[0].stop - where[0].start
            w = where[1].stop - where[1].start
            if min(h, w) >= self.min_side:
                out.append([where[1].start, where[0].start, where[1].stop, where[0].stop, 0.9])
        return np.asarray(out, dtype=np.float32).reshape(-1, 5)


def squares_clip(path: Path, squares: list[tuple[int, int, int]], frames: int = 12) -> None:
    """A dark 960x540 clip with still white squares (x, y, side) on every frame."""
    import av

    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=15)
        stream.width, stream.height, stream.pix_fmt = 960, 540, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "10"}
        image = np.full((540, 960, 3), 20, dtype=np.uint8)
        for x, y, side in squares:
            image[y : y + side, x : x + side] = 255
        for index in range(frames):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = index
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def covered(plan_boxes: list[tuple[float, float, float, float]], x: int, y: int, side: int) -> bool:
    return any(
        b[0] <= x and b[1] <= y and b[2] >= x + side and b[3] >= y + side for b in plan_boxes
    )


def test_a_small_face_only_the_enlarged_pass_finds_is_redacted_on_every_frame(
    tmp_path: Path,
) -> None:
    clip = tmp_path / "small.mp4"
    small, large = (700, 400, 18), (100, 100, 80)  # 18 px: under the 40 px the detector needs
    squares_clip(clip, [small, large])
    detector = SquareDetector()
    plan = analyze(clip, recording_sha256="0" * 64, detector=detector)
    for frame in range(plan.frame_count):
        boxes = plan.boxes_at(frame)
        assert covered(boxes, *large), f"the large square is visible on frame {frame}"
        assert covered(boxes, *small), f"the small square is visible on frame {frame}"
    assert (544, 960) in detector.calls, "the enlarged tiles ran at the whole-frame size"

    # Without the second pass the detector never sees it: it is the pass that finds it.
    off = Schedule(small_every=0)
    plan = analyze(clip, recording_sha256="0" * 64, detector=SquareDetector(), schedule=off)
    assert not any(covered(plan.boxes_at(f), *small) for f in range(plan.frame_count))
    assert all(covered(plan.boxes_at(f), *large) for f in range(plan.frame_count))


def test_the_second_look_never_drops_or_moves_a_detection() -> None:
    found = np.asarray([[100, 100, 200, 220, 0.9], [400, 50, 430, 85, 0.25]], dtype=np.float32)
    extra = np.asarray(
        [
            [110, 120, 130, 140, 0.95],  # inside the first face's box: already redacted
            [405, 55, 425, 80, 0.99],  # the second face again, surer: the first box stays
            [600, 300, 622, 324, 0.3],  # new
            [603, 302, 623, 325, 0.28],  # the same new face again
        ],
        dtype=np.float32,
    )
    merged = add_new(found, extra)
    np.testing.assert_array_equal(merged[:2], found)
    assert merged.shape == (3, 5)
    np.testing.assert_array_equal(merged[2], extra[2])
    assert add_new(found, np.empty((0, 5), dtype=np.float32)) is found


@pytest.mark.parametrize(("width", "height"), [(1920, 1088), (960, 544), (1280, 736)])
def test_the_tiles_cover_the_frame_with_overlapping_seams(width: int, height: int) -> None:
    tiles = small_face_tiles(width, height, 3)
    assert len(tiles) == 9
    seen = np.zeros((height, width), dtype=bool)
    for x1, y1, x2, y2 in tiles:
        assert 0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height
        seen[y1:y2, x1:x2] = True
        # Each tile is enlarged to the frame's size: about 3x for a 3x3 grid.
        assert 2.5 < width / (x2 - x1) <= 3.0
    assert seen.all(), "every pixel lies in some tile"
    # A face of up to 48 px on a seam lies whole inside one tile.
    xs = sorted({t[0] for t in tiles})
    ends = sorted({t[2] for t in tiles})
    assert all(e - s >= 48 for s, e in zip(xs[1:], ends[:-1], strict=False))


def real_small_face_clip(path: Path) -> GroundTruth:
    """960x540: a 22 px real face (the LFW subset) and a large one, slowly drifting."""
    clip = Clip(
        960,
        540,
        24,
        15,
        [
            Face(3, 0, 24, 520, 300, 0.3, 0.1, 22, 22),
            Face(0, 0, 24, 60, 60, 0.5, 0.0, 150, 150),
        ],
        seed=7,
    )
    return write_clip(clip, path, audio=False)


def test_a_real_22_px_face_is_found_by_the_small_face_pass(tmp_path: Path) -> None:
    clip = tmp_path / "real.mp4"
    truth = real_small_face_clip(clip)
    plan = analyze(clip, recording_sha256="0" * 64)
    off = analyze(
        clip,
        recording_sha256="0" * 64,
        schedule=Schedule(small_every=0, small_propose_full=Schedule().propose_threshold),
    )

    def small_covered(p: object) -> int:
        hits = 0
        for frame, faces in enumerate(truth):
            for fid, (x1, y1, x2, y2) in faces:
                if fid != 0:
                    continue
                hits += any(
                    b[0] <= x1 + 2 and b[1] <= y1 + 2 and b[2] >= x2 - 2 and b[3] >= y2 - 2
                    for b in p.boxes_at(frame)  # type: ignore[attr-defined]
                )
        return hits

    frames = sum(1 for faces in truth for fid, _ in faces if fid == 0)
    assert small_covered(plan) == frames, "the 22 px face is hidden on every frame"
    assert small_covered(off) < frames


def test_a_lost_large_track_does_not_take_a_small_detection_far_away() -> None:
    from sunlight.redaction.track import Tracker

    tracker = Tracker()
    tracker.update(0, [[100, 100, 200, 200, 0.9]])
    tracker.update(8, [[104, 100, 204, 200, 0.9]])
    # The face is gone (a cut); a 16 px face appears nearby in the new scene.
    for frame in (16, 24, 32):
        tracker.update(frame, [[230, 60, 246, 76, 0.3]])
    tracks = tracker.finish(40)
    big = [t for t in tracks if t.hits[0].box[2] - t.hits[0].box[0] > 50]
    assert len(big) == 1 and all(h.box[2] - h.box[0] > 50 for h in big[0].hits)
    assert len(tracks) == 2, "the small face has a track of its own"


def test_a_large_box_over_a_small_face_does_not_count_as_finding_it() -> None:
    predictions = [
        (1, (650.0, 170.0, 678.0, 198.0)),  # a 28 px face
        (2, (100.0, 100.0, 126.0, 126.0)),  # a 26 px face found again
        (3, (300.0, 300.0, 400.0, 400.0)),  # too large for a second look
    ]
    found = np.asarray(
        [
            [674, 7, 1676, 1080, 0.3],  # a 1000 px box whose edge crosses face 1
            [101, 99, 128, 127, 0.8],  # face 2 itself
        ],
        dtype=np.float32,
    )
    lost = missed_small(predictions, found, max_face=60, max_ratio=3.0)
    assert [tid for tid, _box in lost] == [1], "face 1 still gets its second look"
    assert missed_small(predictions, found[:0], max_face=60, max_ratio=3.0) == predictions[:2]
