"""Find out what a media file is, and whether it actually plays.

``probe`` never raises: evidence arrives in every state (cut off when a
battery died, zeroed by a failing card, mislabelled), and the answer
"this file is damaged, and here is how" is a result, not an error.
"""

from __future__ import annotations

import contextlib
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta, timezone
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

import av
from av.audio.stream import AudioStream
from av.container import InputContainer
from av.video.frame import VideoFrame
from av.video.stream import VideoStream

from sunlight.media._common import (
    describe_error,
    describe_open_error,
    open_media,
    pick_audio_stream,
    pick_video_stream,
    rotation_of,
)
from sunlight.media.structure import (
    iso_video_sample_entries,
    looks_like_ebml,
    looks_like_iso_bmff,
    read_ebml_layout,
    read_iso_layout,
    zero_tail_length,
)

GPS = tuple[float, float] | tuple[float, float, float]

# Decoding a few pictures proves the codec, its parameters and the first
# keyframe are all intact; more would only cost time.
_HEAD_FRAMES = 3
# Bounds on demuxing so a pathological file cannot turn a probe into a full read.
_HEAD_MAX_PACKETS = 300
_TAIL_MAX_PACKETS = 3000
# How far before the declared end the tail check starts looking.
_TAIL_WINDOW_S = 1.0
# How much shorter than declared the video may be before we call it truncated;
# muxers round durations and audio often outlasts video by a frame or two.
_TAIL_TOLERANCE_S = 0.5
# Only these formats write a duration into a header at finalisation, so only
# for them does "the data stops before the declared end" mean truncation.
# Elsewhere (e.g. raw H.264) FFmpeg estimates duration from bitrate.
_DECLARED_DURATION_FORMATS = frozenset({"mp4", "mov", "3gp", "matroska", "webm", "avi"})

_BROWSER_CONTAINERS = frozenset({"mp4", "mov"})
_BROWSER_AUDIO = frozenset({"aac", "mp3"})
# Only 8-bit 4:2:0 H.264 (Baseline/Main/High) plays dependably in browsers;
# High 10, 4:2:2 and 4:4:4 streams often fail even though FFmpeg decodes them.
_BROWSER_PIX_FMTS = frozenset({"yuv420p", "yuvj420p"})

# A zero run this long at the end of a file is damage, not coincidence.
_ZERO_TAIL_MIN = 4096
# ISO boxes that exist to hold reserved space, which muxers fill with zeros.
_ISO_PADDING_BOXES = frozenset({"free", "skip", "wide"})

_CREATION_KEYS = ("com.apple.quicktime.creationdate", "creation_time", "date")
_LOCATION_KEYS = ("com.apple.quicktime.location.iso6709", "location", "location-eng")


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """What ``probe`` learned about one file. Dimensions are as stored (before rotation)."""

    playable: bool
    unplayable_reason: str | None
    size_bytes: int = 0
    container: str | None = None
    duration_s: float | None = None
    video_codec: str | None = None
    audio_codec: str | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    bit_rate: int | None = None
    creation_time: datetime | None = None
    gps: GPS | None = None
    browser_playable: bool = False
    # Counter-clockwise display rotation from the container (phones record
    # portrait video as landscape pixels plus this flag).
    rotation: int = 0
    pix_fmt: str | None = None

    def to_dict(self) -> dict[str, object]:
        """A JSON-serialisable dict (datetime as ISO 8601, GPS as a list)."""
        out: dict[str, object] = {f.name: getattr(self, f.name) for f in fields(self)}
        out["creation_time"] = self.creation_time.isoformat() if self.creation_time else None
        out["gps"] = list(self.gps) if self.gps else None
        return out


@dataclass(frozen=True, slots=True)
class _Structure:
    container: str | None = None
    truncation: str | None = None
    video_entries: tuple[str, ...] = ()
    text_like: bool = False
    all_zero: bool = False


def probe(path: Path | str) -> MediaInfo:
    """Describe a media file and decide whether it plays. Never raises."""
    path = Path(path)
    try:
        return _probe(path)
    except Exception as exc:
        # The checks above are meant to catch every expected failure; this is
        # the backstop that keeps the "never raises" promise for the rest
        # (a PyAV bug, a file changing under us) so ingest can record it.
        return MediaInfo(playable=False, unplayable_reason=f"probe failed: {describe_error(exc)}")


def _probe(path: Path) -> MediaInfo:
    try:
        st = path.stat()
    except OSError as exc:
        return MediaInfo(False, f"cannot read file ({describe_error(exc)})")
    if not stat.S_ISREG(st.st_mode):
        return MediaInfo(False, "not a regular file")
    size = st.st_size
    if size == 0:
        return MediaInfo(False, "zero-byte file")
    try:
        with path.open("rb") as fh:
            structure = _inspect_structure(fh, size)
    except OSError as exc:
        return MediaInfo(False, f"cannot read file ({describe_error(exc)})", size_bytes=size)

    if structure.text_like:
        # Decided before FFmpeg sees it: some demuxer always claims text
        # (as AMR audio, subtitles, a playlist) and none of that is video.
        return MediaInfo(False, "not a media container (it looks like a text file)", size)
    try:
        container = open_media(path)
    except (av.FFmpegError, OSError) as exc:
        if structure.truncation:
            reason = structure.truncation
        elif structure.all_zero:
            reason = "not a media container (every byte is zero)"
        elif structure.container:
            reason = (
                f"not a media container (starts like {structure.container.upper()} "
                f"but FFmpeg cannot read it: {describe_open_error(exc)})"
            )
        else:
            reason = f"not a media container ({describe_open_error(exc)})"
        return MediaInfo(False, reason, size_bytes=size, container=structure.container)
    with container:
        return _inspect_container(container, size, structure)


def _inspect_structure(fh: BinaryIO, size: int) -> _Structure:
    head = fh.read(4096)
    if looks_like_iso_bmff(head):
        return _inspect_iso(fh, head, size)
    if looks_like_ebml(head):
        return _inspect_ebml(fh, size)
    zeros = zero_tail_length(fh, size)
    if zeros == size:
        return _Structure(all_zero=True)
    return _Structure(truncation=_zero_tail_reason(zeros), text_like=_looks_like_text(head))


def _zero_tail_reason(zeros: int) -> str | None:
    if zeros < _ZERO_TAIL_MIN:
        return None
    return f"damaged: the last {zeros:,} bytes of the file are all zeros"


def _inspect_iso(fh: BinaryIO, head: bytes, size: int) -> _Structure:
    layout = read_iso_layout(fh, size)
    brand = head[8:12] if head[4:8] == b"ftyp" else b"qt  "
    name = "mov" if brand.startswith(b"qt") else "3gp" if brand.startswith(b"3g") else "mp4"
    unfinished = not layout.has_moov and not layout.fragmented
    entries = tuple(b.type for b in iso_video_sample_entries(fh, layout))
    reason: str | None = None
    if layout.overrun is not None:
        box = layout.overrun
        reason = (
            f"truncated: the '{box.type}' box declares {box.size:,} bytes "
            f"but only {size - box.offset:,} remain in the file"
        )
    elif layout.boxes and layout.boxes[-1].type not in _ISO_PADDING_BOXES:
        # Padding boxes may legitimately be full of zeros; anything else may not.
        reason = _zero_tail_reason(zero_tail_length(fh, size))
    if not unfinished:
        pass
    elif layout.overrun is not None:
        # Recorders write 'moov' last, when they stop; an open-ended 'mdat'
        # with no 'moov' is the signature of a recording cut off mid-way.
        reason = f"{reason}; there is no 'moov' index, so the recording was never finalised"
    elif reason is not None:
        reason += "; the 'moov' index is missing too"
    elif layout.trailing:
        reason = (
            "truncated or damaged: there is no 'moov' index, and the last "
            f"{layout.trailing:,} bytes are not valid boxes"
        )
    else:
        reason = "truncated: there is no 'moov' index, so the recording was never finalised"
    return _Structure(container=name, truncation=reason, video_entries=entries)


def _inspect_ebml(fh: BinaryIO, size: int) -> _Structure:
    ebml = read_ebml_layout(fh, size)
    if ebml is None:
        return _Structure(container="matroska")
    name = "webm" if ebml.doc_type == "webm" else "matroska"
    reason: str | None = None
    if ebml.segment_missing:
        reason = "truncated: the file ends before the Matroska segment begins"
    elif ebml.overrun and ebml.segment_end is not None:
        reason = (
            f"truncated: the Matroska segment should end at byte {ebml.segment_end:,} "
            f"but the file has {size:,} bytes"
        )
    else:
        reason = _zero_tail_reason(zero_tail_length(fh, size))
    return _Structure(container=name, truncation=reason)


def _looks_like_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Reading a fixed-size head can split a multi-byte character at the end;
        # anything invalid earlier means binary data.
        if exc.start < len(head) - 3:
            return False
        text = head[: exc.start].decode("utf-8")
    return bool(text) and all(ch.isprintable() or ch in "\r\n\t\f" for ch in text)


def _inspect_container(container: InputContainer, size: int, structure: _Structure) -> MediaInfo:
    format_name = container.format.name
    if format_name == "image2" or format_name.endswith("_pipe"):
        # FFmpeg happily "plays" a JPEG as a one-frame video; for evidence it is not one.
        stills = [s.codec_context.name for s in container.streams.video if s.codec_context]
        kind = stills[0] if stills else format_name.removesuffix("_pipe")
        return MediaInfo(False, f"not a media container (it is a still image: {kind})", size)
    name = structure.container or container.format.name.split(",")[0]
    audio = pick_audio_stream(container)
    audio_codec = audio.codec_context.name if audio is not None and audio.codec_context else None
    video = pick_video_stream(container)
    tags = [_lower_keys(container.metadata)]
    tags.extend(_lower_keys(s.metadata) for s in container.streams)
    # What is known from the container alone, reported even when the video is bad.
    base = MediaInfo(
        playable=False,
        unplayable_reason=None,
        size_bytes=size,
        container=name,
        duration_s=_duration_s(container, video),
        audio_codec=audio_codec,
        bit_rate=container.bit_rate or None,
        creation_time=next(
            (t for v in _tag_values(tags, _CREATION_KEYS) if (t := parse_datetime(v))), None
        ),
        gps=next((g for v in _tag_values(tags, _LOCATION_KEYS) if (g := parse_iso6709(v))), None),
    )
    if video is None:
        return replace(
            base, unplayable_reason="no decodable video stream (the file has no video track)"
        )
    if video.codec_context is None:
        tag = structure.video_entries[0] if structure.video_entries else None
        unknown = (
            f"unknown codec '{tag}' (FFmpeg has no decoder for it)"
            if tag
            else "unknown codec (FFmpeg has no decoder for the video track)"
        )
        return replace(base, unplayable_reason=unknown)

    codec = video.codec_context
    # A probe decodes a handful of pictures; spinning up decoder threads for
    # that costs more than it saves, and ingest runs many probes in parallel.
    codec.thread_count = 1
    rate = video.average_rate or video.guessed_rate
    frames, first, decode_error = _decode_head(container, video)
    pix_fmt = first.format.name if first is not None else codec.pix_fmt

    reason: str | None = structure.truncation
    if reason is None:
        reason = _index_truncation(video, size)
    if reason is not None:
        missing = _missing_from_s(video, size)
        if missing is not None:
            reason += f" (video from {missing:.2f} s onward is missing)"
    elif frames == 0:
        reason = f"no decodable video stream ({decode_error or 'the decoder produced no pictures'})"
    elif name in _DECLARED_DURATION_FORMATS:
        reason = _tail_check(container, video, rate)

    playable = reason is None
    all_audio = [s.codec_context.name if s.codec_context else None for s in container.streams.audio]
    browser_playable = (
        playable
        and name in _BROWSER_CONTAINERS
        and codec.name == "h264"
        and pix_fmt in _BROWSER_PIX_FMTS
        and all(a in _BROWSER_AUDIO for a in all_audio)
    )
    return replace(
        base,
        playable=playable,
        unplayable_reason=reason,
        video_codec=codec.name,
        width=codec.width or None,
        height=codec.height or None,
        fps=float(rate) if rate else None,
        browser_playable=browser_playable,
        rotation=rotation_of(first) if first is not None else 0,
        pix_fmt=pix_fmt,
    )


def _duration_s(container: InputContainer, video: VideoStream | None) -> float | None:
    if container.duration is not None and container.duration > 0:
        return container.duration / av.time_base
    if video is not None and video.duration and video.time_base:
        return float(video.duration * video.time_base)
    return None


def _decode_head(
    container: InputContainer, video: VideoStream
) -> tuple[int, VideoFrame | None, str | None]:
    """Decode the first few pictures: (count, first picture, last decoder error)."""
    count = 0
    first: VideoFrame | None = None
    error: str | None = None
    try:
        for packets, packet in enumerate(container.demux(video), start=1):
            try:
                frames = packet.decode()
            except av.FFmpegError as exc:
                error = describe_error(exc)
                frames = []
            count += len(frames)
            if first is None and frames:
                first = frames[0]
            if count >= _HEAD_FRAMES or packets >= _HEAD_MAX_PACKETS:
                break
    except (av.FFmpegError, OSError) as exc:
        error = describe_error(exc)
    return count, first, error


def _index_truncation(video: VideoStream, size: int) -> str | None:
    """Catch sample tables that point past EOF in containers we do not parse ourselves."""
    entries = video.index_entries
    if len(entries) == 0:
        return None
    last = entries[len(entries) - 1]
    if last.pos + last.size <= size:
        return None
    return (
        f"truncated: the index points to data up to byte {last.pos + last.size:,} "
        f"but the file has {size:,}"
    )


def _missing_from_s(video: VideoStream, size: int) -> float | None:
    """Seconds into the stream where the sample index first points past EOF."""
    entries = video.index_entries
    n = len(entries)
    if n == 0 or video.time_base is None:
        return None
    if entries[n - 1].pos + entries[n - 1].size <= size:
        return None
    # Interleaved files store samples in time order, so offsets grow with the
    # index and a binary search finds the first sample that is not there.
    lo, hi = 0, n - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if entries[mid].pos + entries[mid].size > size:
            hi = mid
        else:
            lo = mid + 1
    start = video.start_time or 0
    return max(0.0, float((entries[lo].timestamp - start) * video.time_base))


def _tail_check(container: InputContainer, video: VideoStream, rate: Fraction | None) -> str | None:
    """Seek to just before the declared end and check the media is really there.

    Costs one seek, reading about a second of packets and decoding one
    picture. Catches files cut off or zero-filled near the end whose headers
    do not reveal it.
    """
    time_base = video.time_base
    if time_base is None:
        return None
    start_s = float((video.start_time or 0) * time_base)
    video_length_s = _declared_video_length_s(video)
    if video_length_s is not None:
        declared_end_s = start_s + video_length_s
    elif container.duration:
        # Without a per-track length, compare against the container's, which
        # covers all tracks; then whichever track runs longest must reach it.
        declared_end_s = (container.start_time or 0) / av.time_base + (
            container.duration / av.time_base
        )
    else:
        return None
    declared_s = declared_end_s - start_s
    streams: list[VideoStream | AudioStream] = [video]
    streams.extend(s for s in container.streams.audio if s.time_base is not None)
    frame_s = 1 / float(rate) if rate else 0.0
    video_end_s: float | None = None
    any_end_s: float | None = None
    zero_at_s: float | None = None
    decoded = False
    try:
        target = max(0.0, declared_end_s - _TAIL_WINDOW_S)
        container.seek(int(target / time_base), stream=video, backward=True, any_frame=False)
        for packets, packet in enumerate(container.demux(*streams), start=1):
            packet_tb = packet.time_base
            if packet.size and packet.pts is not None and packet_tb is not None:
                packet_start_s = float(packet.pts * packet_tb)
                end_s = (
                    float((packet.pts + packet.duration) * packet_tb)
                    if packet.duration
                    else (packet_start_s + frame_s)
                )
                any_end_s = end_s if any_end_s is None else max(any_end_s, end_s)
                if packet.stream is video:
                    video_end_s = end_s if video_end_s is None else max(video_end_s, end_s)
                # Compressed media is never all zeros; a zero-filled packet is
                # what a failing card or a filesystem repair leaves behind.
                if zero_at_s is None and _all_zero(bytes(packet)):
                    zero_at_s = packet_start_s
            if not decoded and packet.stream is video:
                with contextlib.suppress(av.FFmpegError):
                    decoded = bool(packet.decode())
            if packets >= _TAIL_MAX_PACKETS:
                # Enormous GOP or packet flood: inconclusive, and not worth more time.
                return None
    except (av.FFmpegError, OSError):
        # Some formats cannot seek without an index; the head decoded, so the
        # file plays, and this check is simply inconclusive.
        return None
    if zero_at_s is not None:
        return (
            f"damaged: the media is zero-filled from {zero_at_s - start_s:.2f} s "
            f"(declared length {declared_s:.2f} s)"
        )
    if not decoded:
        return (
            f"truncated or damaged: no video decodes in the last {_TAIL_WINDOW_S:g} s "
            f"before the declared end ({declared_s:.2f} s)"
        )
    reached_s = video_end_s if video_length_s is not None else any_end_s
    tolerance = max(_TAIL_TOLERANCE_S, 2 * frame_s)
    if reached_s is None or declared_end_s - reached_s > tolerance:
        found_s = (reached_s or start_s) - start_s
        return (
            f"truncated: the data stops at {found_s:.2f} s "
            f"but the container declares {declared_s:.2f} s"
        )
    return None


_TAG_DURATION = re.compile(r"^\s*(\d+):(\d{2}):(\d{2}(?:\.\d+)?)\s*$")


def _declared_video_length_s(video: VideoStream) -> float | None:
    """The length the muxer recorded for the video track, if it recorded one."""
    if video.duration and video.time_base:
        return float(video.duration * video.time_base)
    # Matroska has no per-track duration field; muxers (FFmpeg, mkvmerge)
    # write it as a DURATION tag when they finalise the file.
    for key, value in video.metadata.items():
        if key.upper() == "DURATION" and (match := _TAG_DURATION.match(value)):
            hours, minutes, seconds = match.groups()
            return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    return None


def _all_zero(data: bytes) -> bool:
    return bool(data) and data.count(0) == len(data)


def _lower_keys(tags: dict[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in tags.items()}


def _tag_values(tag_sets: list[dict[str, str]], keys: tuple[str, ...]) -> Iterator[str]:
    """Tag values in priority order: by key first, then container before stream tags."""
    for key in keys:
        for tags in tag_sets:
            value = tags.get(key)
            if value:
                yield value


_DATETIME = re.compile(
    r"^\s*(\d{4})[-:](\d{2})[-:](\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?"
    r"\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)?\s*$",
    re.IGNORECASE,
)


def parse_datetime(text: str) -> datetime | None:
    """Parse the timestamp styles cameras and muxers write into an aware UTC datetime.

    Accepts ISO 8601 ("2024-05-01T12:34:56.000000Z", "...+0200") and EXIF-like
    "2024:05:01 12:34:56". Timestamps without an offset are taken as UTC, which
    is what the MP4 and Matroska specifications mandate for their creation times.
    """
    match = _DATETIME.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    tz = UTC
    if zone and zone.upper() not in ("Z", "UTC"):
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
        tz = timezone(offset if zone[0] == "+" else -offset)
    try:
        local = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            micro,
            tzinfo=tz,
        )
    except ValueError:
        return None
    return local.astimezone(UTC)


_ISO6709 = re.compile(
    r"^\s*([+-]\d+(?:\.\d*)?)([+-]\d+(?:\.\d*)?)([+-]\d+(?:\.\d*)?)?(?:CRS[^/]*)?/?\s*$"
)


def _iso6709_angle(token: str, degree_digits: int) -> float:
    sign = -1.0 if token[0] == "-" else 1.0
    whole, _, frac = token[1:].partition(".")
    frac_part = float(f"0.{frac}") if frac else 0.0
    if len(whole) == degree_digits:
        value = int(whole) + frac_part
    elif len(whole) == degree_digits + 2:
        minutes = int(whole[degree_digits:]) + frac_part
        if minutes >= 60:
            raise ValueError(token)
        value = int(whole[:degree_digits]) + minutes / 60
    elif len(whole) == degree_digits + 4:
        minutes = int(whole[degree_digits : degree_digits + 2])
        seconds = int(whole[degree_digits + 2 :]) + frac_part
        if minutes >= 60 or seconds >= 60:
            raise ValueError(token)
        value = int(whole[:degree_digits]) + minutes / 60 + seconds / 3600
    else:
        raise ValueError(token)
    return sign * value


def parse_iso6709(text: str) -> GPS | None:
    """Parse an ISO 6709 point ("+39.0997-094.5786/", optionally with altitude).

    Degrees, degrees-minutes and degrees-minutes-seconds forms are accepted.
    Returns (lat, lon) or (lat, lon, altitude_m), or None if it is not valid.
    """
    match = _ISO6709.match(text)
    if match is None:
        return None
    lat_text, lon_text, alt_text = match.groups()
    try:
        lat = _iso6709_angle(lat_text, 2)
        lon = _iso6709_angle(lon_text, 3)
    except ValueError:
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    if alt_text is None:
        return (lat, lon)
    return (lat, lon, float(alt_text))
