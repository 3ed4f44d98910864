"""Tables of the redaction domain: plan versions and background jobs.

A plan's JSON lives in the object store under its SHA-256 (content-addressed, so it can
never change under its name); the row records which recording it is for, its version,
who made it and from which earlier version. Versions only ever get added.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.ext.mutable import MutableDict
from sqlalchemy.orm import Mapped, mapped_column

from sunlight.db.base import Base, BigId, UTCDateTime, utcnow


class RedactionPlan(Base):
    __tablename__ = "redaction_plans"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("redaction_plans.id"))
    source: Mapped[str] = mapped_column(String(20))  # detector | review | import
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)
    track_count: Mapped[int] = mapped_column(Integer, default=0)
    mute_count: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("recording_id", "version"),)


class RedactionJob(Base):
    """One detection or render run. ``key`` makes enqueueing idempotent: the same work
    (same recording bytes, or same plan, with the same tool version) is one job."""

    __tablename__ = "redaction_jobs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # detect | render
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id"), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("redaction_plans.id"))
    status: Mapped[str] = mapped_column(String(10), default="queued")  # queued|running|done|failed
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text)
    result_plan_id: Mapped[int | None] = mapped_column(ForeignKey("redaction_plans.id"))
    result_recording_id: Mapped[int | None] = mapped_column(ForeignKey("recordings.id"))
    details: Mapped[dict[str, Any]] = mapped_column(MutableDict.as_mutable(JSON()), default=dict)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
