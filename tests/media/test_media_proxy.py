"""Proxies, posters and thumbnail strips."""

from __future__ import annotations

import struct
from pathlib import Path

import av
import pytest

from sunlight.media import (
    MediaError,
    make_clip,
    make_poster,
    make_proxy,
    make_thumbnail_strip,
    probe,
)


def top_level_atoms(path: Path) -> list[str]:
    """Read MP4 top-level box headers directly (deliberately not via sunlight.media)."""
    atoms = []
    with path.open("rb") as fh:
        size = fh.seek(0, 2)
        offset = 0
        while offset + 8 <= size:
            fh.seek(offset)
            box_size, box_type = struct.unpack(">I4s", fh.read(8))
            if box_size == 1:
                box_size = struct.unpack(">Q", fh.read(8))[0]
            elif box_size == 0:
                box_size = size - offset
            atoms.append(box_type.decode("latin-1"))
            offset += box_size
    return atoms


def jpeg_size(path: Path) -> tuple[int, int]:
    """Width and height from the JPEG's SOF marker, after checking SOI/EOI."""
    data = path.read_bytes()
    assert data[:2] == b"\xff\xd8", "missing JPEG start-of-image"
    assert data[-2:] == b"\xff\xd9", "missing JPEG end-of-image"
    offset = 2
    while offset < len(data):
        marker, length = struct.unpack(">2sH", data[offset : offset + 4])
        if marker in (b"\xff\xc0", b"\xff\xc1", b"\xff\xc2"):
            height, width = struct.unpack(">HH", data[offset + 5 : offset + 9])
            return width, height
        offset += 2 + length
    raise AssertionError("no SOF marker")


def decoded_size(path: Path) -> tuple[int, int]:
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
        return frame.width, frame.height


def no_leftovers(folder: Path) -> bool:
    return not list(folder.glob(".*.part"))


@pytest.mark.parametrize("name", ["mkv_h264", "webm_vp9", "mp4_hevc", "mkv_mpeg2", "mp4_h264"])
def test_proxy_is_browser_playable_faststart(
    clips: dict[str, Path], tmp_path: Path, name: str
) -> None:
    source = probe(clips[name])
    dst = tmp_path / "proxy.mp4"
    make_proxy(clips[name], dst)
    info = probe(dst)
    assert info.playable, info.unplayable_reason
    assert info.browser_playable
    assert (info.container, info.video_codec, info.audio_codec) == ("mp4", "h264", "aac")
    assert info.pix_fmt == "yuv420p"
    atoms = top_level_atoms(dst)
    assert "moov" in atoms
    assert "mdat" in atoms
    assert atoms.index("moov") < atoms.index("mdat"), atoms
    assert source.duration_s is not None
    assert info.duration_s is not None
    assert info.duration_s == pytest.approx(source.duration_s, abs=0.2)
    assert (info.width, info.height) == (320, 240)
    assert no_leftovers(tmp_path)


def test_proxy_keeps_every_frame(clips: dict[str, Path], tmp_path: Path) -> None:
    dst = tmp_path / "proxy.mp4"
    make_proxy(clips["mkv_h264"], dst)
    with av.open(str(dst)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 30


def test_proxy_does_not_carry_location_or_time(clips: dict[str, Path], tmp_path: Path) -> None:
    dst = tmp_path / "proxy.mp4"
    make_proxy(clips["mp4_h264"], dst)
    info = probe(dst)
    assert info.gps is None
    assert info.creation_time is None


def test_audio_less_input_gives_audio_less_proxy(clips: dict[str, Path], tmp_path: Path) -> None:
    dst = tmp_path / "proxy.mp4"
    make_proxy(clips["mp4_h264_silent"], dst)
    info = probe(dst)
    assert info.browser_playable
    assert info.audio_codec is None
    with av.open(str(dst)) as container:
        assert len(container.streams.audio) == 0


def test_proxy_scales_down_to_max_height_never_up(tmp_path: Path) -> None:
    big = make_clip(tmp_path / "big.mkv", container="mkv", width=640, height=360, seconds=0.5)
    make_proxy(big, tmp_path / "small.mp4", max_height=180)
    assert (probe(tmp_path / "small.mp4").width, probe(tmp_path / "small.mp4").height) == (
        320,
        180,
    )
    make_proxy(big, tmp_path / "same.mp4", max_height=720)
    assert (probe(tmp_path / "same.mp4").width, probe(tmp_path / "same.mp4").height) == (640, 360)


def test_proxy_of_rotated_video_is_upright(clips: dict[str, Path], tmp_path: Path) -> None:
    dst = tmp_path / "proxy.mp4"
    make_proxy(clips["mp4_rotated"], dst)
    info = probe(dst)
    assert (info.width, info.height) == (240, 320)
    assert info.rotation == 0


@pytest.mark.parametrize("kind", ["truncated_mp4", "zero_byte", "text_as_mp4", "random_mov"])
def test_corrupt_input_raises_media_error(
    corrupt: dict[str, Path], tmp_path: Path, kind: str
) -> None:
    dst = tmp_path / "proxy.mp4"
    dst.write_bytes(b"previous proxy")
    with pytest.raises(MediaError):
        make_proxy(corrupt[kind], dst)
    # A failed run must neither clobber the old output nor leave temp files.
    assert dst.read_bytes() == b"previous proxy"
    assert no_leftovers(tmp_path)


def test_cut_file_gives_partial_proxy(corrupt: dict[str, Path], tmp_path: Path) -> None:
    # Probe flags this file; a proxy of what survives is still useful for review.
    dst = tmp_path / "proxy.mp4"
    make_proxy(corrupt["mdat_cut_mp4"], dst)
    info = probe(dst)
    assert info.browser_playable
    assert info.duration_s is not None
    assert 0.3 < info.duration_s < 1.5


def test_missing_destination_folder_is_media_error(clips: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(MediaError):
        make_proxy(clips["mp4_h264"], tmp_path / "no" / "such" / "proxy.mp4")


@pytest.mark.parametrize(
    ("name", "size"),
    [("mp4_h264", (320, 240)), ("webm_vp9", (320, 240)), ("mp4_rotated", (240, 320))],
)
def test_poster_is_a_jpeg_of_display_size(
    clips: dict[str, Path], tmp_path: Path, name: str, size: tuple[int, int]
) -> None:
    dst = tmp_path / "poster.jpg"
    make_poster(clips[name], dst)
    assert jpeg_size(dst) == size
    assert decoded_size(dst) == size
    assert no_leftovers(tmp_path)


def test_poster_at_time_and_past_end(clips: dict[str, Path], tmp_path: Path) -> None:
    make_poster(clips["mkv_h264"], tmp_path / "a.jpg", at_s=1.5)
    make_poster(clips["mkv_h264"], tmp_path / "b.jpg", at_s=60.0)
    make_poster(clips["mkv_h264"], tmp_path / "c.jpg", at_s=0.0)
    # Different moments of a moving picture give different images.
    images = {(tmp_path / n).read_bytes() for n in ("a.jpg", "b.jpg", "c.jpg")}
    assert len(images) == 3


def test_poster_respects_max_height(clips: dict[str, Path], tmp_path: Path) -> None:
    make_poster(clips["mp4_h264"], tmp_path / "p.jpg", max_height=120)
    assert jpeg_size(tmp_path / "p.jpg") == (160, 120)


@pytest.mark.parametrize(
    ("name", "count", "height", "size"),
    [
        ("mp4_h264", 10, 90, (1200, 90)),
        ("mkv_mpeg2", 4, 60, (320, 60)),
        ("mp4_rotated", 5, 90, (340, 90)),
    ],
)
def test_thumbnail_strip_dimensions(
    clips: dict[str, Path],
    tmp_path: Path,
    name: str,
    count: int,
    height: int,
    size: tuple[int, int],
) -> None:
    dst = tmp_path / "strip.jpg"
    make_thumbnail_strip(clips[name], dst, count=count, height=height)
    assert jpeg_size(dst) == size
    assert decoded_size(dst) == size


def test_strip_with_more_tiles_than_frames(tmp_path: Path) -> None:
    short = make_clip(tmp_path / "short.mp4", seconds=0.2, fps=10, audio=False)
    make_thumbnail_strip(short, tmp_path / "strip.jpg", count=6, height=30)
    assert jpeg_size(tmp_path / "strip.jpg") == (240, 30)


@pytest.mark.parametrize("maker", [make_poster, make_thumbnail_strip])
@pytest.mark.parametrize("kind", ["truncated_mp4", "zero_byte", "text_as_mp4"])
def test_stills_of_corrupt_input_raise_media_error(
    corrupt: dict[str, Path], tmp_path: Path, kind: str, maker: object
) -> None:
    assert callable(maker)
    with pytest.raises(MediaError):
        maker(corrupt[kind], tmp_path / "out.jpg")
    assert not (tmp_path / "out.jpg").exists()
    assert no_leftovers(tmp_path)
