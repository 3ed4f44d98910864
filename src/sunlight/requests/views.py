"""Records requests as views: the code that builds the typed models of
:mod:`sunlight.requests.schemas` from a request (the requester's private page, the public
log entry, the staff summary and full record)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sunlight.notify.masking import mask, mask_optional
from sunlight.notify.models import OutboxMessage
from sunlight.requests import notify, service
from sunlight.requests.clocks import Facts, first_due
from sunlight.requests.models import RecordsRequest, RequestDelivery, RequestEvent, RequestItem
from sunlight.requests.schemas import (
    ClockOut,
    DeliveryOut,
    EmailOut,
    EventOut,
    ItemOut,
    PublicEvent,
    PublicLogEntry,
    RequestOut,
    RequestSummary,
    TrackView,
    VerificationOut,
)
from sunlight.requests.states import OPEN, Status

# -- shaping ------------------------------------------------------------------------------


def delivery_out(token: str | None, d: RequestDelivery) -> DeliveryOut:
    download = f"/public/requests/track/{token}/deliveries/{d.id}/download" if token else ""
    return DeliveryOut(
        id=d.id,
        recording_id=d.recording_id,
        basis=d.basis,
        delivered_at=d.delivered_at,
        expires_at=d.expires_at,
        download=download,
        notice=d.notice_text,
        acknowledged_at=d.acknowledged_at,
    )


def track_view(r: RecordsRequest, token: str, now: datetime) -> TrackView:
    return TrackView(
        tracking_number=r.tracking_number,
        requester_name=r.requester_name,
        requester_type=r.requester_type,
        description=r.description,
        received_at=r.received_at,
        received_date=r.received_date,
        status=r.status,
        available_at=r.available_at,
        denial_provision=r.denial_provision,
        denial_reason=r.denial_reason,
        fee_estimate_cents=r.fee_estimate_cents,
        prepayment_required=r.prepayment_required,
        prepayment_received=r.prepayment_received_at is not None,
        clocks=[ClockOut.of(c) for c in clocks_for(r, now)],
        timeline=[
            PublicEvent(at=e.at, text=e.public_text) for e in r.events if e.public_text is not None
        ],
        deliveries=[delivery_out(token, d) for d in r.deliveries],
    )


def clocks_for(r: RecordsRequest, now: datetime) -> list[service.RequestClock]:
    return service.clocks_of(r, now=now) or [service.clock_of(r, now=now)]


def event_out(e: RequestEvent) -> EventOut:
    return EventOut(
        id=e.id,
        at=e.at,
        actor=e.actor,
        kind=e.kind,
        public_text=e.public_text,
        staff_text=e.staff_text,
        details=dict(e.details or {}),
    )


def item_out(i: RequestItem) -> ItemOut:
    return ItemOut(
        id=i.id,
        incident_id=i.incident_id,
        recording_id=i.recording_id,
        nonpublic_location=i.nonpublic_location,
        linked_by=i.linked_by,
        linked_at=i.linked_at,
        why=i.why,
        removed_at=i.removed_at,
    )


def summary_out(r: RecordsRequest, found: service.RequestClock) -> RequestSummary:
    return RequestSummary(
        id=r.id,
        tracking_number=r.tracking_number,
        requester_type=r.requester_type,
        received_date=r.received_date,
        status=r.status,
        clock=ClockOut.of(found),
    )


def full_out(r: RecordsRequest, now: datetime, emails: list[OutboxMessage]) -> RequestOut:
    return RequestOut(
        id=r.id,
        tracking_number=r.tracking_number,
        requester_type=r.requester_type,
        received_date=r.received_date,
        status=r.status,
        clock=ClockOut.of(service.clock_of(r, now=now)),
        requester_name=r.requester_name,
        requester_email=r.requester_email,
        requester_phone=r.requester_phone,
        description=r.description,
        date_from=r.date_from,
        date_to=r.date_to,
        location=r.location,
        received_at=r.received_at,
        available_at=r.available_at,
        denial_provision=r.denial_provision,
        denial_reason=r.denial_reason,
        grounds_requested_at=r.grounds_requested_at,
        grounds_given_at=r.grounds_given_at,
        fee_estimate_cents=r.fee_estimate_cents,
        fee_details=dict(r.fee_details or {}),
        prepayment_required=r.prepayment_required,
        prepayment_received_at=r.prepayment_received_at,
        clocks=[ClockOut.of(c) for c in service.clocks_of(r, now=now)],
        items=[item_out(i) for i in r.items],
        verifications=[
            VerificationOut(
                id=v.id,
                verified_by=v.verified_by,
                verified_at=v.verified_at,
                document_type=v.document_type,
                relation=v.relation,
                depicted_person=v.depicted_person,
            )
            for v in r.verifications
        ],
        deliveries=[delivery_out(None, d) for d in r.deliveries],
        timeline=[event_out(e) for e in r.events],
        emails=[
            EmailOut(
                id=m.id,
                to=m.to_addr,
                subject=mask(m.subject),
                status=m.status,
                queued_at=m.queued_at,
                sent_at=m.sent_at,
                attempts=m.attempts,
                last_error=mask_optional(m.last_error),
            )
            for m in emails
        ],
    )


def log_entry(r: RecordsRequest, now: datetime) -> PublicLogEntry:
    is_open = Status(r.status) in OPEN
    # the due date and state alone (no day-by-day arithmetic): one line of a long list
    found = first_due(Facts.of(r), now=now) if is_open else None
    return PublicLogEntry(
        tracking_number=r.tracking_number,
        received_date=r.received_date,
        requester_category=(
            service.public_category(r.requester_type)
            if service.PUBLIC_LOG_SHOWS_REQUESTER_TYPE
            else None
        ),
        status=r.status,
        due=found[0] if found is not None else None,
        due_state=found[1] if found is not None else None,
    )


def load_track(runtime: Any, token: str, now: datetime) -> TrackView:
    with runtime.db.session(read_only=True) as session:
        return track_view(service.by_token(session, token), token, now)


def loaded(runtime: Any, request_id: int, now: datetime) -> RequestOut:
    with runtime.db.session(read_only=True) as session:
        found = service.get(session, request_id)
        return full_out(found, now, notify.emails_of(session, request_id))
