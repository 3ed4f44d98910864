"""WebVTT: what is written parses back to the same cues, text is escaped, and every kind
of malformed or unsafe file is refused with a message that says where."""

from __future__ import annotations

import pytest

from sunlight.captions.vtt import (
    MAX_CUE_CHARS,
    CaptionError,
    Cue,
    check_cues,
    format_time,
    parse_vtt,
    to_vtt,
    transcript,
    transcript_text,
)

CUES = [
    Cue(0.0, 2.5, "Dispatch, unit 12 on scene."),
    Cue(2.5, 4.0, "Fish & chips <not a tag> > here"),
    Cue(61.25, 65.0, "Two lines\nof text"),
    Cue(3600.001, 3601.999, "An hour in."),
]


def test_round_trip_is_exact() -> None:
    text = to_vtt(CUES)
    assert text.startswith("WEBVTT\n\n1\n00:00:00.000 --> 00:00:02.500\n")
    assert "Fish &amp; chips &lt;not a tag&gt; &gt; here" in text
    assert parse_vtt(text) == CUES
    assert parse_vtt(text.encode()) == CUES
    assert to_vtt(parse_vtt(text)) == text


def test_accepts_the_format_as_tools_write_it() -> None:
    source = (
        "\ufeffWEBVTT - made elsewhere\r\nKind: captions\r\n\r\n"
        "NOTE a comment\r\nover two lines\r\n\r\n"
        "intro\r\n00:01.000 --> 00:02.000 align:start position:10%\r\nHello &amp;&nbsp;welcome\r\n"
        "\r\n\r\n00:00:03.000 --> 00:00:04.500\r\n  spaced  \r\n"
    )
    assert parse_vtt(source) == [
        Cue(1.0, 2.0, "Hello &\u00a0welcome"),
        Cue(3.0, 4.5, "spaced"),
    ]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("", "starts with 'WEBVTT'"),
        ("WEBVTTX\n\n00:00.000 --> 00:01.000\nx\n", "starts with 'WEBVTT'"),
        ("WEBVTT\n00:00.000 --> 00:01.000\nx\n", "blank line must follow"),
        ("WEBVTT\n\n00:02.000 --> 00:01.000\nx\n", "start < end"),
        ("WEBVTT\n\n00:01.000 --> 00:01.000\nx\n", "start < end"),
        ("WEBVTT\n\n00:00.000 --> 00:02.000\na\n\n00:01.000 --> 00:03.000\nb\n", "overlaps"),
        ("WEBVTT\n\n00:05.000 --> 00:06.000\na\n\n00:01.000 --> 00:02.000\nb\n", "out of order"),
        ("WEBVTT\n\n0:00.000 --> 00:01.000\nx\n", "is not a time"),
        ("WEBVTT\n\n00:61.000 --> 00:62.000\nx\n", "is not a time"),
        ("WEBVTT\n\n00:00.00 --> 00:01.000\nx\n", "is not a time"),
        ("WEBVTT\n\n00:00.000 --> 00:01.000\n", "needs text"),
        ("WEBVTT\n\nid only\n\n", "expected a cue timing"),
        ("WEBVTT\n\n00:00.000 --> 00:01.000\n<b>bold</b>\n", "markup"),
        ("WEBVTT\n\n00:00.000 --> 00:01.000\n<v Officer>hello\n", "markup"),
        ("WEBVTT\n\nSTYLE\n::cue { color: red }\n", "STYLE blocks"),
        ("WEBVTT\n\nREGION\nid:fred\n", "REGION blocks"),
        ("WEBVTT\n\n00:00.000 --> 00:01.000\na\x07b\n", "control character"),
        ("WEBVTT\n\n00:00.000 --> 00:01.000\na\x00\n", "NUL"),
    ],
)
def test_refusals_say_why(source: str, message: str) -> None:
    with pytest.raises(CaptionError, match=message):
        parse_vtt(source)


def test_refuses_cues_past_the_recording_and_oversized_input() -> None:
    source = "WEBVTT\n\n00:00:09.000 --> 00:00:12.000\nlate\n"
    assert parse_vtt(source, duration_s=11.6)  # within the slack for muxer rounding
    with pytest.raises(CaptionError, match="after the recording's end"):
        parse_vtt(source, duration_s=10.0)
    with pytest.raises(CaptionError, match="longer than"):
        check_cues([Cue(0, 1, "x" * (MAX_CUE_CHARS + 1))])
    with pytest.raises(CaptionError, match="larger than"):
        parse_vtt(b"WEBVTT\n\n" + b"x" * (1024 * 1024))
    with pytest.raises(CaptionError, match="UTF-8"):
        parse_vtt(b"WEBVTT\n\n00:00.000 --> 00:01.000\n\xff\n")
    with pytest.raises(CaptionError, match="may not contain '-->'"):
        check_cues([Cue(0, 1, "a --> b")])


def test_transcript_is_the_cues_with_their_times() -> None:
    lines = transcript(CUES)
    assert [(line.at, line.text) for line in lines] == [
        ("00:00:00", "Dispatch, unit 12 on scene."),
        ("00:00:02", "Fish & chips <not a tag> > here"),
        ("00:01:01", "Two lines of text"),
        ("01:00:00", "An hour in."),
    ]
    assert transcript_text(CUES).splitlines()[2] == "[00:01:01] Two lines of text"
    assert format_time(3723.5) == "01:02:03.500"
