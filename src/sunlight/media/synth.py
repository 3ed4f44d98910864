"""Generate realistic test and demo clips with PyAV alone (no ffmpeg binary, no numpy).

Clips show moving diagonal bands, a bouncing box, a frame counter drawn as
seven-segment digits and a progress bar, so a viewer can see playback advance
and tell clips apart. Audio is a tone with a short gap every second. The
``seed`` varies colours, motion and tone phase, so two seeds never produce
the same bytes. Damaged variants (truncated, zero-byte, mislabelled...) are
built from these clips for probe tests and demos.
"""

from __future__ import annotations

import array
import math
import random
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Literal

import av
from av.audio.stream import AudioStream
from av.video.frame import VideoFrame
from av.video.stream import VideoStream

from sunlight.media.probe import GPS
from sunlight.media.structure import iso_video_sample_entries, read_iso_layout

ContainerName = Literal["mp4", "mov", "mkv", "webm"]

_FORMATS: dict[str, str] = {"mp4": "mp4", "mov": "mov", "mkv": "matroska", "webm": "webm"}
# Encoder and options per codec name: settings chosen so tests stay fast while
# the stream structure (GOPs, B-frames for x264) stays like a real camera's.
_VIDEO_ENCODERS: dict[str, tuple[str, dict[str, str]]] = {
    "h264": ("libx264", {"preset": "veryfast"}),
    "hevc": ("libx265", {"preset": "ultrafast", "x265-params": "log-level=none"}),
    "vp9": ("libvpx-vp9", {"deadline": "realtime", "cpu-used": "8"}),
    "vp8": ("libvpx", {"deadline": "realtime", "cpu-used": "8"}),
    "mpeg2video": ("mpeg2video", {}),
    "mpeg4": ("mpeg4", {}),
}
_WEBM_VIDEO = frozenset({"vp8", "vp9", "av1"})
_SAMPLE_RATE = 48_000
_AUDIO_CHUNK = 1024

# Seven-segment layout: which segments (a-g) light for each digit.
_SEGMENTS = {
    "0": "abcdef",
    "1": "bc",
    "2": "abdeg",
    "3": "abcdg",
    "4": "bcfg",
    "5": "acdfg",
    "6": "acdefg",
    "7": "abc",
    "8": "abcdefg",
    "9": "abcdfg",
}

# Video-range luma levels: pictures use 16-235, so these read as black/white.
_BLACK = 16
_WHITE = 235
_NEUTRAL = 128


def format_iso6709(gps: GPS) -> str:
    """Format (lat, lon[, alt]) as ISO 6709, the form phones write ("+39.0997-094.5786/")."""
    lat, lon = gps[0], gps[1]
    text = f"{lat:+08.4f}{lon:+09.4f}"
    if len(gps) == 3:
        text += f"{gps[2]:+.3f}"
    return text + "/"


def format_creation_time(when: datetime) -> str:
    """The timestamp form FFmpeg itself writes, which its MP4/Matroska muxers parse."""
    if when.tzinfo is None:
        raise ValueError("creation_time must be timezone-aware")
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def make_clip(
    path: Path,
    *,
    seconds: float = 3.0,
    width: int = 320,
    height: int = 240,
    fps: int = 15,
    container: ContainerName = "mp4",
    video_codec: str = "h264",
    audio: bool = True,
    audio_codec: str | None = None,
    tone_hz: float = 440.0,
    creation_time: datetime | None = None,
    gps: GPS | None = None,
    faststart: bool = True,
    rotation: int = 0,
    seed: int = 0,
) -> Path:
    """Write a synthetic clip and return its path.

    ``creation_time`` (timezone-aware) and ``gps`` go into the container's
    ``creation_time`` and ``location`` (ISO 6709) tags, which ``probe`` reads
    back; MP4/MOV keep whole seconds only. ``rotation`` stores a
    counter-clockwise display rotation, as phones do for portrait video.
    ``faststart`` only matters for mp4/mov: False leaves the 'moov' index at
    the end, the way cameras write it while recording.
    """
    if container not in _FORMATS:
        raise ValueError(f"unsupported container {container!r}")
    if container == "webm" and video_codec not in _WEBM_VIDEO:
        raise ValueError(f"WebM cannot carry {video_codec}")
    if width % 2 or height % 2:
        raise ValueError("width and height must be even for 4:2:0 video")
    encoder, encoder_options = _VIDEO_ENCODERS.get(video_codec, (video_codec, {}))
    if audio_codec is None:
        audio_codec = "libopus" if container == "webm" else "aac"
    # bitexact: no random Matroska segment id and no wall-clock muxing date, so the same
    # arguments always give the same bytes (demo data and tests rely on stable hashes).
    options = {"fflags": "+bitexact"}
    if faststart and container in ("mp4", "mov"):
        options["movflags"] = "+faststart"

    frame_count = max(1, round(seconds * fps))
    painter = _Painter(width, height, frame_count, seed)
    tone = _Tone(tone_hz, seed)
    with av.open(str(path), "w", format=_FORMATS[container], options=options) as out:
        if creation_time is not None:
            out.metadata["creation_time"] = format_creation_time(creation_time)
        if gps is not None:
            out.metadata["location"] = format_iso6709(gps)
        video = out.add_stream(encoder, rate=fps, options=dict(encoder_options))
        if not isinstance(video, VideoStream):
            raise ValueError(f"{video_codec} is not a video codec")
        video.width = width
        video.height = height
        video.pix_fmt = "yuv420p"
        # Body cameras put a keyframe about every second; seeking relies on it.
        video.codec_context.gop_size = fps
        if rotation:
            video.set_display_rotation(rotation)
        sound: AudioStream | None = None
        resampler: av.AudioResampler | None = None
        if audio:
            stream = out.add_stream(audio_codec, rate=_SAMPLE_RATE, layout="mono")
            if not isinstance(stream, AudioStream):
                raise ValueError(f"{audio_codec} is not an audio codec")
            sound = stream
            # Encoders want their own sample format and exact frame sizes
            # (1024 for AAC, 960 for Opus); the resampler provides both.
            resampler = av.AudioResampler(
                format=sound.codec_context.format,
                layout="mono",
                rate=_SAMPLE_RATE,
                frame_size=sound.codec_context.frame_size or None,
            )
        samples_written = 0
        for index in range(frame_count):
            frame = painter.frame(index)
            frame.pts = index
            frame.time_base = Fraction(1, fps)
            out.mux(video.encode(frame))
            if sound is not None and resampler is not None:
                # Keep audio in step with video so the muxer can interleave as a
                # camera would, instead of buffering one whole track.
                due = round((index + 1) * _SAMPLE_RATE / fps)
                while samples_written < due:
                    count = min(_AUDIO_CHUNK, due - samples_written)
                    chunk = tone.frame(samples_written, count)
                    for resampled in resampler.resample(chunk):
                        out.mux(sound.encode(resampled))
                    samples_written += count
        out.mux(video.encode(None))
        if sound is not None and resampler is not None:
            for resampled in resampler.resample(None):
                out.mux(sound.encode(resampled))
            out.mux(sound.encode(None))
    return path


class _Tone:
    """A sine tone with a short gap at the start of every second."""

    def __init__(self, hz: float, seed: int) -> None:
        self.phase = random.Random(seed).random() * 2 * math.pi
        self.step = 2 * math.pi * hz / _SAMPLE_RATE

    def frame(self, start: int, count: int) -> av.AudioFrame:
        samples = array.array("h")
        for n in range(start, start + count):
            # A 50 ms gap every second makes elapsed time audible.
            silent = n % _SAMPLE_RATE < _SAMPLE_RATE // 20
            samples.append(0 if silent else int(9000 * math.sin(self.phase + self.step * n)))
        frame = av.AudioFrame(format="s16", layout="mono", samples=count)
        frame.planes[0].update(samples.tobytes())
        frame.sample_rate = _SAMPLE_RATE
        frame.pts = start
        frame.time_base = Fraction(1, _SAMPLE_RATE)
        return frame


class _Painter:
    """Draws frames straight into YUV 4:2:0 planes with byte-slice operations."""

    def __init__(self, width: int, height: int, frame_count: int, seed: int) -> None:
        rng = random.Random(seed)
        self.width = width
        self.height = height
        self.frame_count = frame_count
        # A triangle wave between black and white: smooth diagonal bands that
        # move by shifting where each row starts reading it.
        self.period = 2 * (_WHITE - _BLACK)
        self.wave = bytes(
            _WHITE - abs(i % self.period - (_WHITE - _BLACK)) for i in range(width + self.period)
        )
        self.phase = rng.randrange(self.period)
        self.speed = rng.randint(2, 6)
        self.chroma_base = (rng.randrange(80, 176), rng.randrange(80, 176))
        self.box_size = max(4, height // 5) // 2 * 2
        self.box_velocity = (rng.choice((-1, 1)) * rng.randint(2, 5), rng.randint(2, 5))
        self.box_origin = (rng.randrange(width), rng.randrange(height))
        self.box_chroma = (rng.randrange(16, 240), rng.randrange(16, 240))
        self.digit_height = max(10, height // 8) // 2 * 2
        self.stroke = max(2, self.digit_height // 6)

    def frame(self, index: int) -> VideoFrame:
        frame = VideoFrame(self.width, self.height, "yuv420p")
        luma = self._luma_background(frame.planes[0].line_size, index)
        stride_c = frame.planes[1].line_size
        u = self._chroma_background(stride_c, index, self.chroma_base[0])
        v = self._chroma_background(stride_c, index, self.chroma_base[1])
        planes = (luma, u, v)
        strides = (frame.planes[0].line_size, stride_c, stride_c)

        box_x = _bounce(
            self.box_origin[0] + self.box_velocity[0] * index, self.width - self.box_size
        )
        box_y = _bounce(
            self.box_origin[1] + self.box_velocity[1] * index, self.height - self.box_size
        )
        box = (box_x, box_y, box_x + self.box_size, box_y + self.box_size)
        self._fill(planes, strides, box, (_WHITE, *self.box_chroma))

        self._draw_counter(planes, strides, index)
        bar_height = max(2, self.height // 40) // 2 * 2
        bar_end = max(2, self.width * (index + 1) // self.frame_count)
        bar = (0, self.height - bar_height, bar_end, self.height)
        self._fill(planes, strides, bar, (_WHITE, _NEUTRAL, _NEUTRAL))

        for plane, data in zip(frame.planes, planes, strict=True):
            plane.update(bytes(data))
        return frame

    def _luma_background(self, stride: int, index: int) -> bytearray:
        pad = bytes(stride - self.width)
        shift = self.phase + self.speed * index
        rows = []
        for row in range(self.height):
            start = (shift + row) % self.period
            rows.append(self.wave[start : start + self.width] + pad)
        return bytearray(b"".join(rows))

    def _chroma_background(self, stride: int, index: int, base: int) -> bytearray:
        width, height = self.width // 2, self.height // 2
        pad = bytes(stride - width)
        rows = []
        for row in range(height):
            # Slow horizontal colour bands drifting down the picture.
            value = base + int(24 * math.sin((row + index) / 9))
            rows.append(bytes((value,)) * width + pad)
        return bytearray(b"".join(rows))

    def _fill(
        self,
        planes: tuple[bytearray, bytearray, bytearray],
        strides: tuple[int, int, int],
        rect: tuple[int, int, int, int],
        yuv: tuple[int, int, int],
    ) -> None:
        x0, y0, x1, y1 = rect
        for plane_index, (data, stride, value) in enumerate(zip(planes, strides, yuv, strict=True)):
            scale = 1 if plane_index == 0 else 2
            width, height = self.width // scale, self.height // scale
            left, right = max(0, x0 // scale), min(width, x1 // scale)
            top, bottom = max(0, y0 // scale), min(height, y1 // scale)
            if left >= right or top >= bottom:
                continue
            run = bytes((value,)) * (right - left)
            for row in range(top, bottom):
                offset = row * stride
                data[offset + left : offset + right] = run

    def _draw_counter(
        self,
        planes: tuple[bytearray, bytearray, bytearray],
        strides: tuple[int, int, int],
        index: int,
    ) -> None:
        text = f"{index:04d}"
        dh, t = self.digit_height, self.stroke
        dw = dh // 2 + t
        margin = t * 2
        panel = (0, 0, margin * 2 + len(text) * (dw + margin), dh + margin * 2)
        self._fill(planes, strides, panel, (_BLACK, _NEUTRAL, _NEUTRAL))
        half = dh // 2
        for position, digit in enumerate(text):
            x = margin + position * (dw + margin)
            y = margin
            rects = {
                "a": (x, y, x + dw, y + t),
                "b": (x + dw - t, y, x + dw, y + half),
                "c": (x + dw - t, y + half, x + dw, y + dh),
                "d": (x, y + dh - t, x + dw, y + dh),
                "e": (x, y + half, x + t, y + dh),
                "f": (x, y, x + t, y + half),
                "g": (x, y + half - t // 2, x + dw, y + half - t // 2 + t),
            }
            for segment in _SEGMENTS[digit]:
                self._fill(planes, strides, rects[segment], (_WHITE, _NEUTRAL, _NEUTRAL))


def _bounce(position: int, span: int) -> int:
    """Reflect a position into [0, span] so the box bounces off the edges."""
    if span <= 0:
        return 0
    cycle = position % (2 * span)
    return cycle if cycle <= span else 2 * span - cycle


# --- Damaged and mislabelled files -------------------------------------------------------------

_COPY_CHUNK = 1 << 20


def make_truncated(src: Path, dst: Path, fraction: float) -> Path:
    """Copy the first ``fraction`` of ``src`` to ``dst``, like a recording cut off by power loss."""
    if not 0 <= fraction < 1:
        raise ValueError("fraction must be in [0, 1)")
    return _copy_prefix(src, dst, int(src.stat().st_size * fraction))


def _copy_prefix(src: Path, dst: Path, length: int) -> Path:
    remaining = length
    with src.open("rb") as reader, dst.open("wb") as writer:
        while remaining > 0:
            chunk = reader.read(min(_COPY_CHUNK, remaining))
            if not chunk:
                break
            writer.write(chunk)
            remaining -= len(chunk)
    return dst


def make_mdat_cut(src: Path, dst: Path, keep: float = 0.5) -> Path:
    """Copy a faststart MP4 but cut it inside 'mdat': the index survives, media data does not."""
    with src.open("rb") as fh:
        layout = read_iso_layout(fh, src.stat().st_size)
    boxes = layout.boxes
    mdat = next((b for b in boxes if b.type == "mdat"), None)
    moov = next((b for b in boxes if b.type == "moov"), None)
    if mdat is None or moov is None or moov.offset > mdat.offset:
        raise ValueError(f"{src} is not a faststart MP4 (moov must precede mdat)")
    payload = mdat.size - mdat.header_size
    return _copy_prefix(src, dst, mdat.offset + mdat.header_size + int(payload * keep))


def make_zeroed_tail(src: Path, dst: Path, fraction: float = 0.4) -> Path:
    """Copy ``src`` with its last ``fraction`` of bytes zeroed, size unchanged.

    This is what a failing memory card or a filesystem repair leaves behind:
    every header still claims a complete file, but the end holds no data.
    """
    if not 0 < fraction < 1:
        raise ValueError("fraction must be in (0, 1)")
    size = src.stat().st_size
    keep = size - int(size * fraction)
    _copy_prefix(src, dst, keep)
    with dst.open("ab") as fh:
        remaining = size - keep
        while remaining > 0:
            step = min(_COPY_CHUNK, remaining)
            fh.write(bytes(step))
            remaining -= step
    return dst


def make_zero_byte(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def make_text_file(path: Path, text: str | None = None) -> Path:
    """A plain text file, typically given a video extension to test sniffing."""
    path.write_text(text or "Officer notes, not a video.\nIncident 2024-0117, unit 12.\n" * 40)
    return path


def make_random_bytes(path: Path, size: int = 64 * 1024, seed: int = 0) -> Path:
    path.write_bytes(random.Random(seed).randbytes(size))
    return path


def make_unknown_codec(src: Path, dst: Path, fourcc: bytes = b"zzzz") -> Path:
    """Copy an MP4/MOV and rename its video sample entry to a fourcc no decoder knows."""
    if len(fourcc) != 4:
        raise ValueError("fourcc must be 4 bytes")
    _copy_prefix(src, dst, src.stat().st_size)
    with dst.open("rb+") as fh:
        layout = read_iso_layout(fh, dst.stat().st_size)
        entries = iso_video_sample_entries(fh, layout)
        if not entries:
            raise ValueError(f"{src} has no video sample entry to rename")
        for entry in entries:
            fh.seek(entry.offset + 4)
            fh.write(fourcc)
    return dst


def make_corrupt_variants(folder: Path, *, seed: int = 0) -> dict[str, Path]:
    """Write the damaged files evidence intake must recognise, keyed by kind.

    - ``truncated_mp4``: a camera-style MP4 (index at the end) cut off at 60 %,
      so the 'moov' index never made it to disk.
    - ``mdat_cut_mp4``: a faststart MP4 cut inside 'mdat': FFmpeg opens it and
      decodes the first part without complaint.
    - ``zero_byte``: an empty file named .mp4.
    - ``text_as_mp4``: a text file named .mp4.
    - ``random_mov``: random bytes named .mov.
    """
    folder.mkdir(parents=True, exist_ok=True)
    camera = make_clip(folder / "_camera_source.mp4", seconds=2.0, faststart=False, seed=seed)
    web = make_clip(folder / "_faststart_source.mp4", seconds=2.0, seed=seed + 1)
    variants = {
        "truncated_mp4": make_truncated(camera, folder / "truncated.mp4", 0.6),
        "mdat_cut_mp4": make_mdat_cut(web, folder / "mdat_cut.mp4"),
        "zero_byte": make_zero_byte(folder / "zero_byte.mp4"),
        "text_as_mp4": make_text_file(folder / "notes.mp4"),
        "random_mov": make_random_bytes(folder / "random.mov", seed=seed),
    }
    camera.unlink()
    web.unlink()
    return variants
