"""probe(): what a file is, whether it plays, and why not."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta, timezone
from fractions import Fraction
from pathlib import Path

import av
import pytest
from media_cases import CLIP_SPECS, CREATED, GPS

from sunlight.media import MediaInfo, probe
from sunlight.media.probe import parse_datetime, parse_iso6709
from sunlight.media.synth import (
    make_clip,
    make_truncated,
    make_unknown_codec,
    make_zeroed_tail,
)

CORRUPT_REASONS = {
    "truncated_mp4": "truncated: ",
    "mdat_cut_mp4": "truncated: ",
    "zero_byte": "zero-byte file",
    "text_as_mp4": "not a media container (it looks like a text file)",
    "random_mov": "not a media container (",
}


@pytest.mark.parametrize("name", list(CLIP_SPECS))
def test_probe_reports_synthetic_clips(clips: dict[str, Path], name: str) -> None:
    spec = CLIP_SPECS[name]
    info = probe(clips[name])
    assert info.playable, info.unplayable_reason
    assert info.unplayable_reason is None
    assert info.container == spec.container
    assert info.video_codec == spec.video_codec
    assert info.audio_codec == spec.audio_codec
    assert info.browser_playable is spec.browser_playable
    assert (info.width, info.height) == (320, 240)
    assert info.fps == pytest.approx(15)
    assert info.duration_s == pytest.approx(2.0, abs=0.05)
    assert info.size_bytes == clips[name].stat().st_size
    assert info.bit_rate is not None
    assert info.bit_rate > 0
    assert info.pix_fmt == "yuv420p"


def test_rotation_is_reported(clips: dict[str, Path]) -> None:
    assert probe(clips["mp4_rotated"]).rotation == 90
    assert probe(clips["mp4_h264"]).rotation == 0


@pytest.mark.parametrize("kind", list(CORRUPT_REASONS))
def test_corrupt_variants_are_unplayable_with_reason(corrupt: dict[str, Path], kind: str) -> None:
    info = probe(corrupt[kind])
    assert info.playable is False
    assert info.browser_playable is False
    assert info.unplayable_reason is not None
    assert info.unplayable_reason.startswith(CORRUPT_REASONS[kind]), info.unplayable_reason


def test_corrupt_variant_set_is_complete(corrupt: dict[str, Path]) -> None:
    assert set(corrupt) == set(CORRUPT_REASONS)
    assert all(p.exists() for p in corrupt.values())
    assert corrupt["zero_byte"].stat().st_size == 0


def test_missing_moov_is_explained(corrupt: dict[str, Path]) -> None:
    reason = probe(corrupt["truncated_mp4"]).unplayable_reason or ""
    assert "'mdat' box declares" in reason
    assert "no 'moov' index" in reason


def test_cut_mdat_reports_where_video_is_lost(corrupt: dict[str, Path]) -> None:
    # FFmpeg itself opens this file and decodes its first half without error.
    info = probe(corrupt["mdat_cut_mp4"])
    assert info.video_codec == "h264"
    assert info.duration_s == pytest.approx(2.0, abs=0.05)
    assert "onward is missing" in (info.unplayable_reason or "")


@pytest.mark.parametrize("name", ["mkv_h264", "webm_vp9"])
def test_truncated_matroska_is_detected(clips: dict[str, Path], tmp_path: Path, name: str) -> None:
    cut = make_truncated(clips[name], tmp_path / clips[name].name, 0.9)
    reason = probe(cut).unplayable_reason or ""
    assert reason.startswith("truncated: the Matroska segment"), reason


@pytest.mark.parametrize("name", ["mp4_h264", "mkv_h264", "mp4_h264_camera_order"])
def test_zero_filled_tail_is_damage(clips: dict[str, Path], tmp_path: Path, name: str) -> None:
    damaged = make_zeroed_tail(clips[name], tmp_path / clips[name].name, 0.3)
    assert damaged.stat().st_size == clips[name].stat().st_size
    info = probe(damaged)
    assert info.playable is False
    assert (info.unplayable_reason or "").startswith("damaged: the last"), info.unplayable_reason


def test_zero_filled_media_inside_the_index_is_damage(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    # Only a little is zeroed: too short for the tail scan, so this exercises
    # the check on the packets themselves after seeking near the end.
    damaged = make_zeroed_tail(clips["mp4_h264"], tmp_path / "z.mp4", 0.02)
    reason = probe(damaged).unplayable_reason or ""
    assert reason.startswith("damaged: the media is zero-filled from"), reason


def test_unknown_codec_names_the_fourcc(clips: dict[str, Path], tmp_path: Path) -> None:
    info = probe(make_unknown_codec(clips["mp4_h264"], tmp_path / "odd.mp4"))
    assert info.playable is False
    assert info.unplayable_reason == "unknown codec 'zzzz' (FFmpeg has no decoder for it)"
    # What the container says is still reported for the custody record.
    assert info.creation_time == CREATED


def test_audio_only_file_has_no_video(tmp_path: Path) -> None:
    path = tmp_path / "voice.m4a"
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("aac", rate=48_000, layout="mono")
        frame = av.AudioFrame(format="fltp", layout="mono", samples=1024)
        frame.planes[0].update(bytes(frame.planes[0].buffer_size))
        frame.sample_rate = 48_000
        for index in range(20):
            frame.pts = index * 1024
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    info = probe(path)
    assert info.playable is False
    assert info.audio_codec == "aac"
    assert (info.unplayable_reason or "").startswith("no decodable video stream")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (bytes(5000), "not a media container (every byte is zero)"),
        ("Ünïcödé notes\n" * 400, "not a media container (it looks like a text file)"),
    ],
)
def test_other_non_media(tmp_path: Path, content: bytes | str, reason: str) -> None:
    path = tmp_path / "x.mp4"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    assert probe(path).unplayable_reason == reason


def test_playlists_are_not_followed(clips: dict[str, Path], tmp_path: Path) -> None:
    from sunlight.media import MediaError, make_proxy

    playlist = tmp_path / "evidence.m3u8"
    playlist.write_text(
        f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:2,\n{clips['mkv_h264']}\n#EXT-X-ENDLIST\n"
    )
    assert probe(playlist).unplayable_reason == "not a media container (it looks like a text file)"
    # FFmpeg would happily open the referenced file; the demuxer whitelist stops it.
    with pytest.raises(MediaError, match="not a format accepted"):
        make_proxy(playlist, tmp_path / "proxy.mp4")


def test_still_image_is_not_a_video(clips: dict[str, Path], tmp_path: Path) -> None:
    from sunlight.media import make_poster

    poster = tmp_path / "still.jpg"
    make_poster(clips["mp4_h264"], poster)
    reason = probe(poster).unplayable_reason or ""
    assert reason.startswith("not a media container (it is a still image"), reason


def test_missing_path_and_directory(tmp_path: Path) -> None:
    assert (probe(tmp_path / "nope.mp4").unplayable_reason or "").startswith("cannot read file")
    assert probe(tmp_path).unplayable_reason == "not a regular file"


@pytest.mark.parametrize("container", ["mp4", "mov", "mkv", "webm"])
def test_creation_time_and_gps_round_trip(tmp_path: Path, container: str) -> None:
    created = datetime(2023, 11, 5, 23, 59, 1, 250_000, tzinfo=timezone(timedelta(hours=-5)))
    path = make_clip(
        tmp_path / f"tagged.{container}",
        seconds=0.5,
        container=container,  # type: ignore[arg-type]
        video_codec="vp9" if container == "webm" else "h264",
        audio=False,
        creation_time=created,
        gps=(-33.8688, 151.2093, 58.5),
    )
    info = probe(path)
    # MP4/MOV store creation time in whole seconds; Matroska in nanoseconds.
    expected = created.replace(microsecond=0) if container in ("mp4", "mov") else created
    assert info.creation_time == expected
    assert info.creation_time is not None
    assert info.creation_time.tzinfo == UTC
    assert info.gps == pytest.approx((-33.8688, 151.2093, 58.5))


def test_clip_without_tags_has_no_time_or_place(tmp_path: Path) -> None:
    info = probe(make_clip(tmp_path / "bare.mp4", seconds=0.5, audio=False))
    assert info.creation_time is None
    assert info.gps is None


def test_shared_clips_carry_tags(clips: dict[str, Path]) -> None:
    for name in CLIP_SPECS:
        info = probe(clips[name])
        assert info.creation_time == CREATED, name
        assert info.gps == pytest.approx(GPS), name


def test_to_dict_is_json_ready(clips: dict[str, Path]) -> None:
    info = probe(clips["mp4_h264"])
    data = json.loads(json.dumps(info.to_dict()))
    assert data["creation_time"] == "2024-05-01T12:34:56+00:00"
    assert data["gps"] == pytest.approx(list(GPS))
    assert data["playable"] is True
    assert set(data) == set(MediaInfo.__dataclass_fields__)


def test_probe_is_fast(clips: dict[str, Path]) -> None:
    probe(clips["mp4_h264"])  # warm up the libraries
    start = time.perf_counter()
    for _ in range(5):
        probe(clips["mp4_h264"])
    # Tens of ms per call in practice; the bound only catches whole-file reads
    # or decode-everything regressions on a loaded CI machine.
    assert (time.perf_counter() - start) / 5 < 0.5


def test_probe_never_raises_on_odd_input(tmp_path: Path) -> None:
    path = tmp_path / "odd.mkv"
    for payload in (b"\x1a\x45\xdf\xa3", b"\x1a\x45\xdf\xa3\x84", b"\x00\x00\x00\x08ftyp", b"\xff"):
        path.write_bytes(payload)
        assert probe(path).playable is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T12:34:56.000000Z", datetime(2024, 5, 1, 12, 34, 56, tzinfo=UTC)),
        ("2024-05-01T14:34:56+0200", datetime(2024, 5, 1, 12, 34, 56, tzinfo=UTC)),
        ("2024-05-01T07:34:56-05:00", datetime(2024, 5, 1, 12, 34, 56, tzinfo=UTC)),
        ("2024:05:01 12:34:56", datetime(2024, 5, 1, 12, 34, 56, tzinfo=UTC)),
        ("2024-05-01 12:34:56.5", datetime(2024, 5, 1, 12, 34, 56, 500_000, tzinfo=UTC)),
        ("2024-05-01", datetime(2024, 5, 1, tzinfo=UTC)),
        ("2024-13-01T00:00:00Z", None),
        ("yesterday", None),
        ("", None),
    ],
)
def test_parse_datetime(text: str, expected: datetime | None) -> None:
    assert parse_datetime(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+39.0997-094.5786/", (39.0997, -94.5786)),
        ("+39.0997-094.5786+250.500/", (39.0997, -94.5786, 250.5)),
        ("-33.8688+151.2093CRSWGS_84/", (-33.8688, 151.2093)),
        ("+3905.982-09434.716/", (39.0997, -94.5786)),
        ("+390559.0-0943443.0/", (float(39 + Fraction(5, 60) + Fraction(59, 3600)), -94.5786)),
        ("+91.0000+000.0000/", None),
        ("+39.0997/", None),
        ("somewhere", None),
    ],
)
def test_parse_iso6709(text: str, expected: tuple[float, ...] | None) -> None:
    result = parse_iso6709(text)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected, abs=1e-4)
