"""What every records-request act shares: the published constants (requester types, the
RSMo 610.023.3 business days, limits), looking a request up (by id, tracking number or its
private link's token), and the timeline event and requester email each change writes in
the caller's transaction."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from sunlight.errors import NotFound
from sunlight.evidence.custody import Action, record
from sunlight.requests import notify
from sunlight.requests.audited import iso, stated_fields
from sunlight.requests.models import (
    RecordsRequest,
    RequestEvent,
    RequestPause,
)

REQUESTER_TYPES: tuple[str, ...] = (
    "public",
    "media",
    "depicted",
    "guardian",
    "relative",
    "attorney",
    "insurer",
)
#: Who may obtain a complete, unaltered copy of nonpublic-location footage (RSMo 610.100.3).
DEPICTED_GROUP: frozenset[str] = frozenset(
    {"depicted", "guardian", "relative", "attorney", "insurer"}
)
#: The requester's relationship to the person depicted or heard, as verified.
RELATIONS: tuple[str, ...] = ("self", "guardian", "relative", "attorney", "insurer")
DOCUMENT_TYPES: tuple[str, ...] = (
    "driver-licence",
    "state-id",
    "passport",
    "military-id",
    "court-order",
    "letter-of-representation",
    "insurance-policy",
    "birth-certificate",
    "death-certificate",
    "other",
)
#: Business days to act on a request, and to give written grounds for a denial (610.023.3).
RESPONSE_DAYS = 3
GROUNDS_DAYS = 3
#: A delay's explanation must be "detailed": at least this many characters.
MIN_EXPLANATION = 20
#: Delivered links last this many days by default (within the access policy's maximum).
DELIVERY_DAYS = 30
#: The public request log shows the requester's category but never who they are; set False
#: to hide the category too.
PUBLIC_LOG_SHOWS_REQUESTER_TYPE = True
#: Categories the public log shows as they are. The others (a person depicted, a guardian, a
#: relative of someone deceased or incompetent, their attorney or insurer) name a tie to a
#: person in the footage: next to a dated request they point at a victim or a family, so the
#: log shows them as "public".
PUBLIC_CATEGORIES = frozenset({"public", "media"})


def public_category(requester_type: str) -> str:
    """The requester category the public log may show."""
    return requester_type if requester_type in PUBLIC_CATEGORIES else "public"


TOKEN_BYTES = 32
KANSAS_CITY = ZoneInfo("America/Chicago")
MAX_LIST = 500
NOTICE_TEXT = (
    "This recording was made in a nonpublic location. Under RSMo 610.100.3 you must give "
    "each person depicted in it at least 10 days' notice before you display or disclose it "
    "to anyone else."
)
#: Characters an address may not hold: the mail library would read a comma, semicolon,
#: quote, bracket or comment as syntax (a comma adds a recipient), and controls never belong.
_NOT_IN_ADDRESS = r"@\s\x00-\x1f\x7f()<>\[\]:;,\"\\"
EMAIL_PATTERN = re.compile(
    rf"^[^{_NOT_IN_ADDRESS}]{{1,64}}@[^{_NOT_IN_ADDRESS}]{{1,188}}\.[^{_NOT_IN_ADDRESS}.]{{2,63}}$"
)
Relation = Literal["self", "guardian", "relative", "attorney", "insurer"]
ClockKind = Literal["response", "delay", "grounds"]


# -- tokens -------------------------------------------------------------------------------


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def by_token(session: Session, raw: str) -> RecordsRequest:
    """The request a private link names; NotFound for any other token (compared by hash)."""
    if not raw or len(raw) > 200:
        raise NotFound("no such request link")
    digest = token_hash(raw)
    found = session.scalar(select(RecordsRequest).where(RecordsRequest.token_sha256 == digest))
    if found is None or not hmac.compare_digest(found.token_sha256, digest):
        raise NotFound("no such request link")
    return found


def get(session: Session, request_id: int) -> RecordsRequest:
    found = session.get(RecordsRequest, request_id)
    if found is None:
        raise NotFound(f"no records request {request_id}")
    return found


def by_tracking(session: Session, tracking: str) -> RecordsRequest:
    found = session.scalar(
        select(RecordsRequest).where(RecordsRequest.tracking_number == tracking.strip().upper())
    )
    if found is None:
        raise NotFound(f"no records request {tracking}")
    return found


def resolve(session: Session, ref: str) -> RecordsRequest:
    """A request by id (``12``) or tracking number (``R-2026-000012``)."""
    return get(session, int(ref)) if ref.isdigit() else by_tracking(session, ref)


# -- the timeline -------------------------------------------------------------------------


def add_event(
    session: Session,
    request: RecordsRequest,
    *,
    kind: str,
    actor: str,
    now: datetime,
    public_text: str | None = None,
    staff_text: str | None = None,
    details: dict[str, Any] | None = None,
    custody: dict[str, Any] | None = None,
) -> RequestEvent:
    """A timeline entry and its custody event; ``custody`` adds keys to the custody event
    (e.g. the SHA-256 of the policy file a fee estimate was worked out from)."""
    event = RequestEvent(
        request_id=request.id,
        at=now,
        actor=actor,
        kind=kind,
        public_text=public_text,
        staff_text=staff_text,
        details=details or {},
    )
    session.add(event)
    session.flush()
    record(
        session,
        actor=actor,
        action=Action.REQUEST_EVENT,
        object_type="request",
        object_id=request.id,
        details={
            "event_id": event.id,
            "kind": kind,
            "at": iso(now),
            "public_text": public_text,
            "staff_text": staff_text,
            "request": stated_fields(request),
            "pauses": [
                {
                    "id": p.id,
                    "start": iso(p.start),
                    "end": iso(p.end),
                    "reason": p.reason,
                }
                for p in session.scalars(
                    select(RequestPause)
                    .where(RequestPause.request_id == request.id)
                    .order_by(RequestPause.id)
                )
            ],
        }
        | (custody or {}),
    )
    return event


def send_email(
    session: Session, request: RecordsRequest, *, subject: str, body: str, now: datetime
) -> None:
    notify.email_requester(
        session,
        request_id=request.id,
        to=request.requester_email,
        subject=f"[{request.tracking_number}] {subject}",
        body=body,
        now=now,
    )


def iso_day(day: date | None) -> str:
    return day.isoformat() if day is not None else "(paused)"
