"""WebVTT, strictly: parse a caption file into cues, write cues back, and a transcript.

What is accepted (a subset of the W3C WebVTT format that every player reads):

- the ``WEBVTT`` signature line, optionally followed by a space or tab and a header text;
- ``NOTE`` comment blocks (dropped);
- cues: an optional identifier line, a timing line ``start --> end`` with times written
  ``HH:MM:SS.mmm`` or ``MM:SS.mmm`` (cue settings after the end time are dropped), then one
  or more lines of plain text.

What is refused, with the line it is on: ``STYLE`` and ``REGION`` blocks, markup in cue
text (``<b>``, ``<v Name>``: write ``&lt;`` for a less-than sign), a cue that ends before it
starts, cues out of order or overlapping, a cue past the recording's end, and files or cues
larger than the limits below. Text is stored unescaped and escaped again when written
(``&`` ``<`` ``>``), so a file written here parses back to the same cues.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sunlight.errors import InvalidInput

MAX_VTT_BYTES = 1024 * 1024
MAX_CUES = 10_000
MAX_CUE_CHARS = 500
#: A cue may end this far past the recording's stated duration (rounding in muxers).
END_SLACK_S = 0.5
#: The longest time a cue may carry (100 hours; the format's hours field is open-ended).
MAX_TIME_S = 100 * 3600.0

_TIME = re.compile(r"^(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})$")
_ENTITIES = {
    "&amp;": "&",
    "&lt;": "<",
    "&gt;": ">",
    "&nbsp;": "\u00a0",
    "&lrm;": "\u200e",
    "&rlm;": "\u200f",
}
_ENTITY = re.compile(r"&(amp|lt|gt|nbsp|lrm|rlm);")


class CaptionError(InvalidInput):
    """A caption file or cue list that is refused; the message says where and why."""


@dataclass(frozen=True)
class Cue:
    start_s: float
    end_s: float
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"start_s": self.start_s, "end_s": self.end_s, "text": self.text}


def format_time(seconds: float) -> str:
    """``HH:MM:SS.mmm`` (hours always written, so every cue lines up)."""
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def parse_time(text: str, where: str) -> float:
    match = _TIME.match(text)
    if match is None:
        raise CaptionError(f"{where}: {text!r} is not a time (HH:MM:SS.mmm or MM:SS.mmm)")
    hours, minutes, secs, millis = match.groups()
    value = int(hours or 0) * 3600 + int(minutes) * 60 + int(secs) + int(millis) / 1000
    if value > MAX_TIME_S:
        raise CaptionError(f"{where}: {text!r} is past the longest time accepted")
    return round(value, 3)


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _unescape(text: str, where: str) -> str:
    if "<" in text:
        raise CaptionError(
            f"{where}: markup in cue text is not accepted (write &lt; for a less-than sign)"
        )
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(0)], text)


def _clean_text(text: str, where: str) -> str:
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    cleaned = "\n".join(line for line in lines if line)
    if not cleaned:
        raise CaptionError(f"{where}: a cue needs text")
    if len(cleaned) > MAX_CUE_CHARS:
        raise CaptionError(f"{where}: cue text is longer than {MAX_CUE_CHARS} characters")
    if "-->" in cleaned:
        raise CaptionError(f"{where}: cue text may not contain '-->'")
    if any(ord(c) < 32 and c != "\n" for c in cleaned):
        raise CaptionError(f"{where}: cue text has a control character")
    return cleaned


def check_cues(cues: Iterable[Cue], *, duration_s: float | None = None) -> list[Cue]:
    """The cues, checked: each ends after it starts, in order and not overlapping, within
    the recording (when its duration is known), with text within the limits."""
    checked: list[Cue] = []
    previous: Cue | None = None
    for n, cue in enumerate(cues, start=1):
        where = f"cue {n} ({format_time(cue.start_s)})"
        if n > MAX_CUES:
            raise CaptionError(f"more than {MAX_CUES} cues")
        if not (0 <= cue.start_s < cue.end_s <= MAX_TIME_S):
            raise CaptionError(f"{where}: needs 0 <= start < end")
        if duration_s is not None and cue.end_s > duration_s + END_SLACK_S:
            raise CaptionError(
                f"{where}: ends at {format_time(cue.end_s)}, after the recording's end "
                f"({format_time(duration_s)})"
            )
        if previous is not None:
            if cue.start_s < previous.start_s:
                raise CaptionError(f"{where}: starts before the cue above it (out of order)")
            if cue.start_s < previous.end_s:
                raise CaptionError(
                    f"{where}: overlaps the cue above it (which ends at "
                    f"{format_time(previous.end_s)})"
                )
        text = _clean_text(cue.text, where)
        fixed = Cue(round(cue.start_s, 3), round(cue.end_s, 3), text)
        checked.append(fixed)
        previous = fixed
    return checked


def parse_vtt(source: str | bytes, *, duration_s: float | None = None) -> list[Cue]:
    """The cues of a WebVTT file, checked (see the module's rules)."""
    if isinstance(source, bytes):
        if len(source) > MAX_VTT_BYTES:
            raise CaptionError(f"the caption file is larger than {MAX_VTT_BYTES} bytes")
        try:
            source = source.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CaptionError("a caption file must be UTF-8 text") from exc
    if len(source.encode("utf-8")) > MAX_VTT_BYTES:
        raise CaptionError(f"the caption file is larger than {MAX_VTT_BYTES} bytes")
    text = source.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        raise CaptionError("a caption file may not contain NUL characters")
    lines = text.split("\n")
    first = lines[0]
    if not (first == "WEBVTT" or first.startswith(("WEBVTT ", "WEBVTT\t"))):
        raise CaptionError("line 1: a WebVTT file starts with 'WEBVTT'")
    # The header runs to the first blank line.
    i = 1
    while i < len(lines) and lines[i].strip():
        if "-->" in lines[i]:
            raise CaptionError(f"line {i + 1}: a blank line must follow the WEBVTT header")
        i += 1
    cues: list[Cue] = []
    while i < len(lines):
        while i < len(lines) and not lines[i].strip():
            i += 1
        if i >= len(lines):
            break
        start_line = i
        block: list[str] = []
        while i < len(lines) and lines[i].strip():
            block.append(lines[i])
            i += 1
        head = block[0]
        if head == "NOTE" or head.startswith(("NOTE ", "NOTE\t")):
            continue
        if head in ("STYLE", "REGION") or head.startswith(("STYLE ", "REGION ")):
            raise CaptionError(f"line {start_line + 1}: {head.split()[0]} blocks are not accepted")
        timing_at = 0 if "-->" in head else 1
        if timing_at >= len(block) or "-->" not in block[timing_at]:
            raise CaptionError(f"line {start_line + 1}: expected a cue timing 'start --> end'")
        where = f"line {start_line + timing_at + 1}"
        left, _, right = block[timing_at].partition("-->")
        parts = right.split()
        if not left.strip() or not parts:
            raise CaptionError(f"{where}: expected a cue timing 'start --> end'")
        start = parse_time(left.strip(), where)
        end = parse_time(parts[0], where)
        body = block[timing_at + 1 :]
        if not body:
            raise CaptionError(f"{where}: a cue needs text")
        cue_text = "\n".join(
            _unescape(line, f"line {start_line + timing_at + 2 + k}") for k, line in enumerate(body)
        )
        cues.append(Cue(start, end, cue_text))
        if len(cues) > MAX_CUES:
            raise CaptionError(f"more than {MAX_CUES} cues")
    return check_cues(cues, duration_s=duration_s)


def to_vtt(cues: Iterable[Cue]) -> str:
    """A WebVTT file of the cues (text escaped); ``parse_vtt`` reads it back unchanged."""
    out = ["WEBVTT", ""]
    for n, cue in enumerate(cues, start=1):
        out.append(str(n))
        out.append(f"{format_time(cue.start_s)} --> {format_time(cue.end_s)}")
        out.extend(escape(line) for line in cue.text.split("\n"))
        out.append("")
    return "\n".join(out)


def cues_from_json(items: Any) -> list[Cue]:
    """Cues from a JSON list of ``{start_s, end_s, text}`` (not yet checked)."""
    if not isinstance(items, list):
        raise CaptionError("cues: must be a list")
    cues = []
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise CaptionError(f"cue {n}: must be an object")
        start, end, text = item.get("start_s"), item.get("end_s"), item.get("text")
        if isinstance(start, bool) or not isinstance(start, int | float):
            raise CaptionError(f"cue {n}: start_s must be a number")
        if isinstance(end, bool) or not isinstance(end, int | float):
            raise CaptionError(f"cue {n}: end_s must be a number")
        if not isinstance(text, str):
            raise CaptionError(f"cue {n}: text must be a string")
        cues.append(Cue(float(start), float(end), text))
    return cues


@dataclass(frozen=True)
class TranscriptLine:
    at: str  # HH:MM:SS
    start_s: float
    end_s: float
    text: str


def transcript(cues: Iterable[Cue]) -> list[TranscriptLine]:
    """The cues as reading text: one line per cue with its start time (seconds)."""
    lines = []
    for cue in cues:
        whole = int(cue.start_s)
        at = f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}"
        lines.append(TranscriptLine(at, cue.start_s, cue.end_s, " ".join(cue.text.split("\n"))))
    return lines


def transcript_text(cues: Iterable[Cue]) -> str:
    return "".join(f"[{line.at}] {line.text}\n" for line in transcript(cues))
