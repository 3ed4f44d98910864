"""Tables for recordings, the people and cameras that made them, and custody events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.ext.mutable import MutableDict
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sunlight.db.base import Base, BigId, UTCDateTime, utcnow

JSONDict = MutableDict.as_mutable(JSON())


class Officer(Base):
    __tablename__ = "officers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    badge_number: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    assignments: Mapped[list[DeviceAssignment]] = relationship(
        back_populates="officer", order_by="DeviceAssignment.started_at"
    )


class Device(Base):
    """A camera: body-worn or in-car. Funding source is public interest (donor grants)."""

    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    serial: Mapped[str] = mapped_column(String(64), unique=True)
    vendor: Mapped[str] = mapped_column(String(100))
    model: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20), default="body")  # body | in-car
    funding_source: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="in-service")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    assignments: Mapped[list[DeviceAssignment]] = relationship(
        back_populates="device", order_by="DeviceAssignment.started_at"
    )


class DeviceAssignment(Base):
    """Who carried which camera when; ``ended_at`` is open for the current holder."""

    __tablename__ = "device_assignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), index=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    device: Mapped[Device] = relationship(back_populates="assignments")
    officer: Mapped[Officer] = relationship(back_populates="assignments")


class Recording(Base):
    """One ingested file. Its bytes live in the object store under ``sha256``."""

    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    original_filename: Mapped[str] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(255))
    notes: Mapped[str | None] = mapped_column(Text)

    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"), index=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"), index=True)
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Where recorded_at came from: operator, sidecar, container, file-mtime.
    recorded_at_source: Mapped[str | None] = mapped_column(String(20))
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    ingest_source: Mapped[str] = mapped_column(String(20))  # cli | upload | demo

    playable: Mapped[bool] = mapped_column(Boolean)
    unplayable_reason: Mapped[str | None] = mapped_column(Text)
    browser_playable: Mapped[bool] = mapped_column(Boolean, default=False)
    container: Mapped[str | None] = mapped_column(String(50))
    video_codec: Mapped[str | None] = mapped_column(String(50))
    audio_codec: Mapped[str | None] = mapped_column(String(50))
    duration_s: Mapped[float | None] = mapped_column(Float)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    fps: Mapped[float | None] = mapped_column(Float)
    gps_lat: Mapped[float | None] = mapped_column(Float)
    gps_lon: Mapped[float | None] = mapped_column(Float)
    media_info: Mapped[dict[str, Any]] = mapped_column(JSONDict, default=dict)

    # Derived copies for playback; each is itself a content-addressed object.
    derivatives_status: Mapped[str] = mapped_column(String(20), default="pending")
    derivatives_error: Mapped[str | None] = mapped_column(Text)
    proxy_sha256: Mapped[str | None] = mapped_column(String(64))
    poster_sha256: Mapped[str | None] = mapped_column(String(64))
    thumbs_sha256: Mapped[str | None] = mapped_column(String(64))

    # Set when retention disposed of the bytes; the row stays, and a tombstone custody
    # event carries the hash, so a deletion is never silent.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deletion_rule: Mapped[str | None] = mapped_column(String(100))

    officer: Mapped[Officer | None] = relationship()
    device: Mapped[Device | None] = relationship()
    flags: Mapped[list[RecordingFlag]] = relationship(
        back_populates="recording", order_by="RecordingFlag.id"
    )

    @property
    def open_flags(self) -> list[RecordingFlag]:
        return [flag for flag in self.flags if flag.cleared_at is None]


class RecordingFlag(Base):
    """A marker that a recording needs attention (unplayable, review, late upload, ...)."""

    __tablename__ = "recording_flags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cleared_by: Mapped[str | None] = mapped_column(String(100))

    recording: Mapped[Recording] = relationship(back_populates="flags")


class CustodyEvent(Base):
    """Append-only: database triggers refuse UPDATE and DELETE on this table.

    Written only through ``sunlight.evidence.custody.record``, in the same transaction as
    the change it describes. The ledger seals these rows into its Merkle log.
    """

    __tablename__ = "custody_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    object_type: Mapped[str] = mapped_column(String(30))
    object_id: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (Index("ix_custody_events_object", "object_type", "object_id"),)
