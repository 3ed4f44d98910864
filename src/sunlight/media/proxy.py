"""Derived media for review in a browser: H.264/AAC proxies, posters and thumbnail strips.

Originals are never modified; everything here reads the original and writes
a new file atomically. Derived files carry no creation-time or GPS tags: a
proxy may be released publicly, and location is for the custody record only.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
from av.audio.frame import AudioFrame
from av.audio.resampler import AudioResampler
from av.audio.stream import AudioStream
from av.container import InputContainer, OutputContainer
from av.video.frame import VideoFrame
from av.video.stream import VideoStream

from sunlight.media._common import (
    Upright,
    atomic_output,
    describe_error,
    display_size,
    encode_jpeg,
    even,
    first_frame,
    fit_height,
    open_input,
    pick_audio_stream,
    pick_video_stream,
    sample_aspect,
    seek_frame,
    upright,
    video_duration_s,
)
from sunlight.media.errors import MediaError

# Sample rates AAC-LC is defined for that browsers decode everywhere; anything
# else (or higher) is resampled to 48 kHz.
_AAC_RATES = frozenset({8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000})
_X264_OPTIONS = {"preset": "veryfast", "crf": "23"}
# Keyframe spacing in seconds: browsers can only seek to keyframes quickly,
# and reviewers scrub back and forth a lot.
_KEYFRAME_INTERVAL_S = 2
# MPEG ("limited", 16-235) range: what swscale produces for yuv420p output.
_COLOR_RANGE_MPEG = 1


def make_proxy(src: Path, dst: Path, *, max_height: int = 720) -> None:
    """Transcode ``src`` to a browser-playable H.264/AAC faststart MP4 at ``dst``.

    The picture is turned upright (phone rotation metadata is applied to the
    pixels) and scaled down, never up, so its displayed height is at most
    ``max_height``, with square pixels. Audio, if any, becomes AAC (mono
    stays mono, anything else becomes stereo). Timestamps are kept, so
    variable frame rate and gaps survive. Undecodable packets are skipped,
    as players do; if no picture decodes at all, MediaError is raised and
    ``dst`` is left untouched.
    """
    if max_height < 2:
        raise ValueError("max_height must be at least 2")
    src, dst = Path(src), Path(dst)
    try:
        with open_input(src) as container, atomic_output(dst) as tmp:
            _Transcode(container, src.name, max_height).run(tmp)
    except MediaError:
        raise
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise MediaError(f"cannot make a proxy of {src.name}: {describe_error(exc)}") from exc


class _Transcode:
    def __init__(self, container: InputContainer, name: str, max_height: int) -> None:
        self.container = container
        self.name = name
        self.max_height = max_height
        video = pick_video_stream(container)
        if video is None or video.codec_context is None:
            raise MediaError(f"{name} has no decodable video stream")
        self.video_in: VideoStream = video
        audio = pick_audio_stream(container)
        self.audio_in: AudioStream | None = (
            audio if audio is not None and audio.codec_context is not None else None
        )
        self.video_in.codec_context.thread_type = "AUTO"
        # Both tracks are shifted by the same amount so they stay in sync
        # while the proxy starts at zero.
        self.origin_s = self._origin_s()
        self.upright = Upright()
        self.frames_out = 0
        self.last_pts: int | None = None

    def _origin_s(self) -> Fraction:
        starts = [
            s.start_time * s.time_base
            for s in (self.video_in, self.audio_in)
            if s is not None and s.start_time is not None and s.time_base is not None
        ]
        return min(starts) if starts else Fraction(0)

    def run(self, tmp: Path) -> None:
        first = first_frame(self.container, self.video_in)
        if first is None:
            raise MediaError(f"no video frame could be decoded from {self.name}")
        # first_frame consumed packets; start again so nothing is lost.
        self.container.seek(0)
        options = {"movflags": "+faststart"}
        with av.open(str(tmp), "w", format="mp4", options=options) as out:
            video_out = self._add_video(out, first)
            audio_out, resampler = self._add_audio(out)
            streams = [s for s in (self.video_in, self.audio_in) if s is not None]
            for packet in self.container.demux(*streams):
                try:
                    frames = packet.decode()
                except av.FFmpegError:
                    # A damaged packet: skip it like a player would, keep going.
                    continue
                for frame in frames:
                    if isinstance(frame, VideoFrame):
                        self._encode_video(out, video_out, frame)
                    elif (
                        isinstance(frame, AudioFrame)
                        and audio_out is not None
                        and resampler is not None
                    ):
                        frame.pts = self._shift(frame.pts, frame.time_base)
                        for resampled in resampler.resample(frame):
                            out.mux(audio_out.encode(resampled))
            out.mux(video_out.encode(None))
            if audio_out is not None and resampler is not None:
                for resampled in resampler.resample(None):
                    out.mux(audio_out.encode(resampled))
                out.mux(audio_out.encode(None))
        if self.frames_out == 0:
            raise MediaError(f"no video frame could be decoded from {self.name}")

    def _add_video(self, out: OutputContainer, first: VideoFrame) -> VideoStream:
        rate = self.video_in.average_rate or self.video_in.guessed_rate or Fraction(30)
        width, height = fit_height(
            *display_size(first, sample_aspect(self.video_in)), self.max_height
        )
        stream = out.add_stream("libx264", rate=rate, options=dict(_X264_OPTIONS))
        stream.width = width
        stream.height = height
        stream.pix_fmt = "yuv420p"
        context = stream.codec_context
        # Keep the source clock so variable frame rate and gaps are preserved.
        context.time_base = self.video_in.time_base or Fraction(1, 90_000)
        context.gop_size = max(1, round(rate * _KEYFRAME_INTERVAL_S))
        # Scaling leaves the colour matrix alone, so the source's tags stay true.
        context.colorspace = first.colorspace
        context.color_primaries = first.color_primaries
        context.color_trc = first.color_trc
        context.color_range = _COLOR_RANGE_MPEG
        return stream

    def _add_audio(self, out: OutputContainer) -> tuple[AudioStream | None, AudioResampler | None]:
        if self.audio_in is None:
            return None, None
        source = self.audio_in.codec_context
        rate = source.sample_rate if source.sample_rate in _AAC_RATES else 48_000
        layout = "mono" if source.layout.nb_channels == 1 else "stereo"
        stream = out.add_stream("aac", rate=rate, layout=layout)
        stream.bit_rate = 96_000 if layout == "mono" else 128_000
        resampler = AudioResampler(
            format="fltp",
            layout=layout,
            rate=rate,
            # The AAC encoder only accepts frames of exactly frame_size samples.
            frame_size=stream.codec_context.frame_size or 1024,
        )
        return stream, resampler

    def _shift(self, pts: int | None, time_base: Fraction | None) -> int | None:
        if pts is None or time_base is None:
            return pts
        return pts - round(self.origin_s / time_base)

    def _encode_video(self, out: OutputContainer, stream: VideoStream, frame: VideoFrame) -> None:
        pts = self._shift(frame.pts, frame.time_base or self.video_in.time_base)
        if pts is None:
            pts = 0 if self.last_pts is None else self.last_pts + 1
        if self.last_pts is not None and pts <= self.last_pts:
            # x264 rejects non-increasing timestamps; a repeated timestamp is a
            # duplicate frame, which viewers cannot see anyway.
            return
        image = self.upright(frame).reformat(
            width=stream.width, height=stream.height, format="yuv420p"
        )
        image.pts = pts
        image.time_base = self.video_in.time_base
        # Decoded frames remember whether they were I/P/B and libx264 obeys
        # that as a forced frame type; clear it so x264 chooses by itself.
        image.pict_type = 0
        out.mux(stream.encode(image))
        self.last_pts = pts
        self.frames_out += 1


def make_poster(
    src: Path, dst_jpeg: Path, at_s: float | None = None, *, max_height: int = 720
) -> None:
    """Write one upright JPEG frame: at ``at_s`` seconds, else ~10 % in, else the first frame."""
    src, dst_jpeg = Path(src), Path(dst_jpeg)
    try:
        with open_input(src) as container:
            video = _video_or_raise(container, src.name)
            duration = video_duration_s(container, video)
            target = at_s if at_s is not None else (duration * 0.1 if duration else 0.0)
            frame = seek_frame(container, video, target) if target > 0 else None
            if frame is None:
                frame = first_frame(container, video)
            if frame is None:
                raise MediaError(f"no video frame could be decoded from {src.name}")
            width, height = fit_height(*display_size(frame, sample_aspect(video)), max_height)
            encode_jpeg(upright(frame).reformat(width=width, height=height), dst_jpeg)
    except MediaError:
        raise
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise MediaError(f"cannot make a poster of {src.name}: {describe_error(exc)}") from exc


def make_thumbnail_strip(src: Path, dst_jpeg: Path, count: int = 10, height: int = 90) -> None:
    """Write one JPEG with ``count`` upright frames, evenly spaced in time, side by side.

    Each tile is ``height`` pixels high and as wide as the picture's aspect
    ratio makes it, so the strip is ``count`` tiles wide. Frames are taken
    from the middle of each of ``count`` equal slices of the duration.
    """
    if count < 1 or height < 2:
        raise ValueError("count must be >= 1 and height >= 2")
    src, dst_jpeg = Path(src), Path(dst_jpeg)
    try:
        with open_input(src) as container:
            tiles = _strip_tiles(container, src.name, count, even(height))
        encode_jpeg(_side_by_side(tiles), dst_jpeg)
    except MediaError:
        raise
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise MediaError(f"cannot make a strip of {src.name}: {describe_error(exc)}") from exc


def _strip_tiles(container: InputContainer, name: str, count: int, height: int) -> list[VideoFrame]:
    video = _video_or_raise(container, name)
    duration = video_duration_s(container, video) or 0.0
    rotate = Upright()
    tiles: list[VideoFrame] = []
    size: tuple[int, int] | None = None
    previous: VideoFrame | None = None
    for index in range(count):
        frame = seek_frame(container, video, duration * (index + 0.5) / count)
        if frame is None:
            # Past a damaged stretch: repeat the last good tile, so the strip
            # keeps its time scale instead of silently shifting.
            frame = previous or first_frame(container, video)
        if frame is None:
            raise MediaError(f"no video frame could be decoded from {name}")
        previous = frame
        if size is None:
            # Unlike proxies, tiles are scaled up too: a strip has one fixed height.
            shown_width, shown_height = display_size(frame, sample_aspect(video))
            size = (even(shown_width * height / shown_height), height)
        # Shrink right away so a 4K source does not keep ten full frames in memory.
        tiles.append(rotate(frame).reformat(width=size[0], height=size[1], format="yuvj420p"))
    return tiles


def _side_by_side(tiles: list[VideoFrame]) -> VideoFrame:
    """Concatenate equally tall yuvj420p frames horizontally, plane by plane."""
    width = sum(t.width for t in tiles)
    strip = VideoFrame(width, tiles[0].height, "yuvj420p")
    for plane_index, plane in enumerate(strip.planes):
        sources = [(bytes(t.planes[plane_index]), t.planes[plane_index]) for t in tiles]
        pad = bytes(plane.line_size - sum(p.width for _, p in sources))
        rows = []
        for row in range(plane.height):
            for data, src_plane in sources:
                start = row * src_plane.line_size
                rows.append(data[start : start + src_plane.width])
            rows.append(pad)
        plane.update(b"".join(rows))
    return strip


def _video_or_raise(container: InputContainer, name: str) -> VideoStream:
    video = pick_video_stream(container)
    if video is None or video.codec_context is None:
        raise MediaError(f"{name} has no decodable video stream")
    return video
