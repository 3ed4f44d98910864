"""Tables for records requests: the request, its append-only timeline, clock pauses, the
footage it names, and the verification of a depicted person (RSMo 610.100.3)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sunlight.db.base import Base, BigId, UTCDateTime


class RecordsRequest(Base):
    __tablename__ = "records_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: ``R-2026-000123``: what the requester and staff quote
    tracking_number: Mapped[str] = mapped_column(String(20), unique=True)
    #: SHA-256 of the requester's private link token (the token itself is shown once)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    requester_name: Mapped[str] = mapped_column(String(200))
    requester_email: Mapped[str] = mapped_column(String(254))
    requester_phone: Mapped[str | None] = mapped_column(String(40))
    #: random salt (hex) of the commitment to the requester's name, email and phone that
    #: every timeline entry's custody event carries (sunlight.requests.audited); the log
    #: never holds the identity itself
    requester_salt: Mapped[str | None] = mapped_column(String(64))
    #: public | media | depicted | guardian | relative | attorney | insurer
    requester_type: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    #: what the requester gave to find the footage
    date_from: Mapped[date | None] = mapped_column(Date)
    date_to: Mapped[date | None] = mapped_column(Date)
    location: Mapped[str | None] = mapped_column(String(300))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    #: the date of receipt in Kansas City (America/Chicago): day 0 of the clock
    received_date: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(30), index=True, default="received")
    status_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the clock restarts from a reopening
    clock_from: Mapped[datetime] = mapped_column(UTCDateTime)
    #: while delayed: the earliest date and time the record will be available
    available_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: a denial's provision and reason
    denial_provision: Mapped[str | None] = mapped_column(String(40))
    denial_reason: Mapped[str | None] = mapped_column(Text)
    #: asked for written grounds of a denial: due three business days after
    grounds_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    grounds_given_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: fees (US dollars): the estimate, and prepayment
    fee_estimate_cents: Mapped[int | None] = mapped_column(Integer)
    fee_details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prepayment_required: Mapped[bool] = mapped_column(default=False)
    prepayment_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(10), default="web")  # web | api | staff

    events: Mapped[list[RequestEvent]] = relationship(
        back_populates="request", order_by="RequestEvent.id"
    )
    pauses: Mapped[list[RequestPause]] = relationship(
        back_populates="request", order_by="RequestPause.id"
    )
    items: Mapped[list[RequestItem]] = relationship(
        back_populates="request", order_by="RequestItem.id"
    )
    verifications: Mapped[list[RequestVerification]] = relationship(
        back_populates="request", order_by="RequestVerification.id"
    )
    deliveries: Mapped[list[RequestDelivery]] = relationship(
        back_populates="request", order_by="RequestDelivery.id"
    )


class RequestEvent(Base):
    """The request's timeline, append-only (database triggers refuse changes)."""

    __tablename__ = "request_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("records_requests.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(40))
    #: what the requester sees on the private page (None: staff only)
    public_text: Mapped[str | None] = mapped_column(Text)
    staff_text: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    request: Mapped[RecordsRequest] = relationship(back_populates="events")


class RequestPause(Base):
    """A stretch when the clock stood still (awaiting the requester's clarification)."""

    __tablename__ = "request_pauses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("records_requests.id"), index=True)
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(500))

    request: Mapped[RecordsRequest] = relationship(back_populates="pauses")


class RequestItem(Base):
    """Footage a request names: an incident, a recording, or a recording of an incident."""

    __tablename__ = "request_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("records_requests.id"), index=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    recording_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("recordings.id"), index=True)
    #: staff judged the recording made in a nonpublic location (RSMo 610.100.1(8))
    nonpublic_location: Mapped[bool] = mapped_column(default=False)
    linked_by: Mapped[str] = mapped_column(String(100))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    why: Mapped[str] = mapped_column(String(2000))
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_by: Mapped[str | None] = mapped_column(String(100))

    request: Mapped[RecordsRequest] = relationship(back_populates="items")


class RequestVerification(Base):
    """Identity and relationship of a depicted person (or guardian, relative, attorney,
    insurer) verified before a complete, unaltered copy is given (RSMo 610.100.3)."""

    __tablename__ = "request_verifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("records_requests.id"), index=True)
    verified_by: Mapped[str] = mapped_column(String(100))
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the identity document seen (driver-licence, state-id, passport, ...)
    document_type: Mapped[str] = mapped_column(String(60))
    #: the requester's relationship to the person depicted or heard
    relation: Mapped[str] = mapped_column(String(40))
    depicted_person: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(String(2000))

    request: Mapped[RecordsRequest] = relationship(back_populates="verifications")


class RequestDelivery(Base):
    """A copy given to the requester: a share (link kind, expiring) of one recording. Each
    use of it is a custody event on the recording (``share.use``)."""

    __tablename__ = "request_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("records_requests.id"), index=True)
    recording_id: Mapped[int] = mapped_column(BigId, ForeignKey("recordings.id"), index=True)
    share_id: Mapped[int] = mapped_column(ForeignKey("shares.id"))
    #: "610.100.3" (a complete, unaltered copy for a verified depicted person) | "open-record"
    basis: Mapped[str] = mapped_column(String(20))
    verification_id: Mapped[int | None] = mapped_column(ForeignKey("request_verifications.id"))
    #: the duty to give 10 days' notice before display, as shown to the requester
    notice_text: Mapped[str | None] = mapped_column(Text)
    delivered_by: Mapped[str] = mapped_column(String(100))
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: when the requester acknowledged the notice on the private page
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    request: Mapped[RecordsRequest] = relationship(back_populates="deliveries")
