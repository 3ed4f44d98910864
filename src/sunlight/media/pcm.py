"""A recording's sound as 16 kHz mono 16-bit PCM, for speech recognition."""

from __future__ import annotations

from pathlib import Path

import av
from av.audio.resampler import AudioResampler

from sunlight.media._common import describe_error, open_input, pick_audio_stream
from sunlight.media.errors import MediaError

RATE = 16_000
BYTES_PER_SECOND = RATE * 2


def decode_pcm(path: Path, *, max_seconds: float) -> bytes:
    """The first audio track, resampled to 16 kHz mono signed 16-bit little-endian.

    A recording without sound gives no bytes. One longer than ``max_seconds`` is refused
    (MediaError): a draft of a long recording belongs to an operator's better recogniser
    on a bigger machine, or to a person.
    """
    limit = int(max_seconds * BYTES_PER_SECOND)
    with open_input(path) as container:
        stream = pick_audio_stream(container)
        if stream is None or stream.codec_context is None:
            return b""
        resampler = AudioResampler(format="s16", layout="mono", rate=RATE)
        out = bytearray()
        try:
            for frame in container.decode(stream):
                for piece in resampler.resample(frame):
                    out += bytes(piece.planes[0])[: piece.samples * 2]
                if len(out) > limit:
                    raise MediaError(
                        f"the sound is longer than the {max_seconds:.0f} s a draft is made for"
                    )
            for piece in resampler.resample(None):
                out += bytes(piece.planes[0])[: piece.samples * 2]
        except av.FFmpegError as exc:
            raise MediaError(f"cannot decode the sound: {describe_error(exc)}") from exc
    if len(out) > limit:
        raise MediaError(f"the sound is longer than the {max_seconds:.0f} s a draft is made for")
    return bytes(out)


def silence_ranges(pcm: bytes, ranges: list[tuple[float, float]]) -> bytes:
    """``pcm`` with every sample inside the ranges (seconds) set to zero."""
    data = bytearray(pcm)
    for start_s, end_s in ranges:
        start = max(0, int(start_s * RATE)) * 2
        end = min(len(data), int(end_s * RATE + 0.999) * 2)
        if end > start:
            data[start:end] = bytes(end - start)
    return bytes(data)
