"""Helpers shared by probe, proxy and synth; not part of the public API."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
from av.audio.stream import AudioStream
from av.container import InputContainer
from av.filter import Graph
from av.stream import Disposition
from av.video.frame import VideoFrame
from av.video.stream import VideoStream

from sunlight.media.errors import MediaError

# JPEG quantiser scale (2 = best, 31 = worst); 3 keeps detail in faces and
# text that reviewers zoom into, at a few tens of KB per 720p frame.
JPEG_QSCALE = 3


def describe_error(exc: BaseException) -> str:
    """A short human description of a PyAV/OS error, without errno noise or paths."""
    if isinstance(exc, av.FFmpegError) and exc.strerror:
        return exc.strerror
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


# Demuxers that evidence video plausibly arrives in (phones, body cameras,
# CCTV exports, editors), plus still images so they can be named as such.
# Everything else is refused before FFmpeg acts on it: an uploaded HLS
# playlist or concat script would otherwise make FFmpeg open other local
# files, and text formats would be "decoded" as whatever matches first.
_ALLOWED_DEMUXERS = (
    "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,mpegts,mpeg,flv,asf,mxf,ogg,dv,dhav,"
    "h264,hevc,m4v,mjpeg,ivf,wav,mp3,aac,image2,jpeg_pipe,png_pipe"
)
_INPUT_OPTIONS = {"format_whitelist": _ALLOWED_DEMUXERS, "protocol_whitelist": "file"}


def open_media(path: Path) -> InputContainer:
    """Open a local media file with the demuxer whitelist; PyAV/OS errors propagate.

    An input FFmpeg recognises only as a disallowed format fails with
    av.ArgumentError (EINVAL).
    """
    # Camera firmware writes tags in arbitrary 8-bit encodings; strict UTF-8
    # decoding would make PyAV raise on otherwise fine files.
    return av.open(
        str(path), "r", container_options=dict(_INPUT_OPTIONS), metadata_errors="replace"
    )


def describe_open_error(exc: BaseException) -> str:
    if isinstance(exc, av.ArgumentError):
        return "not a format accepted as evidence video"
    return describe_error(exc)


def open_input(path: Path) -> InputContainer:
    """Open a media file for reading, translating every failure into MediaError."""
    try:
        return open_media(path)
    except (av.FFmpegError, OSError) as exc:
        raise MediaError(f"cannot open {path.name}: {describe_open_error(exc)}") from exc


def pick_video_stream(container: InputContainer) -> VideoStream | None:
    """The main picture track: the first video stream that is not embedded cover art."""
    for stream in container.streams.video:
        if not stream.disposition & Disposition.attached_pic:
            return stream
    return None


def pick_audio_stream(container: InputContainer) -> AudioStream | None:
    audio = list(container.streams.audio)
    for stream in audio:
        if stream.disposition & Disposition.default:
            return stream
    return audio[0] if audio else None


def video_duration_s(container: InputContainer, video: VideoStream) -> float | None:
    """Duration of the picture track, falling back to the container's."""
    if video.duration and video.time_base:
        return float(video.duration * video.time_base)
    if container.duration:
        return container.duration / av.time_base
    return None


def even(value: float | Fraction) -> int:
    """Round to the nearest even integer >= 2 (4:2:0 chroma needs even sizes)."""
    return max(2, round(value / 2) * 2)


def sample_aspect(stream: VideoStream) -> Fraction:
    sar = stream.sample_aspect_ratio or stream.codec_context.sample_aspect_ratio
    if sar is None or sar <= 0:
        return Fraction(1)
    return Fraction(sar)


def rotation_of(frame: VideoFrame) -> int:
    """Counter-clockwise display rotation in degrees, normalised to 0/90/180/270."""
    return round(frame.rotation / 90) * 90 % 360


# Filters that undo each counter-clockwise display rotation; the same choice
# the ffmpeg command-line tool makes when it autorotates.
_UNROTATE: dict[int, tuple[tuple[str, str | None], ...]] = {
    90: (("transpose", "cclock"),),
    180: (("hflip", None), ("vflip", None)),
    270: (("transpose", "clock"),),
}


class Upright:
    """Turn frames upright according to the display rotation phones store as metadata.

    Proxies, posters and strips are rotated in the pixels rather than by
    metadata: a JPEG has nowhere to carry it, and redaction boxes drawn over
    a proxy must use the same coordinates the viewer sees. One filter graph is
    reused for as long as the frame geometry stays the same.
    """

    def __init__(self) -> None:
        self._key: tuple[int, int, str, int] | None = None
        self._graph: Graph | None = None

    def __call__(self, frame: VideoFrame) -> VideoFrame:
        rotation = rotation_of(frame)
        if rotation == 0:
            return frame
        key = (frame.width, frame.height, frame.format.name, rotation)
        if self._graph is None or key != self._key:
            self._graph = self._build(frame, rotation)
            self._key = key
        self._graph.vpush(frame)
        return self._graph.vpull()

    @staticmethod
    def _build(frame: VideoFrame, rotation: int) -> Graph:
        graph = Graph()
        nodes = [
            graph.add_buffer(
                width=frame.width,
                height=frame.height,
                format=frame.format,
                time_base=frame.time_base or Fraction(1, 1000),
            )
        ]
        nodes.extend(graph.add(name, args) for name, args in _UNROTATE[rotation])
        nodes.append(graph.add("buffersink"))
        graph.link_nodes(*nodes).configure()
        return graph


def upright(frame: VideoFrame) -> VideoFrame:
    """One-off form of Upright, for single stills."""
    return Upright()(frame)


def display_size(frame: VideoFrame, sar: Fraction) -> tuple[Fraction, int]:
    """Width and height a viewer sees: square pixels, rotation applied."""
    if rotation_of(frame) in (90, 270):
        # Transposing turns the pixel aspect on its side as well.
        return Fraction(frame.height) / sar, frame.width
    return frame.width * sar, frame.height


def fit_height(width: Fraction, height: int, max_height: int) -> tuple[int, int]:
    """Scale (width, height) down so height <= max_height; never upscale; even sizes."""
    target = min(height, max_height)
    return even(width * target / height), even(target)


def seek_frame(container: InputContainer, stream: VideoStream, at_s: float) -> VideoFrame | None:
    """Decode the first frame shown at or after ``at_s`` seconds from the stream start.

    Returns the last frame decoded if the stream ends first, and None if
    seeking or decoding fails outright.
    """
    time_base = stream.time_base
    if time_base is None:
        return None
    start = stream.start_time or 0
    target = start + int(Fraction(at_s).limit_denominator(1_000_000) / time_base)
    rate = stream.average_rate or stream.guessed_rate
    # Frame timestamps rarely land exactly on the target; accept the frame
    # that is on screen at that moment rather than skipping to the next one.
    slack = int(1 / (rate * time_base)) // 2 if rate else 0
    last: VideoFrame | None = None
    try:
        container.seek(target, stream=stream, backward=True, any_frame=False)
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.FFmpegError:
                continue
            for frame in frames:
                last = frame
                if frame.pts is None or frame.pts + slack >= target:
                    return frame
    except (av.FFmpegError, OSError):
        return last
    return last


def first_frame(container: InputContainer, stream: VideoStream) -> VideoFrame | None:
    # Unseekable input (e.g. a pipe): decoding from where we are is all we can do.
    with contextlib.suppress(av.FFmpegError, OSError):
        container.seek(0, stream=stream, backward=True, any_frame=False)
    try:
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.FFmpegError:
                continue
            if frames:
                return frames[0]
    except (av.FFmpegError, OSError):
        return None
    return None


@contextlib.contextmanager
def atomic_output(dst: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``dst``; on success it replaces ``dst`` atomically.

    Readers (the web server, a worker retrying) must never see a half-written
    proxy, and a crash must not leave one under the final name.
    """
    fd, name = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".part", dir=dst.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        # mkstemp creates 0600; derived media is served and shared like any other file.
        tmp.chmod(0o644)
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def encode_jpeg(frame: VideoFrame, dst: Path) -> None:
    """Write one frame as a baseline JPEG using FFmpeg's mjpeg encoder."""
    # yuvj420p is full-range; swscale converts from the usual limited-range
    # video levels so blacks and whites are not washed out in the JPEG.
    image = frame.reformat(format="yuvj420p")
    context = av.CodecContext.create("mjpeg", "w")
    context.width = image.width
    context.height = image.height
    context.pix_fmt = "yuvj420p"
    context.time_base = Fraction(1, 1)
    # The encoder ignores a "qscale" option; pinning qmin/qmax is what works.
    context.qmin = JPEG_QSCALE
    context.qmax = JPEG_QSCALE
    image.pts = 0
    packets = context.encode(image) + context.encode(None)
    data = b"".join(bytes(p) for p in packets)
    if not data:
        raise MediaError("the JPEG encoder produced no output")
    with atomic_output(dst) as tmp:
        tmp.write_bytes(data)
