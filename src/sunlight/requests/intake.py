"""Receiving a records request (RSMo 610.023): the requester's fields checked and cleaned,
the tracking number, and the private link's token (only its hash is kept)."""

from __future__ import annotations

import secrets
import unicodedata
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sunlight.errors import InvalidInput
from sunlight.requests.audited import new_requester_salt
from sunlight.requests.calendar import Calendar, default_calendar
from sunlight.requests.clocks import clock_of
from sunlight.requests.common import (
    EMAIL_PATTERN,
    REQUESTER_TYPES,
    TOKEN_BYTES,
    add_event,
    iso_day,
    send_email,
    token_hash,
)
from sunlight.requests.models import (
    RecordsRequest,
)
from sunlight.requests.states import (
    Status,
)


def _clean(text: str | None, field: str, limit: int, *, required: bool = False) -> str | None:
    value = " ".join((text or "").split()) if field != "description" else (text or "").strip()
    if any(unicodedata.category(c) == "Cc" and c not in "\r\n\t" for c in value):
        # Escape sequences would act on a clerk's terminal (``sunlight requests show``).
        raise InvalidInput(f"{field} contains a control character", diagnostics={"field": field})
    if not value:
        if required:
            raise InvalidInput(f"{field} is required", diagnostics={"field": field})
        return None
    if len(value) > limit:
        raise InvalidInput(
            f"{field} is limited to {limit} characters", diagnostics={"field": field}
        )
    return value


def _tracking_number(session: Session, received: date) -> str:
    prefix = f"R-{received.year}-"
    count = session.scalar(
        select(func.count())
        .select_from(RecordsRequest)
        .where(RecordsRequest.tracking_number.like(f"{prefix}%"))
    )
    return f"{prefix}{(count or 0) + 1:06d}"


def file_request(
    session: Session,
    *,
    name: str,
    email: str,
    requester_type: str,
    description: str,
    phone: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    location: str | None = None,
    source: str = "web",
    now: datetime,
    calendar: Calendar | None = None,
    base_url: str = "",
) -> tuple[RecordsRequest, str]:
    """Receive a request; returns it and the requester's private link token (shown once)."""
    calendar = calendar or default_calendar()
    clean_name = _clean(name, "name", 200, required=True)
    clean_email = _clean(email, "email", 254, required=True)
    clean_description = _clean(description, "description", 10_000, required=True)
    assert clean_name is not None
    assert clean_email is not None
    assert clean_description is not None
    if not EMAIL_PATTERN.match(clean_email):
        raise InvalidInput("email is not an email address", diagnostics={"field": "email"})
    if requester_type not in REQUESTER_TYPES:
        raise InvalidInput(
            f"requester_type must be one of {', '.join(REQUESTER_TYPES)}",
            diagnostics={"field": "requester_type"},
        )
    if date_from and date_to and date_to < date_from:
        raise InvalidInput("date_to is before date_from", diagnostics={"field": "date_to"})
    received = calendar.received_date(now)
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    request = RecordsRequest(
        tracking_number=_tracking_number(session, received),
        token_sha256=token_hash(raw),
        requester_name=clean_name,
        requester_email=clean_email,
        requester_phone=_clean(phone, "phone", 40),
        requester_salt=new_requester_salt(),
        requester_type=requester_type,
        description=clean_description,
        date_from=date_from,
        date_to=date_to,
        location=_clean(location, "location", 300),
        received_at=now,
        received_date=received,
        status=str(Status.RECEIVED),
        status_at=now,
        clock_from=now,
        source=source,
        fee_details={},
    )
    session.add(request)
    session.flush()
    due = clock_of(request, calendar=calendar, now=now)
    add_event(
        session,
        request,
        kind="received",
        actor="requester",
        now=now,
        public_text=(
            f"Request received on {received.isoformat()}. The department acts on it by the "
            f"end of {iso_day(due.due)} (three business days, RSMo 610.023.3)."
        ),
        details={"source": source, "due": iso_day(due.due)},
    )
    send_email(
        session,
        request,
        subject="Your records request was received",
        body=(
            f"We received your records request {request.tracking_number} on "
            f"{received.isoformat()}. We will act on it by the end of {iso_day(due.due)}.\n"
            f"Follow it at {base_url}/public/requests/track/{raw}\n"
            "Keep this link private: anyone with it can see your request."
        ),
        now=now,
    )
    return request, raw
