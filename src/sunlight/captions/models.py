"""Tables of the captions domain: a caption track per recording and language, its
versions (only ever added), and the background jobs that draft a version from speech.

Track and version numbers, not row ids, name the approved version (no cycle of foreign
keys between the two tables). A version holds its cues as JSON and the SHA-256 of their
WebVTT text, so the file served to the public can be checked against the approved version.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.ext.mutable import MutableDict
from sqlalchemy.orm import Mapped, mapped_column

from sunlight.db.base import Base, BigId, UTCDateTime, utcnow


class CaptionTrack(Base):
    """The captions of one recording in one language. ``approved_version`` is the
    version staff approved for release (the public sees only that one); ``status`` is
    ``approved`` while the newest version is the approved one, else ``draft``."""

    __tablename__ = "caption_tracks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id"), index=True)
    language: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(10), default="draft")  # draft | approved
    latest_version: Mapped[int] = mapped_column(Integer, default=0)
    approved_version: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_by: Mapped[str | None] = mapped_column(String(100))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("recording_id", "language"),)


class CaptionVersion(Base):
    __tablename__ = "caption_versions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("caption_tracks.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    cues: Mapped[list[dict[str, Any]]] = mapped_column(JSON())
    cue_count: Mapped[int] = mapped_column(Integer, default=0)
    vtt_sha256: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(20))  # staff | import | recogniser
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("track_id", "version"),)


class CaptionJob(Base):
    """One run of the speech recogniser over a recording. ``key`` makes asking twice for
    the same work (same recording bytes, language, recogniser) one job."""

    __tablename__ = "caption_jobs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id"), index=True)
    language: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(10), default="queued")  # queued|running|done|failed
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text)
    result_version_id: Mapped[int | None] = mapped_column(ForeignKey("caption_versions.id"))
    details: Mapped[dict[str, Any]] = mapped_column(MutableDict.as_mutable(JSON()), default=dict)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
