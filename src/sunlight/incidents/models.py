"""Tables for incidents, their officers and recordings, and investigating agencies."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sunlight.access.models import Agency
from sunlight.db.base import Base, BigId, UTCDateTime, utcnow
from sunlight.evidence.models import Officer, Recording


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
    #: Report before review: when the officer's initial statement was recorded, and by whom.
    statement_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    statement_by: Mapped[str | None] = mapped_column(String(100))

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


class Complaint(Base):
    """A misconduct complaint about an incident, handled by an agency (civilian oversight).
    Its handlers see the incident's footage; the person who filed it can be given a share."""

    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    complainant: Mapped[str] = mapped_column(String(200))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    incident: Mapped[Incident] = relationship()
    agency: Mapped[Agency] = relationship()
