"""Tables for incidents, their officers and recordings, and investigating agencies."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sunlight.db.base import Base, BigId, UTCDateTime, utcnow
from sunlight.evidence.models import Officer, Recording


class Agency(Base):
    """An agency that can hold custody of an investigation (default: Missouri Highway Patrol)."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    short_name: Mapped[str] = mapped_column(String(40))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Incident(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cad_number: Mapped[str] = mapped_column(String(40), unique=True)
    type: Mapped[str] = mapped_column(String(40), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    location: Mapped[str | None] = mapped_column(String(300))
    unit: Mapped[str | None] = mapped_column(String(100))
    narrative: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20), default="manual")  # manual | cad | uof

    # RSMo 610.100: none (no criminal investigation) | active | inactive, with reason and date.
    investigation_status: Mapped[str] = mapped_column(String(20), default="active")
    inactive_reason: Mapped[str | None] = mapped_column(String(40))
    status_date: Mapped[date | None] = mapped_column(Date)

    # The agency holding custody of the investigation and its footage; None: the department.
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    agency: Mapped[Agency | None] = relationship()
    officers: Mapped[list[IncidentOfficer]] = relationship(
        back_populates="incident", order_by="IncidentOfficer.id", cascade="all, delete-orphan"
    )
    links: Mapped[list[IncidentRecording]] = relationship(
        back_populates="incident", order_by="IncidentRecording.id"
    )
    reports: Mapped[list[UseOfForceReport]] = relationship(
        back_populates="incident", order_by="UseOfForceReport.id"
    )


class IncidentOfficer(Base):
    __tablename__ = "incident_officers"
    __table_args__ = (UniqueConstraint("incident_id", "officer_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"), index=True)

    incident: Mapped[Incident] = relationship(back_populates="officers")
    officer: Mapped[Officer] = relationship()


class IncidentRecording(Base):
    """A recording belongs to an incident; one recording may belong to several."""

    __tablename__ = "incident_recordings"
    __table_args__ = (UniqueConstraint("incident_id", "recording_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    recording_id: Mapped[int] = mapped_column(BigId, ForeignKey("recordings.id"), index=True)
    how: Mapped[str] = mapped_column(String(20))  # suggested | manual
    linked_by: Mapped[str] = mapped_column(String(100))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    incident: Mapped[Incident] = relationship(back_populates="links")
    recording: Mapped[Recording] = relationship()


class CustodyAssignment(Base):
    """History of hand-overs: which agency held an incident's footage from when to when."""

    __tablename__ = "incident_custody"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    assigned_by: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    returned_by: Mapped[str | None] = mapped_column(String(100))

    agency: Mapped[Agency] = relationship()


class UseOfForceReport(Base):
    """A Response to Resistance (use-of-force) report, imported from the department's CSV."""

    __tablename__ = "use_of_force_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_number: Mapped[str] = mapped_column(String(40), unique=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    force_type: Mapped[str] = mapped_column(String(100))
    summary: Mapped[str | None] = mapped_column(Text)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    incident: Mapped[Incident] = relationship(back_populates="reports")
