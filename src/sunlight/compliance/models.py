"""The supervisors' random-review queue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sunlight.db.base import Base, BigId, UTCDateTime, utcnow
from sunlight.evidence.models import Recording


class ReviewItem(Base):
    """One recording drawn at random for a supervisor to check against policy."""

    __tablename__ = "review_items"
    __table_args__ = (UniqueConstraint("month", "recording_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recording_id: Mapped[int] = mapped_column(BigId, ForeignKey("recordings.id"), index=True)
    month: Mapped[str] = mapped_column(String(7), index=True)  # YYYY-MM
    unit: Mapped[str | None] = mapped_column(String(100))
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    drawn_by: Mapped[str] = mapped_column(String(100))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str | None] = mapped_column(String(30))  # compliant | issue-found
    notes: Mapped[str | None] = mapped_column(Text)

    recording: Mapped[Recording] = relationship()


class Dock(Base):
    """A docking station where cameras charge and upload (a station, a car, a building)."""

    __tablename__ = "docks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    location: Mapped[str | None] = mapped_column(String(300))
    unit: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeviceDock(Base):
    """Which dock a camera uploads through (one per camera; history is in the custody log)."""

    __tablename__ = "device_docks"

    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), primary_key=True)
    dock_id: Mapped[int] = mapped_column(ForeignKey("docks.id"), index=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    dock: Mapped[Dock] = relationship()
