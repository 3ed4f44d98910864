"""Cheap structural reading of ISO BMFF (MP4/MOV) and EBML (Matroska/WebM) files.

FFmpeg is forgiving by design: a file cut off in the middle of its media data
opens and decodes up to the cut without any error. For evidence we must say
that a file is damaged, so these helpers read the containers' own size
declarations and compare them with the bytes actually present. They only
ever read box/element headers (a few bytes each, found by seeking), so they
cost the same for a 50 MB clip and a 50 GB one.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

# Box types that may legitimately open an ISO BMFF / QuickTime file. QuickTime
# files predate 'ftyp' and may start with 'wide', 'mdat' or 'moov'.
_ISO_LEADING_TYPES = frozenset(
    {"ftyp", "styp", "moov", "mdat", "free", "skip", "wide", "pnot", "uuid", "sidx", "moof"}
)
# Containers whose children are boxes, walked when looking for sample entries.
_ISO_CONTAINER_TYPES = frozenset({"moov", "trak", "mdia", "minf", "stbl"})

_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_EBML_DOCTYPE_ID = 0x4282
_EBML_SEGMENT_ID = 0x18538067

# A hostile file could declare millions of tiny boxes; past this many we stop
# looking rather than spend unbounded time on a probe.
_MAX_BOXES = 200_000


@dataclass(frozen=True, slots=True)
class Box:
    """One ISO BMFF box: its four-character type and where it lies in the file."""

    type: str
    offset: int
    size: int
    header_size: int

    @property
    def end(self) -> int:
        return self.offset + self.size


@dataclass(frozen=True, slots=True)
class IsoLayout:
    """The top-level box layout of an ISO BMFF file."""

    boxes: tuple[Box, ...]
    file_size: int
    # Set when the last box claims more bytes than the file holds.
    overrun: Box | None
    # Bytes after the last well-formed box (zero-filled tails, junk).
    trailing: int = 0

    def types(self) -> list[str]:
        return [b.type for b in self.boxes]

    @property
    def has_moov(self) -> bool:
        return "moov" in self.types()

    @property
    def fragmented(self) -> bool:
        return "moof" in self.types()


@dataclass(frozen=True, slots=True)
class EbmlLayout:
    """What the EBML header and Segment element declare."""

    doc_type: str | None
    file_size: int
    # None when the Segment has the "unknown size" marker (live recordings).
    segment_end: int | None
    # The file ends before a Segment element could be read at all.
    segment_missing: bool = False

    @property
    def overrun(self) -> bool:
        if self.segment_missing:
            return True
        return self.segment_end is not None and self.segment_end > self.file_size


def _fourcc(raw: bytes) -> str | None:
    # QuickTime uses 0xA9 ('©') in user-data types, so accept Latin-1 printables.
    if len(raw) != 4 or any(b < 0x20 or b == 0x7F for b in raw):
        return None
    return raw.decode("latin-1")


def _read_box_header(fh: BinaryIO, offset: int, limit: int) -> Box | None:
    """Read the box header at offset; None if no plausible header fits before limit."""
    if limit - offset < 8:
        return None
    fh.seek(offset)
    head = fh.read(8)
    if len(head) < 8:
        return None
    size = struct.unpack(">I", head[:4])[0]
    box_type = _fourcc(head[4:])
    if box_type is None:
        return None
    header_size = 8
    if size == 1:
        large = fh.read(8)
        if len(large) < 8:
            return None
        size = struct.unpack(">Q", large)[0]
        header_size = 16
    elif size == 0:
        # Size 0 means "extends to the end of the file" (used for the last box).
        size = limit - offset
    if box_type == "uuid":
        header_size += 16
    if size < header_size:
        return None
    return Box(box_type, offset, size, header_size)


def iter_boxes(fh: BinaryIO, start: int, end: int) -> Iterator[Box]:
    """Yield consecutive boxes in [start, end), stopping at the first implausible header.

    A box may extend past ``end``; callers decide whether that is damage.
    """
    offset = start
    for _ in range(_MAX_BOXES):
        box = _read_box_header(fh, offset, end)
        if box is None:
            return
        yield box
        if box.end >= end:
            return
        offset = box.end


def looks_like_iso_bmff(head: bytes) -> bool:
    """True if the first bytes of a file form a plausible leading ISO BMFF box."""
    if len(head) < 8:
        return False
    size = struct.unpack(">I", head[:4])[0]
    return _fourcc(head[4:8]) in _ISO_LEADING_TYPES and (size in (0, 1) or size >= 8)


def read_iso_layout(fh: BinaryIO, file_size: int) -> IsoLayout:
    boxes = tuple(iter_boxes(fh, 0, file_size))
    overrun = boxes[-1] if boxes and boxes[-1].end > file_size else None
    trailing = max(0, file_size - boxes[-1].end) if boxes else file_size
    return IsoLayout(boxes=boxes, file_size=file_size, overrun=overrun, trailing=trailing)


def top_level_boxes(path: Path) -> list[Box]:
    """The top-level boxes of an MP4/MOV file, in file order."""
    with path.open("rb") as fh:
        size = fh.seek(0, 2)
        return list(iter_boxes(fh, 0, size))


def is_faststart(path: Path) -> bool:
    """True if 'moov' precedes the first 'mdat', so playback can start before download ends."""
    types = [b.type for b in top_level_boxes(path)]
    if "moov" not in types:
        return False
    return "mdat" not in types or types.index("moov") < types.index("mdat")


def iso_video_sample_entries(fh: BinaryIO, layout: IsoLayout) -> list[Box]:
    """Sample-entry boxes of the video tracks; their types are fourccs like 'avc1'.

    FFmpeg reports a track with an unknown fourcc as having no codec and does
    not say what the fourcc was; this reads it from 'stsd' so a reason can.
    """
    moov = next((b for b in layout.boxes if b.type == "moov"), None)
    if moov is None or moov.end > layout.file_size:
        return []
    found: list[Box] = []
    for trak in iter_boxes(fh, moov.offset + moov.header_size, moov.end):
        if trak.type != "trak":
            continue
        handler, entries = _scan_trak(fh, trak)
        if handler == "vide":
            found.extend(entries)
    return found


def _scan_trak(fh: BinaryIO, trak: Box) -> tuple[str | None, list[Box]]:
    handler: str | None = None
    entries: list[Box] = []
    stack = [trak]
    while stack:
        parent = stack.pop()
        for box in iter_boxes(fh, parent.offset + parent.header_size, parent.end):
            if box.type in _ISO_CONTAINER_TYPES:
                stack.append(box)
            elif box.type == "hdlr":
                # version/flags (4) + pre_defined (4), then the handler type.
                fh.seek(box.offset + box.header_size + 8)
                handler = _fourcc(fh.read(4))
            elif box.type == "stsd":
                # version/flags (4) + entry_count (4), then sample entries (boxes).
                first = box.offset + box.header_size + 8
                entries.extend(iter_boxes(fh, first, box.end))
    return handler, entries


def _read_vint(fh: BinaryIO, *, keep_marker: bool) -> tuple[int, int] | None:
    """Read an EBML variable-length integer; returns (value, length) or None.

    For sizes, a value of all ones means "unknown" and is returned as -1.
    """
    first = fh.read(1)
    if not first:
        return None
    lead = first[0]
    length = 1
    mask = 0x80
    while length <= 8 and not lead & mask:
        mask >>= 1
        length += 1
    if length > 8:
        return None
    rest = fh.read(length - 1)
    if len(rest) != length - 1:
        return None
    value = lead if keep_marker else lead & (mask - 1)
    for b in rest:
        value = (value << 8) | b
    if not keep_marker and value == (1 << (7 * length)) - 1:
        return -1, length
    return value, length


def zero_tail_length(fh: BinaryIO, file_size: int, limit: int = 16 << 20) -> int:
    """How many bytes at the end of the file are zero, counting at most ``limit``.

    Real containers end in index or media data, never in a run of zeros; a
    zero-filled tail is what failing cards and filesystem repairs leave.
    """
    chunk_size = 64 << 10
    counted = 0
    position = file_size
    while position > 0 and counted < limit:
        start = max(0, position - chunk_size)
        fh.seek(start)
        chunk = fh.read(position - start)
        kept = len(chunk.rstrip(b"\x00"))
        counted += len(chunk) - kept
        if kept:
            break
        position = start
    return min(counted, limit)


def looks_like_ebml(head: bytes) -> bool:
    return head.startswith(_EBML_MAGIC)


def read_ebml_layout(fh: BinaryIO, file_size: int) -> EbmlLayout | None:
    """Read the EBML header's DocType and the Segment's declared extent."""
    fh.seek(0)
    header_id = _read_vint(fh, keep_marker=True)
    header_size = _read_vint(fh, keep_marker=False)
    if header_id is None or header_size is None or header_size[0] < 0:
        return None
    body_start = fh.tell()
    body_end = body_start + header_size[0]
    doc_type: str | None = None
    while fh.tell() < body_end:
        element_id = _read_vint(fh, keep_marker=True)
        element_size = _read_vint(fh, keep_marker=False)
        if element_id is None or element_size is None or element_size[0] < 0:
            return None
        data = fh.read(element_size[0]) if element_size[0] <= 64 else b""
        if element_id[0] == _EBML_DOCTYPE_ID:
            doc_type = data.rstrip(b"\x00").decode("ascii", "replace")
        elif element_size[0] > 64:
            fh.seek(element_size[0], 1)
    fh.seek(body_end)
    segment_id = _read_vint(fh, keep_marker=True)
    segment_size = _read_vint(fh, keep_marker=False)
    if segment_id is None or segment_size is None:
        return EbmlLayout(doc_type, file_size, segment_end=None, segment_missing=True)
    segment_end: int | None = None
    if segment_id[0] == _EBML_SEGMENT_ID and segment_size[0] >= 0:
        segment_end = fh.tell() + segment_size[0]
    return EbmlLayout(doc_type, file_size, segment_end=segment_end)
