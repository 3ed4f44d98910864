"""Tables for legal holds and scheduled deletions."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sunlight.db.base import Base, BigId, UTCDateTime, utcnow
from sunlight.evidence.models import Recording
from sunlight.incidents.models import Incident


class LegalHold(Base):
    """Keeps a recording, or every recording of an incident, until released."""

    __tablename__ = "legal_holds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recording_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("recordings.id"), index=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    placed_by: Mapped[str] = mapped_column(String(100))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_by: Mapped[str | None] = mapped_column(String(100))
    release_reason: Mapped[str | None] = mapped_column(Text)

    recording: Mapped[Recording | None] = relationship()
    incident: Mapped[Incident | None] = relationship()


class RetentionDeletion(Base):
    """A deletion the schedule called for: pending during the grace period, then done,
    undone or cancelled. The custody log has an event for every step."""

    __tablename__ = "retention_deletions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recording_id: Mapped[int] = mapped_column(BigId, ForeignKey("recordings.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(100))
    policy_version: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date)
    scheduled_on: Mapped[date] = mapped_column(Date)
    grace_until: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    scheduled_by: Mapped[str] = mapped_column(String(100))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(100))
    close_reason: Mapped[str | None] = mapped_column(Text)

    recording: Mapped[Recording] = relationship()
