"""The redaction plan: what to hide, where, when, and why — as data.

Detection produces a plan; people review and change it; rendering applies exactly it. A
plan is canonical JSON (sorted keys, no spaces, UTF-8), so its SHA-256 identifies it: the
rendered recording's custody events and C2PA manifest name that hash, and anyone holding
the plan can check which redactions were made and under which statute.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any

from sunlight.errors import InvalidInput
from sunlight.redaction.track import Box, box_at
from sunlight.validation import loads_json

SCHEMA = "sunlight.redaction-plan/1"

# Every redaction cites the provision it relies on (RSMo 610.024 requires exempt material
# to be separated out and the rest released; 610.100 governs mobile video recordings).
STATUTES = ("RSMo 610.024", "RSMo 610.100")
DEFAULT_FACE_REASON = {
    "statute": "RSMo 610.024",
    "text": "Face of a person not relevant to the request: exempt material separated out.",
}
DEFAULT_AUDIO_REASON = {
    "statute": "RSMo 610.024",
    "text": "Audio with exempt personal information: exempt material separated out.",
}
KINDS = ("face", "plate", "screen", "document", "other")
SOURCES = ("detector", "manual")
AUDIO_MODES = ("silence", "tone")
FILLS = ("pixelate", "solid")
REVIEW_KINDS = ("weak", "gap", "start", "end", "small")
MAX_REVIEW = 1000

PLAN_JSON_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://sunlight.example/schemas/redaction-plan-1.json",
    "title": "Sunlight redaction plan",
    "type": "object",
    "required": ["schema", "recording_sha256", "width", "height", "fps", "frame_count"],
    "properties": {
        "schema": {"const": SCHEMA},
        "recording_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "width": {"type": "integer", "minimum": 1},
        "height": {"type": "integer", "minimum": 1},
        "fps": {"type": "number", "exclusiveMinimum": 0},
        "frame_count": {"type": "integer", "minimum": 0},
        "fill": {"enum": list(FILLS)},
        "detector": {"type": "object"},
        "tracks": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "kind", "source", "keyframes", "reason"],
                "properties": {
                    "id": {"type": "string", "minLength": 1, "maxLength": 64},
                    "kind": {"enum": list(KINDS)},
                    "source": {"enum": list(SOURCES)},
                    "keep_visible": {"type": "boolean"},
                    "keyframes": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "array",
                            "prefixItems": [{"type": "integer", "minimum": 0}]
                            + [{"type": "number"}] * 4,
                            "minItems": 5,
                            "maxItems": 5,
                        },
                    },
                    "reason": {"$ref": "#/$defs/reason"},
                },
            },
        },
        "review": {
            "description": "Check these: frames a reviewer should look at first.",
            "type": "array",
            "maxItems": MAX_REVIEW,
            "items": {
                "type": "object",
                "required": ["kind", "frame"],
                "properties": {
                    "kind": {"enum": list(REVIEW_KINDS)},
                    "track": {"type": ["string", "null"], "maxLength": 64},
                    "frame": {"type": "integer", "minimum": 0},
                    "end_frame": {"type": "integer", "minimum": 0},
                    "note": {"type": "string", "maxLength": 500},
                },
            },
        },
        "audio_mutes": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["start_s", "end_s", "reason"],
                "properties": {
                    "start_s": {"type": "number", "minimum": 0},
                    "end_s": {"type": "number", "minimum": 0},
                    "mode": {"enum": list(AUDIO_MODES)},
                    "reason": {"$ref": "#/$defs/reason"},
                },
            },
        },
    },
    "$defs": {
        "reason": {
            "type": "object",
            "required": ["statute", "text"],
            "properties": {
                "statute": {"type": "string", "pattern": "^RSMo 610\\.(024|100)"},
                "text": {"type": "string", "maxLength": 2000},
            },
        }
    },
}


class PlanError(InvalidInput):
    """A plan document is malformed; the message says where."""


@dataclass(frozen=True)
class Reason:
    statute: str
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"statute": self.statute, "text": self.text}


@dataclass
class PlanTrack:
    id: str
    keyframes: list[tuple[int, Box]]
    kind: str = "face"
    source: str = "detector"
    keep_visible: bool = False
    reason: Reason = field(default_factory=lambda: Reason(**DEFAULT_FACE_REASON))

    def box_at(self, frame: int) -> Box | None:
        return box_at(self.keyframes, frame)

    @property
    def span(self) -> tuple[int, int]:
        return self.keyframes[0][0], self.keyframes[-1][0]


@dataclass
class AudioMute:
    start_s: float
    end_s: float
    mode: str = "silence"
    reason: Reason = field(default_factory=lambda: Reason(**DEFAULT_AUDIO_REASON))


@dataclass
class Plan:
    recording_sha256: str
    width: int
    height: int
    fps: float
    frame_count: int
    tracks: list[PlanTrack] = field(default_factory=list)
    audio_mutes: list[AudioMute] = field(default_factory=list)
    fill: str = "pixelate"
    detector: dict[str, Any] = field(default_factory=dict)
    # "Check these": what the reviewer should look at first (see review.py). Only
    # written when present, so plans without it keep their hash.
    review: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        document = {
            "schema": SCHEMA,
            "recording_sha256": self.recording_sha256,
            "width": self.width,
            "height": self.height,
            "fps": self.fps,
            "frame_count": self.frame_count,
            "fill": self.fill,
            "detector": self.detector,
            "tracks": [
                {
                    "id": t.id,
                    "kind": t.kind,
                    "source": t.source,
                    "keep_visible": t.keep_visible,
                    "keyframes": [[f, *(round(v, 1) for v in box)] for f, box in t.keyframes],
                    "reason": t.reason.to_dict(),
                }
                for t in self.tracks
            ],
            "audio_mutes": [
                {
                    "start_s": m.start_s,
                    "end_s": m.end_s,
                    "mode": m.mode,
                    "reason": m.reason.to_dict(),
                }
                for m in self.audio_mutes
            ],
        }
        if self.review:
            document["review"] = [dict(r) for r in self.review]
        return document

    def canonical(self) -> bytes:
        return canonical_json(self.to_dict())

    def sha256(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()

    def boxes_at(self, frame: int) -> list[Box]:
        """Every box to redact on one frame (keep-visible tracks excluded)."""
        out = []
        for track in self.tracks:
            if track.keep_visible:
                continue
            box = track.box_at(frame)
            if box is not None:
                out.append(box)
        return out


def canonical_json(document: Any) -> bytes:
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _reason(value: Any, where: str) -> Reason:
    if not isinstance(value, dict):
        raise PlanError(f"{where}.reason: must be an object with statute and text")
    statute, text = value.get("statute"), value.get("text")
    if not isinstance(statute, str) or not statute.startswith(STATUTES):
        raise PlanError(f"{where}.reason.statute: must cite one of {', '.join(STATUTES)}")
    if not isinstance(text, str) or not text.strip() or len(text) > 2000:
        raise PlanError(f"{where}.reason.text: 1 to 2000 characters")
    return Reason(statute, text)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PlanError(f"{where}: must be a number")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise PlanError(f"{where}: must be a finite number")
    return number


def parse_plan(document: Any) -> Plan:
    """Validate a plan document (as loaded from JSON) against the schema and the rules
    JSON Schema cannot say (ordered keyframes, boxes inside the frame)."""
    if not isinstance(document, dict):
        raise PlanError("plan must be a JSON object")
    if document.get("schema") != SCHEMA:
        raise PlanError(f"schema: expected {SCHEMA!r}")
    sha = document.get("recording_sha256")
    if not isinstance(sha, str) or len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise PlanError("recording_sha256: 64 lowercase hex digits")
    ints = {}
    for key in ("width", "height", "frame_count"):
        value = document.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise PlanError(f"{key}: must be a non-negative integer")
        ints[key] = value
    fps = _number(document.get("fps"), "fps")
    if fps <= 0:
        raise PlanError("fps: must be positive")
    fill = document.get("fill", "pixelate")
    if fill not in FILLS:
        raise PlanError(f"fill: one of {FILLS}")
    width, height = ints["width"], ints["height"]
    tracks: list[PlanTrack] = []
    seen: set[str] = set()
    for i, raw in enumerate(document.get("tracks") or []):
        where = f"tracks[{i}]"
        if not isinstance(raw, dict):
            raise PlanError(f"{where}: must be an object")
        tid = raw.get("id")
        if not isinstance(tid, str) or not 0 < len(tid) <= 64 or tid in seen:
            raise PlanError(f"{where}.id: a unique string of 1 to 64 characters")
        seen.add(tid)
        kind = raw.get("kind", "face")
        source = raw.get("source", "manual")
        if kind not in KINDS:
            raise PlanError(f"{where}.kind: one of {KINDS}")
        if source not in SOURCES:
            raise PlanError(f"{where}.source: one of {SOURCES}")
        keep = raw.get("keep_visible", False)
        if not isinstance(keep, bool):
            raise PlanError(f"{where}.keep_visible: true or false")
        frames = raw.get("keyframes")
        if not isinstance(frames, list) or not frames:
            raise PlanError(f"{where}.keyframes: a non-empty list")
        keyframes: list[tuple[int, Box]] = []
        for j, kf in enumerate(frames):
            kw = f"{where}.keyframes[{j}]"
            if not isinstance(kf, list) or len(kf) != 5:
                raise PlanError(f"{kw}: [frame, x1, y1, x2, y2]")
            frame = kf[0]
            if isinstance(frame, bool) or not isinstance(frame, int) or frame < 0:
                raise PlanError(f"{kw}: frame must be a non-negative integer")
            x1, y1, x2, y2 = (_number(v, kw) for v in kf[1:])
            x1, x2 = max(0.0, min(x1, x2)), min(float(width), max(x1, x2))
            y1, y2 = max(0.0, min(y1, y2)), min(float(height), max(y1, y2))
            if x2 <= x1 or y2 <= y1:
                raise PlanError(f"{kw}: box is empty or outside the frame")
            if keyframes and frame <= keyframes[-1][0]:
                raise PlanError(f"{kw}: frames must increase")
            keyframes.append((frame, (x1, y1, x2, y2)))
        tracks.append(
            PlanTrack(tid, keyframes, kind, source, keep, _reason(raw.get("reason"), where))
        )
    mutes: list[AudioMute] = []
    for i, raw in enumerate(document.get("audio_mutes") or []):
        where = f"audio_mutes[{i}]"
        if not isinstance(raw, dict):
            raise PlanError(f"{where}: must be an object")
        start = _number(raw.get("start_s"), f"{where}.start_s")
        end = _number(raw.get("end_s"), f"{where}.end_s")
        if start < 0 or end <= start:
            raise PlanError(f"{where}: needs 0 <= start_s < end_s")
        mode = raw.get("mode", "silence")
        if mode not in AUDIO_MODES:
            raise PlanError(f"{where}.mode: one of {AUDIO_MODES}")
        mutes.append(AudioMute(start, end, mode, _reason(raw.get("reason"), where)))
    detector = document.get("detector") or {}
    if not isinstance(detector, dict):
        raise PlanError("detector: must be an object")
    review = _review(document.get("review") or [])
    return Plan(
        recording_sha256=sha,
        width=width,
        height=height,
        fps=fps,
        frame_count=ints["frame_count"],
        tracks=tracks,
        audio_mutes=mutes,
        fill=fill,
        detector=detector,
        review=review,
    )


def _review(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or len(raw) > MAX_REVIEW:
        raise PlanError(f"review: a list of at most {MAX_REVIEW} items")
    out: list[dict[str, Any]] = []
    for i, item in enumerate(raw):
        where = f"review[{i}]"
        if not isinstance(item, dict) or item.get("kind") not in REVIEW_KINDS:
            raise PlanError(f"{where}: an object whose kind is one of {REVIEW_KINDS}")
        entry: dict[str, Any] = {"kind": item["kind"]}
        for key in ("frame", "end_frame"):
            value = item.get(key)
            if value is None and key == "end_frame":
                continue
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**31:
                raise PlanError(f"{where}.{key}: a frame number")
            entry[key] = value
        track = item.get("track")
        if track is not None and (not isinstance(track, str) or not 0 < len(track) <= 64):
            raise PlanError(f"{where}.track: a track id")
        entry["track"] = track
        note = item.get("note", "")
        if not isinstance(note, str) or len(note) > 500:
            raise PlanError(f"{where}.note: at most 500 characters")
        entry["note"] = note
        out.append(entry)
    return out


def load_plan(data: bytes | str) -> Plan:
    try:
        document = loads_json(data)  # bounded depth, finite numbers
    except InvalidInput as exc:
        raise PlanError(f"not valid JSON: {exc}") from exc
    return parse_plan(document)
