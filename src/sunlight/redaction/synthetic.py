"""Synthetic evaluation clips: real faces that ship in packages, composited onto moving
real backgrounds, with ground-truth face boxes known by construction.

No face dataset with ground truth ships here, so tests and the benchmark build clips at
run time from scikit-image's astronaut (Eileen Collins, public domain) and its LFW subset
(25x25 grey face crops), pasted with feathered edges onto panning backgrounds, moving and
scaling, with the hard cases body-camera footage has: motion blur, fast motion, partial
occlusion and (approximated by horizontal foreshortening) turned heads.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]

# Face box inside skimage.data.astronaut() (x1, y1, x2, y2): forehead to chin, ear to ear,
# measured once on the 512x512 original.
ASTRONAUT_FACE = (181, 58, 270, 178)
ASTRONAUT_CROP = (130, 10, 320, 230)  # patch pasted into clips: face plus hair and neck


@dataclass
class Face:
    """One face's life in a clip: where it is and how it looks on each frame."""

    source: int  # index into the face library
    start: int
    end: int
    x0: float
    y0: float
    vx: float  # px per frame
    vy: float
    size0: float  # face box width in px at start
    size1: float  # ... and at end
    blur: bool = False
    profile: bool = False
    occlude: tuple[int, int] | None = None  # frame range with a bar over half the face
    wobble: float = 0.0  # amplitude of a sideways sway (px), for non-linear motion

    def state(self, frame: int) -> tuple[float, float, float] | None:
        if not self.start <= frame < self.end:
            return None
        t = frame - self.start
        u = t / max(1, self.end - self.start - 1)
        size = self.size0 + (self.size1 - self.size0) * u
        x = self.x0 + self.vx * t + self.wobble * math.sin(t / 4)
        y = self.y0 + self.vy * t
        return x, y, size


@dataclass
class FaceImage:
    rgb: Image
    box: tuple[float, float, float, float]  # face box within rgb


def face_library() -> list[FaceImage]:
    from skimage import data

    astro = np.asarray(data.astronaut(), dtype=np.uint8)  # type: ignore[no-untyped-call]
    x1, y1, x2, y2 = ASTRONAUT_CROP
    fx1, fy1, fx2, fy2 = ASTRONAUT_FACE
    crop = astro[y1:y2, x1:x2].copy()
    box = (fx1 - x1, fy1 - y1, fx2 - x1, fy2 - y1)
    faces = [
        FaceImage(crop, box),
        FaceImage(
            crop[:, ::-1].copy(), (crop.shape[1] - box[2], box[1], crop.shape[1] - box[0], box[3])
        ),
        FaceImage(np.clip(crop.astype(np.int16) - 60, 0, 255).astype(np.uint8), box),
    ]
    lfw = np.asarray(data.lfw_subset())[:100]  # type: ignore[no-untyped-call]  # the first 100 are faces
    for grey in lfw[::10]:
        patch = (np.asarray(grey, dtype=np.float32) * 255).clip(0, 255).astype(np.uint8)
        rgb = np.repeat(patch[:, :, None], 3, axis=2)
        faces.append(FaceImage(rgb, (2.0, 2.0, 23.0, 23.0)))
    return faces


def _resize(image: Image, width: int, height: int) -> Image:
    import cv2

    interp = cv2.INTER_AREA if width < image.shape[1] else cv2.INTER_LINEAR
    return np.asarray(cv2.resize(image, (width, height), interpolation=interp), dtype=np.uint8)


def _background(width: int, height: int, seed: int) -> Image:
    from skimage import data

    makers = (data.coffee, data.rocket, data.chelsea, data.hubble_deep_field)
    tiles = [np.asarray(make(), dtype=np.uint8) for make in makers]  # type: ignore[no-untyped-call]
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(tiles))
    th, tw = height, width
    big = np.zeros((th * 2, tw * 2, 3), dtype=np.uint8)
    for k, (yy, xx) in enumerate([(0, 0), (0, tw), (th, 0), (th, tw)]):
        big[yy : yy + th, xx : xx + tw] = _resize(tiles[order[k]], tw, th)
    return big


def _feather(height: int, width: int) -> npt.NDArray[np.float32]:
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    dy = (yy + 0.5 - height / 2) / (height / 2)
    dx = (xx + 0.5 - width / 2) / (width / 2)
    r = np.sqrt(dx * dx + dy * dy)
    alpha: npt.NDArray[np.float32] = np.clip((1.0 - r) / 0.25, 0.0, 1.0)[:, :, None]
    return alpha


def _motion_blur(image: Image, dx: float, dy: float) -> Image:
    import cv2

    length = max(3, int(math.hypot(dx, dy)))
    kernel = np.zeros((length, length), dtype=np.float32)
    c = length // 2
    angle = math.atan2(dy, dx)
    for i in range(length):
        t = i - c
        x = round(c + t * math.cos(angle))
        y = round(c + t * math.sin(angle))
        kernel[y, x] = 1.0
    kernel /= kernel.sum()
    return np.asarray(cv2.filter2D(image, -1, kernel), dtype=np.uint8)


@dataclass
class Clip:
    width: int
    height: int
    frames: int
    fps: int
    faces: list[Face] = field(default_factory=list)
    seed: int = 0


def default_clip(width: int, height: int, frames: int, seed: int = 0) -> Clip:
    """Faces from 12 to ~340 px wide, some fast, blurred, occluded or in profile."""
    s = width / 1920
    n = frames
    faces = [
        Face(0, 0, n, 200 * s, 300 * s, 1.5 * s, 0.3 * s, 300 * s, 180 * s),
        Face(1, n // 6, n, 1500 * s, 200 * s, -2.0 * s, 0.5 * s, 90 * s, 120 * s, wobble=20 * s),
        Face(
            2,
            0,
            n * 2 // 3,
            900 * s,
            600 * s,
            0.6 * s,
            -0.4 * s,
            48 * s,
            40 * s,
            occlude=(n // 4, n // 2),
        ),
        Face(0, n // 3, n, 100 * s, 700 * s, 14.0 * s, -1.0 * s, 70 * s, 70 * s, blur=True),
        Face(1, 0, n, 1200 * s, 750 * s, 0.0, 0.0, 60 * s, 64 * s, profile=True),
        Face(3, 0, n, 600 * s, 150 * s, 0.5 * s, 0.2 * s, 26 * s, 30 * s),
        Face(5, 0, n, 1650 * s, 900 * s, -0.5 * s, -0.3 * s, 20 * s, 18 * s),
        Face(7, n // 4, n, 300 * s, 900 * s, 1.0 * s, 0.0, 14 * s, 12 * s),
        Face(
            0,
            0,
            n,
            1700 * s,
            500 * s,
            -6.0 * s,
            2.0 * s,
            130 * s,
            150 * s,
            blur=True,
            wobble=40 * s,
        ),
        Face(9, 0, n // 2, 1000 * s, 100 * s, 1.0 * s, 1.0 * s, 36 * s, 36 * s),
    ]
    return Clip(width, height, frames, 30, faces, seed)


GroundTruth = list[list[tuple[int, tuple[float, float, float, float]]]]  # per frame: (face, box)


def _frames(
    clip: Clip,
) -> Iterator[tuple[Image, list[tuple[int, tuple[float, float, float, float]]]]]:
    library = face_library()
    big = _background(clip.width, clip.height, clip.seed)
    for index in range(clip.frames):
        # The camera pans: a slow diagonal drift with a faster sweep in the middle third.
        fast = clip.frames // 3 <= index < 2 * clip.frames // 3
        ox = int((index * (9 if fast else 2)) % clip.width)
        oy = int((index * 1) % clip.height)
        frame = big[oy : oy + clip.height, ox : ox + clip.width].copy()
        truth: list[tuple[int, tuple[float, float, float, float]]] = []
        for fid, face in enumerate(clip.faces):
            st = face.state(index)
            if st is None:
                continue
            x, y, size = st
            src = library[face.source % len(library)]
            bx1, by1, bx2, by2 = src.box
            k = size / (bx2 - bx1)
            sx = k * (0.55 if face.profile else 1.0)
            pw = max(4, int(src.rgb.shape[1] * sx))
            ph = max(4, int(src.rgb.shape[0] * k))
            patch = _resize(src.rgb, pw, ph)
            if face.blur:
                patch = _motion_blur(patch, face.vx * 2 + 1, face.vy * 2)
            alpha = _feather(ph, pw)
            x0, y0 = int(x), int(y)
            fx1, fy1 = x0 + bx1 * sx, y0 + by1 * k
            fx2, fy2 = x0 + bx2 * sx, y0 + by2 * k
            cx1, cy1 = max(0, x0), max(0, y0)
            cx2, cy2 = min(clip.width, x0 + pw), min(clip.height, y0 + ph)
            if cx2 <= cx1 or cy2 <= cy1:
                continue
            region = frame[cy1:cy2, cx1:cx2].astype(np.float32)
            p = patch[cy1 - y0 : cy2 - y0, cx1 - x0 : cx2 - x0].astype(np.float32)
            a = alpha[cy1 - y0 : cy2 - y0, cx1 - x0 : cx2 - x0]
            frame[cy1:cy2, cx1:cx2] = (region * (1 - a) + p * a).astype(np.uint8)
            if face.occlude and face.occlude[0] <= index < face.occlude[1]:
                # A bar (a door frame, an arm) over the lower half of the face.
                oy1 = int(fy1 + (fy2 - fy1) * 0.5)
                frame[
                    max(0, oy1) : max(0, int(fy2) + 2), max(0, int(fx1) - 4) : max(0, int(fx2) + 4)
                ] = (60, 60, 70)
            gx1, gy1 = max(0.0, fx1), max(0.0, fy1)
            gx2, gy2 = min(float(clip.width), fx2), min(float(clip.height), fy2)
            full = (fx2 - fx1) * (fy2 - fy1)
            # A face mostly outside the picture has no ground truth on that frame.
            if gx2 > gx1 and gy2 > gy1 and (gx2 - gx1) * (gy2 - gy1) >= 0.6 * full:
                truth.append((fid, (gx1, gy1, gx2, gy2)))
        yield frame, truth


def write_clip(clip: Clip, path: Path, *, audio: bool = True, crf: int = 18) -> GroundTruth:
    """Encode the clip (H.264/AAC MP4, with a tone as audio) and return its ground truth."""
    return write_clips([clip], path, audio=audio, crf=crf)


def write_clips(clips: list[Clip], path: Path, *, audio: bool = True, crf: int = 18) -> GroundTruth:
    """Several clips of one size and rate back to back in one file (a long recording
    whose scenes change): one ground truth, frames numbered from the start of the file."""
    first = clips[0]
    truth: GroundTruth = []
    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        vs = out.add_stream("libx264", rate=first.fps)
        vs.width, vs.height, vs.pix_fmt = first.width, first.height, "yuv420p"
        vs.options = {"preset": "ultrafast", "crf": str(crf)}
        ast = out.add_stream("aac", rate=16000) if audio else None
        if ast is not None:
            ast.layout = "mono"
        samples_per_frame = 16000 // first.fps
        index = 0
        for scene, clip in enumerate(clips):
            for image, gt in _frames(clip):
                # Each scene's faces are other people: their ids must not repeat.
                truth.append([(fid + 1000 * scene, box) for fid, box in gt])
                vf = av.VideoFrame.from_ndarray(image, format="rgb24")
                vf.pts = index
                vf.time_base = Fraction(1, first.fps)
                out.mux(vs.encode(vf))
                if ast is not None:
                    t = (index * samples_per_frame + np.arange(samples_per_frame)) / 16000
                    tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None, :]
                    af = av.AudioFrame.from_ndarray(tone, format="flt", layout="mono")
                    af.sample_rate = 16000
                    af.pts = index * samples_per_frame
                    out.mux(ast.encode(af))
                index += 1
        out.mux(vs.encode(None))
        if ast is not None:
            out.mux(ast.encode(None))
    return truth
