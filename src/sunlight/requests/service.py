"""Records requests under RSMo 610.023: intake, changes of state, the clock, fees, matching
footage, verifying depicted persons and delivering copies.

Every change appends a :class:`RequestEvent` to the request's timeline in the same
transaction; the clock (due date, overdue, due soon) is computed when read from the
request's receipt (or reopening), its pauses and the business-day calendar, never stored.
Times are passed in (``now=``); the web and CLI layers pass the real clock.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from sunlight.access import Permission, Principal, decide, visible
from sunlight.access.models import Share
from sunlight.errors import Forbidden, InvalidChange, InvalidInput, NotFound
from sunlight.evidence import shares
from sunlight.evidence.custody import Outcome
from sunlight.evidence.models import Recording
from sunlight.incidents.models import Incident
from sunlight.release import service as release
from sunlight.requests import clock, fees, notify
from sunlight.requests.calendar import Calendar, default_calendar
from sunlight.requests.models import (
    RecordsRequest,
    RequestDelivery,
    RequestEvent,
    RequestItem,
    RequestPause,
    RequestVerification,
)
from sunlight.requests.states import (
    DENIAL_PROVISIONS,
    OPEN,
    Status,
    check,
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
#: The public request log shows the requester's category (public, media, ...) but never
#: who they are; set False to hide the category too.
PUBLIC_LOG_SHOWS_REQUESTER_TYPE = True
TOKEN_BYTES = 32
KANSAS_CITY = ZoneInfo("America/Chicago")
MAX_LIST = 500
NOTICE_TEXT = (
    "This recording was made in a nonpublic location. Under RSMo 610.100.3 you must give "
    "each person depicted in it at least 10 days' notice before you display or disclose it "
    "to anyone else."
)
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,188}\.[^@\s.]{2,63}$")
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
) -> RequestEvent:
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
    return event


def _email(
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


# -- intake -------------------------------------------------------------------------------


def _clean(text: str | None, field: str, limit: int, *, required: bool = False) -> str | None:
    value = " ".join((text or "").split()) if field != "description" else (text or "").strip()
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
    if not _EMAIL.match(clean_email):
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
            f"end of {_iso(due.due)} (three business days, RSMo 610.023.3)."
        ),
        details={"source": source, "due": _iso(due.due)},
    )
    _email(
        session,
        request,
        subject="Your records request was received",
        body=(
            f"We received your records request {request.tracking_number} on "
            f"{received.isoformat()}. We will act on it by the end of {_iso(due.due)}.\n"
            f"Follow it at {base_url}/public/requests/track/{raw}\n"
            "Keep this link private: anyone with it can see your request."
        ),
        now=now,
    )
    return request, raw


# -- the clock ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestClock:
    """One running clock of a request, computed when read."""

    kind: ClockKind
    due: date | None  # None while paused (waiting for the requester's clarification)
    state: str  # on-time | due-soon | due-today | overdue | paused (| closed)
    deadline: clock.Deadline | None
    note: str

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "due": self.due.isoformat() if self.due else None,
            "state": self.state,
            "note": self.note,
            "arithmetic": self.deadline.to_json() if self.deadline is not None else None,
        }


def pauses_of(request: RecordsRequest) -> list[clock.Pause]:
    return [clock.Pause(p.start, p.end, p.reason) for p in request.pauses]


def clocks_of(
    request: RecordsRequest, *, now: datetime, calendar: Calendar | None = None
) -> list[RequestClock]:
    """The request's running clocks, earliest due first: acting on the request (while
    open and not delayed), the promised availability (while delayed), and written grounds
    for a denial (once asked for, until given)."""
    calendar = calendar or default_calendar()
    today = calendar.received_date(now)
    found: list[RequestClock] = []
    status = Status(request.status)
    if status in OPEN and status != Status.DELAYED:
        pauses = [p for p in pauses_of(request) if p.end is None or p.end > request.clock_from]
        deadline = clock.deadline(
            request.clock_from, RESPONSE_DAYS, calendar=calendar, pauses=pauses
        )
        note = "act on the request (fulfil, deny, or delay with explanation): RSMo 610.023.3"
        if status == Status.CLARIFICATION_REQUESTED:
            note = "paused: waiting for the requester's clarification"
        found.append(RequestClock("response", deadline.due, deadline.status(today), deadline, note))
    if status == Status.DELAYED and request.available_at is not None:
        due = request.available_at.astimezone(KANSAS_CITY).date()
        state = "overdue" if today > due else "due-today" if today == due else "on-time"
        if state == "on-time" and (due - today).days <= 1:
            state = "due-soon"
        found.append(
            RequestClock(
                "delay",
                due,
                state,
                None,
                f"the record promised by {request.available_at.isoformat()} (RSMo 610.023.3)",
            )
        )
    if request.grounds_requested_at is not None and request.grounds_given_at is None:
        deadline = clock.deadline(request.grounds_requested_at, GROUNDS_DAYS, calendar=calendar)
        found.append(
            RequestClock(
                "grounds",
                deadline.due,
                deadline.status(today),
                deadline,
                "written grounds for the denial, citing the provision: RSMo 610.023.3",
            )
        )
    return sorted(found, key=_due_key)


def _due_key(found: RequestClock) -> tuple[bool, date]:
    """Earliest due first; a paused clock (no due date) after every running one."""
    return (found.due is None, found.due or date.max)


def clock_of(
    request: RecordsRequest, *, now: datetime, calendar: Calendar | None = None
) -> RequestClock:
    """The request's first clock; for a closed request, its last response deadline."""
    clocks = clocks_of(request, now=now, calendar=calendar)
    if clocks:
        return clocks[0]
    calendar = calendar or default_calendar()
    deadline = clock.deadline(
        request.clock_from, RESPONSE_DAYS, calendar=calendar, pauses=pauses_of(request)
    )
    return RequestClock("response", deadline.due, "closed", deadline, "the request is closed")


# -- changes of state ---------------------------------------------------------------------

_STATUS_TEXT = {
    Status.ACKNOWLEDGED: "The department acknowledged your request.",
    Status.IN_PROGRESS: "Staff are working on your request.",
    Status.FULFILLED: "Your request was fulfilled.",
    Status.WITHDRAWN: "The request was withdrawn.",
    Status.REOPENED: "Your request was reopened.",
}


def transition(
    session: Session,
    request: RecordsRequest,
    target: Status,
    *,
    actor: str,
    now: datetime,
    message: str | None = None,
    available_at: datetime | None = None,
    provision: str | None = None,
    staff_note: str | None = None,
) -> RequestEvent:
    """Move ``request`` to ``target`` (one event); ``message`` is what the requester reads:
    the question (clarification), the detailed explanation (delay), the reason (denial)."""
    current = Status(request.status)
    check(current, target)
    message = (message or "").strip() or None
    if message is not None and len(message) > 5000:
        raise InvalidInput("the message is limited to 5000 characters")
    details: dict[str, Any] = {"from": str(current), "to": str(target)}
    public_text = _STATUS_TEXT.get(target)
    if target == Status.CLARIFICATION_REQUESTED:
        if message is None:
            raise InvalidChange("asking for clarification needs the question to the requester")
        public_text = f"Clarification requested (the clock is paused): {message}"
    elif target == Status.DELAYED:
        if message is None or len(message) < MIN_EXPLANATION:
            raise InvalidChange(
                "a delay needs a detailed explanation of its cause "
                f"(at least {MIN_EXPLANATION} characters) and the earliest date and time "
                "the record will be available (RSMo 610.023.3)"
            )
        if available_at is None:
            raise InvalidChange(
                "a delay needs the earliest date and time the record will be available, "
                "as well as the explanation (RSMo 610.023.3)"
            )
        if available_at.tzinfo is None:
            raise InvalidInput("available_at needs a timezone offset (e.g. -06:00 or Z)")
        if available_at <= now:
            raise InvalidChange("the earliest available date and time must be in the future")
        request.available_at = available_at
        details["available_at"] = available_at.isoformat()
        public_text = (
            f"Delayed: {message} The record will be available at the earliest on "
            f"{available_at.isoformat()}."
        )
    elif target in (Status.DENIED, Status.PARTIALLY_FULFILLED):
        if provision not in DENIAL_PROVISIONS:
            raise InvalidChange(
                f"{'a denial' if target == Status.DENIED else 'a partial fulfilment'} must "
                f"cite a specific provision: one of {', '.join(DENIAL_PROVISIONS)}",
                diagnostics={"provisions": list(DENIAL_PROVISIONS)},
            )
        if message is None:
            raise InvalidChange("a denial needs its reason, as well as the provision")
        request.denial_provision = provision
        request.denial_reason = message
        request.grounds_given_at = None
        details["provision"] = provision
        verb = "Denied" if target == Status.DENIED else "Partially fulfilled; withheld"
        public_text = f"{verb} under {provision}: {message}"
    elif target == Status.FULFILLED:
        if request.prepayment_required and request.prepayment_received_at is None:
            raise InvalidChange(
                "the requester's prepayment has not been received: record it before "
                "fulfilling the request"
            )
    elif target == Status.REOPENED:
        request.clock_from = now
        request.available_at = None
        request.grounds_requested_at = None
        request.grounds_given_at = None
    if message and target not in (
        Status.CLARIFICATION_REQUESTED,
        Status.DELAYED,
        Status.DENIED,
        Status.PARTIALLY_FULFILLED,
    ):
        public_text = f"{public_text or ''} {message}".strip()
    if current == Status.CLARIFICATION_REQUESTED:
        for pause in request.pauses:
            if pause.end is None:
                pause.end = now
    if target == Status.CLARIFICATION_REQUESTED:
        session.add(
            RequestPause(
                request_id=request.id,
                start=now,
                end=None,
                reason=f"waiting for the requester's clarification: {message}"[:500],
            )
        )
    if target != Status.DELAYED and current == Status.DELAYED:
        request.available_at = None if target == Status.REOPENED else request.available_at
    request.status = str(target)
    request.status_at = now
    session.flush()
    session.refresh(request, ["pauses"])
    event = add_event(
        session,
        request,
        kind="status",
        actor=actor,
        now=now,
        public_text=public_text,
        staff_text=staff_note,
        details=details,
    )
    if public_text:
        _email(
            session,
            request,
            subject=f"Your records request: {target.value.replace('-', ' ')}",
            body=public_text,
            now=now,
        )
    return event


def bulk_extend(
    session: Session,
    request_ids: Sequence[int],
    *,
    explanation: str,
    available_at: datetime,
    actor: str,
    now: datetime,
) -> list[RequestEvent]:
    """Delay many requests with one explanation and earliest date: one event each, all or
    none (a request that cannot be delayed refuses the whole batch, naming it)."""
    ids = list(dict.fromkeys(request_ids))
    if not ids:
        raise InvalidInput("name at least one request")
    if len(ids) > MAX_LIST:
        raise InvalidInput(f"at most {MAX_LIST} requests at once")
    found = {
        r.id: r for r in session.scalars(select(RecordsRequest).where(RecordsRequest.id.in_(ids)))
    }
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(f"no records request {missing[0]}")
    for request_id in ids:  # every one checked before any changes: all or none
        request = found[request_id]
        try:
            check(Status(request.status), Status.DELAYED)
        except InvalidChange as error:
            raise type(error)(
                f"{request.tracking_number}: {error.message}", diagnostics=error.diagnostics
            ) from None
    events: list[RequestEvent] = []
    for request_id in ids:
        request = found[request_id]
        try:
            events.append(
                transition(
                    session,
                    request,
                    Status.DELAYED,
                    actor=actor,
                    now=now,
                    message=explanation,
                    available_at=available_at,
                    staff_note=f"bulk extension of {len(ids)} requests",
                )
            )
        except InvalidChange as error:
            raise type(error)(
                f"{request.tracking_number}: {error.message}", diagnostics=error.diagnostics
            ) from None
    return events


# -- written grounds for a denial ----------------------------------------------------------


def request_grounds(
    session: Session, request: RecordsRequest, *, actor: str, now: datetime
) -> RequestEvent:
    """The requester asks for the written grounds of a denial: due in 3 business days."""
    if request.status not in (Status.DENIED, Status.PARTIALLY_FULFILLED):
        raise InvalidChange("written grounds can be asked for a denied or partly denied request")
    if request.grounds_requested_at is not None and request.grounds_given_at is None:
        raise InvalidChange("written grounds were already asked for and are not yet given")
    request.grounds_requested_at = now
    request.grounds_given_at = None
    session.flush()
    due = _iso(clock.deadline(now, GROUNDS_DAYS, calendar=default_calendar()).due)
    return add_event(
        session,
        request,
        kind="grounds-requested",
        actor=actor,
        now=now,
        public_text=(
            "Written grounds for the denial were asked for; they are due by the end of "
            f"{due} (RSMo 610.023.3)."
        ),
        details={"due": due},
    )


def give_grounds(
    session: Session, request: RecordsRequest, *, text: str, actor: str, now: datetime
) -> RequestEvent:
    if request.grounds_requested_at is None or request.grounds_given_at is not None:
        raise InvalidChange("no written grounds are awaited on this request")
    text = text.strip()
    if len(text) < MIN_EXPLANATION:
        raise InvalidChange("written grounds must state the reason in full")
    request.grounds_given_at = now
    session.flush()
    public = f"Written grounds for the denial, under {request.denial_provision}: {text}"
    event = add_event(
        session,
        request,
        kind="grounds-given",
        actor=actor,
        now=now,
        public_text=public,
        details={"provision": request.denial_provision},
    )
    _email(session, request, subject="Written grounds for the denial", body=public, now=now)
    return event


# -- fees ---------------------------------------------------------------------------------


def set_estimate(
    session: Session,
    request: RecordsRequest,
    *,
    search_hours: float,
    review_hours: float,
    recordings: int,
    prepayment: bool,
    actor: str,
    now: datetime,
) -> fees.Estimate:
    if Status(request.status) not in OPEN:
        raise InvalidChange("fees are estimated on an open request")
    estimate = fees.estimate(search_hours, review_hours, recordings)
    if prepayment and estimate.total_cents <= fees.PREPAY_ABOVE_CENTS:
        raise InvalidChange(
            f"prepayment may be asked only above {fees.dollars(fees.PREPAY_ABOVE_CENTS)}"
        )
    request.fee_estimate_cents = estimate.total_cents
    request.fee_details = estimate.to_json()
    request.prepayment_required = prepayment
    request.prepayment_received_at = None
    session.flush()
    text = f"Estimated fee: {fees.dollars(estimate.total_cents)}" + (
        " (waived)" if estimate.waived else ""
    )
    if prepayment:
        text += "; payment is needed before the records are provided."
    add_event(
        session,
        request,
        kind="fee-estimate",
        actor=actor,
        now=now,
        public_text=text,
        details=estimate.to_json() | {"prepayment": prepayment},
    )
    _email(session, request, subject="Fee estimate", body=text, now=now)
    return estimate


def record_prepayment(
    session: Session, request: RecordsRequest, *, actor: str, now: datetime, note: str | None
) -> RequestEvent:
    if not request.prepayment_required:
        raise InvalidChange("no prepayment was asked for on this request")
    if request.prepayment_received_at is not None:
        raise InvalidChange("the prepayment was already recorded")
    request.prepayment_received_at = now
    session.flush()
    return add_event(
        session,
        request,
        kind="prepayment-received",
        actor=actor,
        now=now,
        public_text="Payment received.",
        staff_text=note,
        details={"cents": request.fee_estimate_cents},
    )


# -- matching footage ---------------------------------------------------------------------


def _visible_recording(session: Session, principal: Principal, recording_id: int) -> bool:
    return (
        session.scalar(
            select(Recording.id).where(
                Recording.id == recording_id, visible(principal, Permission.RECORDING_LIST)
            )
        )
        is not None
    )


def _visible_incident(session: Session, principal: Principal, incident_id: int) -> bool:
    return (
        session.scalar(
            select(Incident.id).where(
                Incident.id == incident_id, visible(principal, Permission.INCIDENT_VIEW)
            )
        )
        is not None
    )


def add_item(
    session: Session,
    request: RecordsRequest,
    *,
    principal: Principal,
    why: str,
    now: datetime,
    incident_id: int | None = None,
    recording_id: int | None = None,
    nonpublic_location: bool = False,
) -> RequestItem:
    """Link footage the request names; only what the principal may see (else 404)."""
    if incident_id is None and recording_id is None:
        raise InvalidInput("name an incident_id, a recording_id, or both")
    why = " ".join(why.split())
    if not why or len(why) > 2000:
        raise InvalidInput("say why this footage answers the request (at most 2000 characters)")
    if recording_id is not None and not _visible_recording(session, principal, recording_id):
        raise NotFound(f"no recording {recording_id}")
    if incident_id is not None and not _visible_incident(session, principal, incident_id):
        raise NotFound(f"no incident {incident_id}")
    for item in request.items:
        if (
            item.removed_at is None
            and item.incident_id == incident_id
            and item.recording_id == recording_id
        ):
            raise InvalidChange("this footage is already linked to the request")
    item = RequestItem(
        request_id=request.id,
        incident_id=incident_id,
        recording_id=recording_id,
        nonpublic_location=nonpublic_location,
        linked_by=principal.id,
        linked_at=now,
        why=why,
    )
    session.add(item)
    session.flush()
    session.refresh(request, ["items"])
    add_event(
        session,
        request,
        kind="item-linked",
        actor=principal.id,
        now=now,
        staff_text=why,
        details={
            "item_id": item.id,
            "incident_id": incident_id,
            "recording_id": recording_id,
            "nonpublic_location": nonpublic_location,
        },
    )
    return item


def remove_item(
    session: Session,
    request: RecordsRequest,
    item_id: int,
    *,
    actor: str,
    why: str,
    now: datetime,
) -> RequestItem:
    item = session.get(RequestItem, item_id)
    if item is None or item.request_id != request.id or item.removed_at is not None:
        raise NotFound(f"no linked item {item_id} on this request")
    why = " ".join(why.split())
    if not why:
        raise InvalidInput("say why the footage is unlinked")
    item.removed_at = now
    item.removed_by = actor
    session.flush()
    add_event(
        session,
        request,
        kind="item-removed",
        actor=actor,
        now=now,
        staff_text=why,
        details={"item_id": item.id},
    )
    return item


@dataclass(frozen=True)
class Candidates:
    recordings: list[Recording]
    incidents: list[Incident]


def search_footage(
    session: Session,
    principal: Principal,
    *,
    date_from: date | None,
    date_to: date | None,
    location: str | None = None,
    limit: int = 50,
) -> Candidates:
    """Footage that may answer a request, among what ``principal`` may list: recordings
    and incidents in the date range (and incidents near the location)."""
    limit = max(1, min(limit, 200))
    if date_from is None and date_to is None and not location:
        return Candidates([], [])
    start = datetime.combine(date_from or date(1900, 1, 1), datetime.min.time())
    end = datetime.combine((date_to or date_from or date(9000, 1, 1)), datetime.min.time())
    start_utc = start.replace(tzinfo=KANSAS_CITY) - timedelta(hours=12)
    end_utc = end.replace(tzinfo=KANSAS_CITY) + timedelta(days=1, hours=12)
    recordings = list(
        session.scalars(
            select(Recording)
            .where(
                visible(principal, Permission.RECORDING_LIST),
                Recording.recorded_at >= start_utc,
                Recording.recorded_at < end_utc,
                Recording.deleted_at.is_(None),
            )
            .order_by(Recording.recorded_at)
            .limit(limit)
        )
    )
    where: list[ColumnElement[bool]] = [visible(principal, Permission.INCIDENT_VIEW)]
    in_range = and_(Incident.started_at >= start_utc, Incident.started_at < end_utc)
    if location:
        pattern = "%" + location.replace("\\", "").replace("%", "").replace("_", "")[:100] + "%"
        where.append(or_(in_range, Incident.location.ilike(pattern)))
    else:
        where.append(in_range)
    incidents = list(
        session.scalars(select(Incident).where(*where).order_by(Incident.started_at).limit(limit))
    )
    return Candidates(recordings, incidents)


# -- depicted persons (RSMo 610.100.3) ----------------------------------------------------


def verify(
    session: Session,
    request: RecordsRequest,
    *,
    actor: str,
    document_type: str,
    relation: str,
    depicted_person: str,
    notes: str | None,
    now: datetime,
) -> RequestVerification:
    """Record that staff verified the requester's identity and relationship to the person
    depicted or heard: the condition for a complete, unaltered copy (RSMo 610.100.3)."""
    if request.requester_type not in DEPICTED_GROUP:
        raise InvalidChange(
            f"a {request.requester_type} requester is not among those RSMo 610.100.3 lets "
            "obtain a complete copy (a person depicted or heard, or their guardian, "
            "relative, attorney or insurer)"
        )
    if document_type not in DOCUMENT_TYPES:
        raise InvalidInput(f"document_type must be one of {', '.join(DOCUMENT_TYPES)}")
    if relation not in RELATIONS:
        raise InvalidInput(f"relation must be one of {', '.join(RELATIONS)}")
    person = " ".join(depicted_person.split())
    if not person or len(person) > 200:
        raise InvalidInput("name the person depicted or heard (at most 200 characters)")
    if notes is not None and len(notes) > 2000:
        raise InvalidInput("notes are limited to 2000 characters")
    verification = RequestVerification(
        request_id=request.id,
        verified_by=actor,
        verified_at=now,
        document_type=document_type,
        relation=relation,
        depicted_person=person,
        notes=(notes or "").strip() or None,
    )
    session.add(verification)
    session.flush()
    session.refresh(request, ["verifications"])
    add_event(
        session,
        request,
        kind="verified",
        actor=actor,
        now=now,
        public_text="Your identity and your relationship to the person depicted were verified.",
        details={
            "verification_id": verification.id,
            "document_type": document_type,
            "relation": relation,
        },
    )
    return verification


Basis = Literal["610.100.3", "open-record", "released"]
BASES: tuple[str, ...] = ("610.100.3", "open-record", "released")


def linked_incidents(request: RecordsRequest) -> list[int]:
    """The incidents the request's (not removed) items name, in the order linked."""
    seen: list[int] = []
    for item in request.items:
        if item.removed_at is None and item.incident_id is not None:
            seen.append(item.incident_id)
    return list(dict.fromkeys(seen))


def released_for(session: Session, request: RecordsRequest) -> list[release.ReleasedCopy]:
    """Copies released to the public (published, not merely scheduled) of the incidents
    the request names: what basis ``released`` may deliver."""
    found: list[release.ReleasedCopy] = []
    for incident_id in linked_incidents(request):
        found.extend(release.released_copies(session, incident_id))
    return found


def deliver(
    session: Session,
    request: RecordsRequest,
    *,
    recording_id: int,
    basis: Basis,
    actor: Principal,
    now: datetime,
    days: int | None = None,
    base_url: str = "",
) -> tuple[RequestDelivery, str]:
    """Give the requester a copy of one recording, through an expiring share link;
    returns the delivery and the link token (shown once, and emailed to the requester).

    ``610.100.3``: the ORIGINAL of a recording the request names, for a verified depicted
    person; the 10 days' notice duty is recorded with the delivery and shown to them.
    ``open-record``: the original of a recording the request names, unless it was marked
    as made in a nonpublic location. ``released``: a redacted copy released to the public
    under a release case of an incident the request names (never an unreleased or
    unreviewed copy, nor an original)."""
    status = Status(request.status)
    if status not in OPEN:
        raise InvalidChange(f"a {status.value} request receives no deliveries; reopen it first")
    verification: RequestVerification | None = None
    notice: str | None = None
    release_id: int | None = None
    if basis == "released":
        copies = released_for(session, request)
        chosen = [c for c in copies if c.derived_recording_id == recording_id]
        if not chosen:
            raise InvalidChange(
                f"recording {recording_id} is not a released copy of an incident linked to "
                "this request: only a redacted copy released under the incident's release "
                "case (reviewed and decided by the release authority) may be sent this way"
            )
        release_id = chosen[0].release_id
    else:
        named = [
            i for i in request.items if i.removed_at is None and i.recording_id == recording_id
        ]
        if not named:
            raise InvalidChange(
                f"recording {recording_id} is not linked to this request: link it first"
            )
        if basis == "610.100.3":
            if request.requester_type not in DEPICTED_GROUP:
                raise Forbidden(
                    "a complete, unaltered copy under RSMo 610.100.3 is only for a person "
                    "depicted or heard, or their guardian, relative, attorney or insurer"
                )
            if not request.verifications:
                raise Forbidden(
                    "verify the requester's identity and relationship first (RSMo 610.100.3)"
                )
            verification = request.verifications[-1]
            notice = NOTICE_TEXT
        elif basis == "open-record":
            if any(i.nonpublic_location for i in named):
                raise Forbidden(
                    "this recording was marked as made in a nonpublic location: it may stay "
                    "closed (RSMo 610.100.2(3)); only a verified depicted person's copy "
                    "(basis 610.100.3) or a released copy may be given"
                )
        else:
            raise InvalidInput("basis must be 610.100.3, open-record or released")
    share, raw = shares.create_share(
        session,
        recording_id=recording_id,
        recipient=f"requester of {request.tracking_number}",
        recipient_kind="requester",
        reason=f"records-request: {request.tracking_number} ({basis})",
        actor=actor,
        link=True,
        can_download=True,
        expires_days=days or DELIVERY_DAYS,
        now=now,
    )
    assert raw is not None
    delivery = RequestDelivery(
        request_id=request.id,
        recording_id=recording_id,
        share_id=share.id,
        basis=basis,
        verification_id=verification.id if verification else None,
        notice_text=notice,
        delivered_by=actor.id,
        delivered_at=now,
        expires_at=share.expires_at,
    )
    session.add(delivery)
    session.flush()
    session.refresh(request, ["deliveries"])
    what = "The released (redacted) copy" if release_id is not None else "A copy"
    public = (
        f"{what} of recording {recording_id} is ready to download until "
        f"{share.expires_at.date().isoformat()}."
    )
    if notice:
        public += " " + notice
    add_event(
        session,
        request,
        kind="delivered",
        actor=actor.id,
        now=now,
        public_text=public,
        details={
            "delivery_id": delivery.id,
            "recording_id": recording_id,
            "share_id": share.id,
            "basis": basis,
            "verification_id": delivery.verification_id,
            "notice": notice is not None,
            "release_id": release_id,
        },
    )
    _email(
        session,
        request,
        subject="Your records are ready",
        body=f"{public}\nDownload: {base_url}/s/{raw}\nThe link is yours alone; keep it private.",
        now=now,
    )
    return delivery, raw


def open_delivery(
    session: Session, request: RecordsRequest, delivery_id: int, *, now: datetime
) -> Recording:
    """The requester downloads a delivery from the private page: the share's use (or the
    refused attempt) is a custody event on the recording. NotFound unless usable."""
    delivery = session.get(RequestDelivery, delivery_id)
    if delivery is None or delivery.request_id != request.id:
        raise NotFound("no such delivery")
    share = session.get(Share, delivery.share_id)
    if share is None:
        raise NotFound("no such delivery")
    state = shares.state_of(share, now)
    if state != "active":
        shares.record_use(
            session,
            share,
            "download",
            outcome=Outcome.DENIED,
            why=f"the link is {state}",
            dedup=True,
            now=now,
        )
        raise NotFound(f"this delivery has {'expired' if state == 'expired' else 'been revoked'}")
    decision = decide(
        session,
        shares.link_principal(share),
        Permission.RECORDING_DOWNLOAD,
        share.recording_id,
        reason=shares.share_reason(share),
    )
    if not decision.allowed:
        shares.record_use(
            session,
            share,
            "download",
            outcome=Outcome.DENIED,
            why=decision.reason,
            rule=decision.rule,
            dedup=True,
            now=now,
        )
        raise NotFound("this delivery cannot be opened")
    shares.record_use(session, share, "download", rule=decision.rule, now=now)
    recording = session.get(Recording, share.recording_id)
    if recording is None or recording.deleted_at is not None:
        raise NotFound("the recording is no longer held")
    return recording


def acknowledge_notice(
    session: Session, request: RecordsRequest, delivery_id: int, *, now: datetime
) -> RequestDelivery:
    delivery = session.get(RequestDelivery, delivery_id)
    if delivery is None or delivery.request_id != request.id or delivery.notice_text is None:
        raise NotFound("no such delivery with a notice")
    if delivery.acknowledged_at is None:
        delivery.acknowledged_at = now
        session.flush()
        add_event(
            session,
            request,
            kind="notice-acknowledged",
            actor="requester",
            now=now,
            public_text="You acknowledged the duty to give 10 days' notice before display.",
            details={"delivery_id": delivery.id},
        )
    return delivery


# -- lists --------------------------------------------------------------------------------


def queue(
    session: Session,
    *,
    now: datetime,
    include_closed: bool = False,
    calendar: Calendar | None = None,
    limit: int = MAX_LIST,
) -> list[tuple[RecordsRequest, RequestClock]]:
    """The staff queue: requests with their first clock, earliest due first (overdue
    first of all). Closed requests with a pending grounds clock stay in the queue."""
    calendar = calendar or default_calendar()
    where: list[ColumnElement[bool]] = []
    if not include_closed:
        where.append(
            or_(
                RecordsRequest.status.in_([str(s) for s in OPEN]),
                and_(
                    RecordsRequest.grounds_requested_at.is_not(None),
                    RecordsRequest.grounds_given_at.is_(None),
                ),
            )
        )
    found = session.scalars(
        select(RecordsRequest).where(*where).order_by(RecordsRequest.id.desc()).limit(limit)
    )
    rows = [(r, clock_of(r, now=now, calendar=calendar)) for r in found]
    return sorted(rows, key=lambda row: (row[1].state == "closed", _due_key(row[1]), row[0].id))


def _iso(day: date | None) -> str:
    return day.isoformat() if day is not None else "(paused)"


def public_log(
    session: Session, *, limit: int = 100, before_id: int | None = None
) -> list[RecordsRequest]:
    where: list[ColumnElement[bool]] = []
    if before_id is not None:
        where.append(RecordsRequest.id < before_id)
    return list(
        session.scalars(
            select(RecordsRequest)
            .where(*where)
            .order_by(RecordsRequest.id.desc())
            .limit(max(1, min(limit, MAX_LIST)))
        )
    )
