"""Records requests on the web: the public intake and the requester's private page (no
account), the public request log, and the staff queue, request pages and JSON API.

Thin: the rules live in :mod:`sunlight.requests.service`. Public routes are ``public()``
and answer typed models that carry no requester identity, except the private page, whose
token is the requester's own credential. A public intake is capped in size (the models'
limits) and in rate (per client address, :data:`PUBLIC_RATE`).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from sunlight.access import Permission, Principal
from sunlight.errors import InvalidInput
from sunlight.notify.models import OutboxMessage
from sunlight.requests import fees, notify, service
from sunlight.requests.models import RecordsRequest, RequestDelivery, RequestEvent, RequestItem
from sunlight.requests.states import DENIAL_PROVISIONS, OPEN, Status, parse_status
from sunlight.validation import Day, SmallId, Timestamp, parse_datetime
from sunlight.web import guard
from sunlight.web.api import _guess_video_type as guess_video_type
from sunlight.web.deps import RuntimeDep, now_for
from sunlight.web.guard import public, raw_reason, require
from sunlight.web.pages import render
from sunlight.web.ranges import object_response

router = APIRouter(tags=["records requests"])

NO_STORE = {
    "Cache-Control": "private, no-store",
    "Referrer-Policy": "no-referrer",  # the token is in the URL: never send it onwards
    "X-Robots-Tag": "noindex, nofollow",
}
TOKEN_PATH = r"[A-Za-z0-9_-]{20,100}"  # noqa: S105 (a pattern, not a secret)
Token = Annotated[str, Path(pattern=TOKEN_PATH)]
RequesterType = Literal[
    "public", "media", "depicted", "guardian", "relative", "attorney", "insurer"
]
#: Public intakes allowed per client address in the window (seconds).
PUBLIC_RATE = (20, 3600.0)


class _RateLimit:
    """A sliding window per client address, in memory (one server process)."""

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit, self.window_s = limit, window_s
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            seen = self._seen.setdefault(key, deque())
            while seen and seen[0] <= now - self.window_s:
                seen.popleft()
            if len(seen) >= self.limit:
                raise HTTPException(
                    status_code=429,
                    detail="too many requests from this address; try again later",
                    headers={"Retry-After": str(int(self.window_s))},
                )
            seen.append(now)
            if len(self._seen) > 10_000:
                self._seen = {k: v for k, v in self._seen.items() if v}


_limiter_lock = threading.Lock()


def rate_limited(request: Request) -> None:
    """One limiter per application (made on first use)."""
    state = request.app.state
    with _limiter_lock:
        limiter = getattr(state, "requests_rate_limit", None)
        if not isinstance(limiter, _RateLimit):
            limiter = _RateLimit(*PUBLIC_RATE)
            state.requests_rate_limit = limiter
    limiter.check(request.client.host if request.client else "unknown")


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


# -- models -------------------------------------------------------------------------------


class PublicRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    requester_type: RequesterType = Field(
        description="public, media, or under RSMo 610.100.3: a person depicted or heard, "
        "their guardian, a first-degree relative, attorney or insurer"
    )
    description: str = Field(min_length=1, max_length=10_000)
    date_from: Day | None = None
    date_to: Day | None = None
    location: str | None = Field(default=None, max_length=300)


class Skip(BaseModel):
    date: date
    why: str


class PauseOut(BaseModel):
    start: datetime
    end: datetime | None
    reason: str


class Arithmetic(BaseModel):
    """How the due date was counted: from the date received (Kansas City), the business
    days counted, the days skipped and why, and each pause with its reason."""

    received: date
    business_days: int
    notes: list[str]
    counted: list[date]
    skipped: list[Skip]
    pauses: list[PauseOut]


class ClockOut(BaseModel):
    kind: Literal["response", "delay", "grounds"]
    due: date | None = Field(description="None while the clock is paused")
    state: str = Field(description="on-time, due-soon, due-today, overdue, paused (or closed)")
    note: str
    arithmetic: Arithmetic | None

    @classmethod
    def of(cls, found: service.RequestClock) -> ClockOut:
        arithmetic = None
        if found.deadline is not None:
            d = found.deadline
            arithmetic = Arithmetic(
                received=d.received,
                business_days=d.business_days,
                counted=list(d.counted),
                skipped=[Skip(date=s.date, why=s.why) for s in d.skipped],
                notes=list(d.notes),
                pauses=[PauseOut(start=p.start, end=p.end, reason=p.reason) for p in d.pauses],
            )
        return cls(
            kind=found.kind,
            due=found.due,
            state=found.state,
            note=found.note,
            arithmetic=arithmetic,
        )


class PublicRequestCreated(BaseModel):
    tracking_number: str
    received_date: date
    due: date | None
    private_link: str = Field(description="The requester's page; keep it private")
    private_api: str


class PublicLogEntry(BaseModel):
    """One line of the public request log: no requester's name, email or words."""

    tracking_number: str
    received_date: date
    requester_category: str | None
    status: str
    due: date | None
    due_state: str | None


class PublicEvent(BaseModel):
    at: datetime
    text: str


class DeliveryOut(BaseModel):
    id: int
    recording_id: int
    basis: str
    delivered_at: datetime
    expires_at: datetime
    download: str
    notice: str | None
    acknowledged_at: datetime | None


class TrackView(BaseModel):
    """The requester's private page (the token holder only)."""

    tracking_number: str
    requester_name: str
    requester_type: str
    description: str
    received_at: datetime
    received_date: date
    status: str
    available_at: datetime | None
    denial_provision: str | None
    denial_reason: str | None
    fee_estimate_cents: int | None
    prepayment_required: bool
    prepayment_received: bool
    clocks: list[ClockOut]
    timeline: list[PublicEvent]
    deliveries: list[DeliveryOut]


class EventOut(BaseModel):
    id: int
    at: datetime
    actor: str
    kind: str
    public_text: str | None
    staff_text: str | None
    details: dict[str, Any]


class ItemOut(BaseModel):
    id: int
    incident_id: int | None
    recording_id: int | None
    nonpublic_location: bool
    linked_by: str
    linked_at: datetime
    why: str
    removed_at: datetime | None


class VerificationOut(BaseModel):
    id: int
    verified_by: str
    verified_at: datetime
    document_type: str
    relation: str
    depicted_person: str


class EmailOut(BaseModel):
    """A message to the requester in the durable outbox, with its delivery state."""

    id: int
    to: str
    subject: str
    status: str
    queued_at: datetime
    sent_at: datetime | None
    attempts: int
    last_error: str | None


class RequestSummary(BaseModel):
    id: int
    tracking_number: str
    requester_type: str
    received_date: date
    status: str
    clock: ClockOut


class RequestOut(RequestSummary):
    requester_name: str
    requester_email: str
    requester_phone: str | None
    description: str
    date_from: date | None
    date_to: date | None
    location: str | None
    received_at: datetime
    available_at: datetime | None
    denial_provision: str | None
    denial_reason: str | None
    grounds_requested_at: datetime | None
    grounds_given_at: datetime | None
    fee_estimate_cents: int | None
    fee_details: dict[str, Any]
    prepayment_required: bool
    prepayment_received_at: datetime | None
    clocks: list[ClockOut]
    items: list[ItemOut]
    verifications: list[VerificationOut]
    deliveries: list[DeliveryOut]
    timeline: list[EventOut]
    emails: list[EmailOut]


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: str = Field(description="The new status", max_length=40)
    message: str | None = Field(
        default=None,
        max_length=5000,
        description="To the requester: the question, the delay's detailed explanation, "
        "or the denial's reason",
    )
    available_at: Timestamp | None = Field(
        default=None, description="Delay: the earliest date and time the record is available"
    )
    provision: str | None = Field(default=None, description="Denial: the provision cited")
    note: str | None = Field(default=None, max_length=2000, description="Staff only")


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    incident_id: SmallId | None = None
    recording_id: SmallId | None = None
    why: str = Field(min_length=1, max_length=2000)
    nonpublic_location: StrictBool = False


class BulkExtendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request_ids: list[SmallId] = Field(min_length=1, max_length=service.MAX_LIST)
    explanation: str = Field(min_length=1, max_length=5000)
    available_at: Timestamp


class VerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document_type: str = Field(max_length=60, description=", ".join(service.DOCUMENT_TYPES))
    relation: Literal["self", "guardian", "relative", "attorney", "insurer"]
    depicted_person: str = Field(min_length=1, max_length=200)
    notes: str | None = Field(default=None, max_length=2000)


class DeliverIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    recording_id: SmallId
    basis: Literal["610.100.3", "open-record", "released"] = Field(
        description="610.100.3: the original for a verified depicted person; open-record: "
        "the original of a linked recording; released: a redacted copy released under the "
        "release case of a linked incident"
    )
    days: Annotated[int, Field(ge=1, le=365)] | None = None


class Delivered(BaseModel):
    delivery: DeliveryOut
    link: str = Field(description="The share link (shown once; also emailed to the requester)")


class FeesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    search_hours: float = Field(ge=0, le=fees.MAX_HOURS)
    review_hours: float = Field(ge=0, le=fees.MAX_HOURS)
    recordings: int = Field(ge=0, le=100_000)
    prepayment: StrictBool = False


class GroundsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=5000)


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=2000)


class CandidateRecording(BaseModel):
    id: int
    title: str | None
    recorded_at: datetime | None
    officer_id: int | None


class CandidateIncident(BaseModel):
    id: int
    cad_number: str
    type: str
    started_at: datetime
    location: str | None


class Candidates(BaseModel):
    recordings: list[CandidateRecording]
    incidents: list[CandidateIncident]


# -- shaping ------------------------------------------------------------------------------


def _delivery(token: str | None, d: RequestDelivery) -> DeliveryOut:
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


def _track(r: RecordsRequest, token: str, now: datetime) -> TrackView:
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
        clocks=[ClockOut.of(c) for c in _clocks(r, now)],
        timeline=[
            PublicEvent(at=e.at, text=e.public_text) for e in r.events if e.public_text is not None
        ],
        deliveries=[_delivery(token, d) for d in r.deliveries],
    )


def _clocks(r: RecordsRequest, now: datetime) -> list[service.RequestClock]:
    return service.clocks_of(r, now=now) or [service.clock_of(r, now=now)]


def _event(e: RequestEvent) -> EventOut:
    return EventOut(
        id=e.id,
        at=e.at,
        actor=e.actor,
        kind=e.kind,
        public_text=e.public_text,
        staff_text=e.staff_text,
        details=dict(e.details or {}),
    )


def _item(i: RequestItem) -> ItemOut:
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


def _summary(r: RecordsRequest, found: service.RequestClock) -> RequestSummary:
    return RequestSummary(
        id=r.id,
        tracking_number=r.tracking_number,
        requester_type=r.requester_type,
        received_date=r.received_date,
        status=r.status,
        clock=ClockOut.of(found),
    )


def _full(r: RecordsRequest, now: datetime, emails: list[OutboxMessage]) -> RequestOut:
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
        items=[_item(i) for i in r.items],
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
        deliveries=[_delivery(None, d) for d in r.deliveries],
        timeline=[_event(e) for e in r.events],
        emails=[
            EmailOut(
                id=m.id,
                to=m.to_addr,
                subject=m.subject,
                status=m.status,
                queued_at=m.queued_at,
                sent_at=m.sent_at,
                attempts=m.attempts,
                last_error=m.last_error,
            )
            for m in emails
        ],
    )


def _log_entry(r: RecordsRequest, now: datetime) -> PublicLogEntry:
    found = service.clock_of(r, now=now)
    is_open = Status(r.status) in OPEN
    return PublicLogEntry(
        tracking_number=r.tracking_number,
        received_date=r.received_date,
        requester_category=r.requester_type if service.PUBLIC_LOG_SHOWS_REQUESTER_TYPE else None,
        status=r.status,
        due=found.due if is_open else None,
        due_state=found.state if is_open else None,
    )


# -- public: intake, the log, the private page --------------------------------------------


@router.post(
    "/api/public/requests",
    response_model=PublicRequestCreated,
    status_code=201,
    summary="File a records request (no account; RSMo 610.023)",
    dependencies=[Depends(public()), Depends(rate_limited)],
)
def api_file_request(
    body: PublicRequestIn, request: Request, runtime: RuntimeDep
) -> PublicRequestCreated:
    return _file(request, runtime, body, source="api")


def _file(
    request: Request, runtime: Any, body: PublicRequestIn, *, source: str
) -> PublicRequestCreated:
    now = now_for(request)
    with runtime.db.session() as session:
        found, raw = service.file_request(
            session, **body.model_dump(), source=source, now=now, base_url=_base_url(request)
        )
        due = service.clock_of(found, now=now).due
        return PublicRequestCreated(
            tracking_number=found.tracking_number,
            received_date=found.received_date,
            due=due,
            private_link=f"/public/requests/track/{raw}",
            private_api=f"/api/public/requests/track/{raw}",
        )


@router.get(
    "/api/public/requests",
    response_model=list[PublicLogEntry],
    summary="The public request log: no requester's identity",
    dependencies=[Depends(public())],
)
def api_public_log(
    request: Request,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=service.MAX_LIST)] = 100,
    before_id: Annotated[SmallId | None, Query()] = None,
) -> list[PublicLogEntry]:
    now = now_for(request)
    with runtime.db.session(read_only=True) as session:
        found = service.public_log(session, limit=limit, before_id=before_id)
        return [_log_entry(r, now) for r in found]


def _load_track(runtime: Any, token: str, now: datetime) -> TrackView:
    with runtime.db.session(read_only=True) as session:
        return _track(service.by_token(session, token), token, now)


@router.get(
    "/api/public/requests/track/{token}",
    response_model=TrackView,
    summary="The requester's private view of a request (the token is the credential)",
    dependencies=[Depends(public())],
)
def api_track(token: Token, request: Request, runtime: RuntimeDep, response: Response) -> TrackView:
    response.headers.update(NO_STORE)
    return _load_track(runtime, token, now_for(request))


@router.post(
    "/api/public/requests/track/{token}/grounds",
    response_model=TrackView,
    summary="Ask for the written grounds of a denial (due in three business days)",
    dependencies=[Depends(public())],
)
def api_ask_grounds(
    token: Token, request: Request, runtime: RuntimeDep, response: Response
) -> TrackView:
    now = now_for(request)
    with runtime.db.session() as session:
        found = service.by_token(session, token)
        service.request_grounds(session, found, actor="requester", now=now)
    response.headers.update(NO_STORE)
    return _load_track(runtime, token, now)


def _page(response: Response) -> Response:
    response.headers.update(NO_STORE)
    return response


@router.get("/public/requests/new", response_class=HTMLResponse, include_in_schema=False)
def new_request_page(request: Request, _: Annotated[None, Depends(public())]) -> Response:
    return render(
        request, "public_request_new.html", values={}, error=None, types=service.REQUESTER_TYPES
    )


@router.post(
    "/public/requests/new",
    response_class=HTMLResponse,
    include_in_schema=False,
    dependencies=[Depends(public()), Depends(rate_limited)],
)
def new_request_form(
    request: Request,
    runtime: RuntimeDep,
    name: Annotated[str, Form(max_length=200)] = "",
    email: Annotated[str, Form(max_length=254)] = "",
    phone: Annotated[str, Form(max_length=40)] = "",
    requester_type: Annotated[str, Form(max_length=20)] = "",
    description: Annotated[str, Form(max_length=10_000)] = "",
    date_from: Annotated[str, Form(max_length=10)] = "",
    date_to: Annotated[str, Form(max_length=10)] = "",
    location: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    values = {
        "name": name,
        "email": email,
        "phone": phone,
        "requester_type": requester_type,
        "description": description,
        "date_from": date_from,
        "date_to": date_to,
        "location": location,
    }
    try:
        body = PublicRequestIn.model_validate(
            {
                **values,
                "phone": phone or None,
                "location": location or None,
                "date_from": date_from or None,
                "date_to": date_to or None,
            }
        )
        created = _file(request, runtime, body, source="web")
    except (InvalidInput, ValueError) as error:
        message = error.message if isinstance(error, InvalidInput) else _first_error(error)
        return render(
            request,
            "public_request_new.html",
            status_code=422,
            values=values,
            error=message,
            types=service.REQUESTER_TYPES,
        )
    return _page(render(request, "public_request_created.html", created=created))


def _first_error(error: ValueError) -> str:
    errors = getattr(error, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "input"
        return f"{where}: {first.get('msg', 'invalid')}"
    return str(error)


@router.get("/public/requests/track/{token}", response_class=HTMLResponse, include_in_schema=False)
def track_page(
    token: Token, request: Request, runtime: RuntimeDep, _: Annotated[None, Depends(public())]
) -> Response:
    view = _load_track(runtime, token, now_for(request))
    return _page(render(request, "public_request_track.html", view=view, token=token))


@router.post("/public/requests/track/{token}/grounds", include_in_schema=False)
def track_ask_grounds(
    token: Token, request: Request, runtime: RuntimeDep, _: Annotated[None, Depends(public())]
) -> Response:
    with runtime.db.session() as session:
        service.request_grounds(
            session, service.by_token(session, token), actor="requester", now=now_for(request)
        )
    return _page(RedirectResponse(f"/public/requests/track/{token}", status_code=303))


@router.post(
    "/public/requests/track/{token}/deliveries/{delivery_id}/acknowledge",
    include_in_schema=False,
)
def track_acknowledge(
    token: Token,
    delivery_id: SmallId,
    request: Request,
    runtime: RuntimeDep,
    _: Annotated[None, Depends(public())],
) -> Response:
    with runtime.db.session() as session:
        service.acknowledge_notice(
            session, service.by_token(session, token), delivery_id, now=now_for(request)
        )
    return _page(RedirectResponse(f"/public/requests/track/{token}", status_code=303))


@router.get(
    "/public/requests/track/{token}/deliveries/{delivery_id}/download",
    response_class=Response,
    include_in_schema=False,
)
def track_download(
    token: Token,
    delivery_id: SmallId,
    request: Request,
    runtime: RuntimeDep,
    _: Annotated[None, Depends(public())],
) -> Response:
    """The delivered recording's exact original bytes (HTTP Range); each download is a
    custody event on the recording, through the delivery's share."""
    with runtime.db.session() as session:
        found = service.by_token(session, token)
        recording = service.open_delivery(session, found, delivery_id, now=now_for(request))
        sha256, filename = recording.sha256, recording.original_filename
    response = object_response(
        request,
        runtime.store,
        sha256,
        media_type=guess_video_type(filename),
        filename=filename,
        inline=False,
    )
    return _page(response)


# -- staff: JSON --------------------------------------------------------------------------

ViewDep = Annotated[Principal, Depends(require(Permission.REQUEST_VIEW))]
ManageDep = Annotated[Principal, Depends(require(Permission.REQUEST_MANAGE))]
VerifyDep = Annotated[Principal, Depends(require(Permission.REQUEST_VERIFY))]


@router.get("/api/requests", response_model=list[RequestSummary], summary="The staff queue")
def api_queue(
    request: Request,
    runtime: RuntimeDep,
    actor: ViewDep,
    include_closed: bool = False,
) -> list[RequestSummary]:
    del actor
    with runtime.db.session(read_only=True) as session:
        rows = service.queue(session, now=now_for(request), include_closed=include_closed)
        return [_summary(r, c) for r, c in rows]


def _loaded(runtime: Any, request_id: int, now: datetime) -> RequestOut:
    with runtime.db.session(read_only=True) as session:
        found = service.get(session, request_id)
        return _full(found, now, notify.emails_of(session, request_id))


@router.get("/api/requests/{request_id}", response_model=RequestOut, summary="One request")
def api_request(
    request_id: SmallId, request: Request, runtime: RuntimeDep, actor: ViewDep
) -> RequestOut:
    del actor
    return _loaded(runtime, request_id, now_for(request))


@router.post(
    "/api/requests/{request_id}/transition",
    response_model=RequestOut,
    summary="Change a request's status (the table of allowed changes in docs/requests.md)",
)
def api_transition(
    request_id: SmallId,
    body: TransitionIn,
    request: Request,
    runtime: RuntimeDep,
    actor: ManageDep,
) -> RequestOut:
    now = now_for(request)
    with runtime.db.session() as session:
        service.transition(
            session,
            service.get(session, request_id),
            parse_status(body.to),
            actor=actor.id,
            now=now,
            message=body.message,
            available_at=body.available_at,
            provision=body.provision,
            staff_note=body.note,
        )
    return _loaded(runtime, request_id, now)


@router.post(
    "/api/requests/bulk-extend",
    response_model=list[RequestSummary],
    summary="Delay many requests with one explanation and earliest date (one event each)",
)
def api_bulk_extend(
    body: BulkExtendIn, request: Request, runtime: RuntimeDep, actor: ManageDep
) -> list[RequestSummary]:
    now = now_for(request)
    with runtime.db.session() as session:
        service.bulk_extend(
            session,
            body.request_ids,
            explanation=body.explanation,
            available_at=body.available_at,
            actor=actor.id,
            now=now,
        )
        return [
            _summary(r, service.clock_of(r, now=now))
            for r in (service.get(session, i) for i in dict.fromkeys(body.request_ids))
        ]


@router.get(
    "/api/requests/{request_id}/candidates",
    response_model=Candidates,
    summary="Footage that may answer the request, among what you may list",
)
def api_candidates(
    request_id: SmallId,
    runtime: RuntimeDep,
    actor: ManageDep,
    date_from: Day | None = None,
    date_to: Day | None = None,
    location: Annotated[str | None, Query(max_length=100)] = None,
) -> Candidates:
    with runtime.db.session(read_only=True) as session:
        found = service.get(session, request_id)
        result = service.search_footage(
            session,
            actor,
            date_from=date_from or found.date_from,
            date_to=date_to or found.date_to,
            location=location if location is not None else found.location,
        )
        return Candidates(
            recordings=[
                CandidateRecording(
                    id=r.id, title=r.title, recorded_at=r.recorded_at, officer_id=r.officer_id
                )
                for r in result.recordings
            ],
            incidents=[
                CandidateIncident(
                    id=i.id,
                    cad_number=i.cad_number,
                    type=i.type,
                    started_at=i.started_at,
                    location=i.location,
                )
                for i in result.incidents
            ],
        )


@router.get("/api/requests/{request_id}/items", response_model=list[ItemOut])
def api_items(request_id: SmallId, runtime: RuntimeDep, actor: ViewDep) -> list[ItemOut]:
    del actor
    with runtime.db.session(read_only=True) as session:
        return [_item(i) for i in service.get(session, request_id).items]


@router.post(
    "/api/requests/{request_id}/items",
    response_model=ItemOut,
    status_code=201,
    summary="Link an incident or recording to the request (scoped: what you may see)",
)
def api_add_item(
    request_id: SmallId, body: ItemIn, request: Request, runtime: RuntimeDep, actor: ManageDep
) -> ItemOut:
    with runtime.db.session() as session:
        item = service.add_item(
            session,
            service.get(session, request_id),
            principal=actor,
            why=body.why,
            now=now_for(request),
            incident_id=body.incident_id,
            recording_id=body.recording_id,
            nonpublic_location=body.nonpublic_location,
        )
        return _item(item)


@router.post(
    "/api/requests/{request_id}/items/{item_id}/remove",
    response_model=ItemOut,
    summary="Unlink footage from the request",
)
def api_remove_item(
    request_id: SmallId,
    item_id: SmallId,
    body: GroundsIn,
    request: Request,
    runtime: RuntimeDep,
    actor: ManageDep,
) -> ItemOut:
    with runtime.db.session() as session:
        item = service.remove_item(
            session,
            service.get(session, request_id),
            item_id,
            actor=actor.id,
            why=body.text,
            now=now_for(request),
        )
        return _item(item)


@router.post(
    "/api/requests/{request_id}/verify",
    response_model=VerificationOut,
    status_code=201,
    summary="Record the verified identity and relationship of a depicted person's requester",
)
def api_verify(
    request_id: SmallId, body: VerifyIn, request: Request, runtime: RuntimeDep, actor: VerifyDep
) -> VerificationOut:
    with runtime.db.session() as session:
        v = service.verify(
            session,
            service.get(session, request_id),
            actor=actor.id,
            document_type=body.document_type,
            relation=body.relation,
            depicted_person=body.depicted_person,
            notes=body.notes,
            now=now_for(request),
        )
        return VerificationOut(
            id=v.id,
            verified_by=v.verified_by,
            verified_at=v.verified_at,
            document_type=v.document_type,
            relation=v.relation,
            depicted_person=v.depicted_person,
        )


def _deliver(
    request: Request,
    runtime: Any,
    actor: Principal,
    request_id: int,
    body: DeliverIn,
    raw: str | None,
) -> tuple[RequestDelivery, str]:
    # Sharing the recording is decided on the recording, like any share (404 out of scope,
    # 403 refused and recorded).
    guard.check(runtime, actor, Permission.SHARE_CREATE, body.recording_id, raw)
    with runtime.db.session() as session:
        delivery, link = service.deliver(
            session,
            service.get(session, request_id),
            recording_id=body.recording_id,
            basis=body.basis,
            actor=actor,
            now=now_for(request),
            days=body.days,
            base_url=_base_url(request),
        )
        session.expunge(delivery)
        return delivery, link


@router.post(
    "/api/requests/{request_id}/deliver",
    response_model=Delivered,
    status_code=201,
    summary="Give the requester a copy of a linked recording through an expiring link",
)
def api_deliver(
    request_id: SmallId,
    body: DeliverIn,
    request: Request,
    runtime: RuntimeDep,
    actor: ManageDep,
    raw: Annotated[str | None, Depends(raw_reason)],
) -> Delivered:
    delivery, link = _deliver(request, runtime, actor, request_id, body, raw)
    return Delivered(delivery=_delivery(None, delivery), link=f"/s/{link}")


@router.post("/api/requests/{request_id}/fees", response_model=RequestOut)
def api_fees(
    request_id: SmallId, body: FeesIn, request: Request, runtime: RuntimeDep, actor: ManageDep
) -> RequestOut:
    now = now_for(request)
    with runtime.db.session() as session:
        service.set_estimate(
            session,
            service.get(session, request_id),
            search_hours=body.search_hours,
            review_hours=body.review_hours,
            recordings=body.recordings,
            prepayment=body.prepayment,
            actor=actor.id,
            now=now,
        )
    return _loaded(runtime, request_id, now)


@router.post("/api/requests/{request_id}/prepayment", response_model=RequestOut)
def api_prepayment(
    request_id: SmallId, request: Request, runtime: RuntimeDep, actor: ManageDep, body: NoteIn
) -> RequestOut:
    now = now_for(request)
    with runtime.db.session() as session:
        service.record_prepayment(
            session, service.get(session, request_id), actor=actor.id, now=now, note=body.note
        )
    return _loaded(runtime, request_id, now)


@router.post(
    "/api/requests/{request_id}/grounds-requested",
    response_model=RequestOut,
    summary="Record that the requester asked for written grounds (by phone, mail, ...)",
)
def api_grounds_requested(
    request_id: SmallId, request: Request, runtime: RuntimeDep, actor: ManageDep
) -> RequestOut:
    now = now_for(request)
    with runtime.db.session() as session:
        service.request_grounds(session, service.get(session, request_id), actor=actor.id, now=now)
    return _loaded(runtime, request_id, now)


@router.post(
    "/api/requests/{request_id}/grounds",
    response_model=RequestOut,
    summary="Give the written grounds for a denial",
)
def api_grounds(
    request_id: SmallId, body: GroundsIn, request: Request, runtime: RuntimeDep, actor: ManageDep
) -> RequestOut:
    now = now_for(request)
    with runtime.db.session() as session:
        service.give_grounds(
            session, service.get(session, request_id), text=body.text, actor=actor.id, now=now
        )
    return _loaded(runtime, request_id, now)


# -- staff: pages -------------------------------------------------------------------------


@router.get("/requests", response_class=HTMLResponse, include_in_schema=False)
def queue_page(
    request: Request, runtime: RuntimeDep, actor: ViewDep, include_closed: bool = False
) -> Response:
    del actor
    with runtime.db.session(read_only=True) as session:
        rows = service.queue(session, now=now_for(request), include_closed=include_closed)
        summaries = [_summary(r, c) for r, c in rows]
    return render(request, "requests_queue.html", rows=summaries, include_closed=include_closed)


@router.get("/requests/{request_id}", response_class=HTMLResponse, include_in_schema=False)
def request_page(
    request_id: SmallId, request: Request, runtime: RuntimeDep, actor: ViewDep
) -> Response:
    del actor
    found = _loaded(runtime, request_id, now_for(request))
    with runtime.db.session(read_only=True) as session:
        released = service.released_for(session, service.get(session, request_id))
    return render(
        request,
        "requests_detail.html",
        r=found,
        released=released,
        statuses=[s.value for s in Status],
        provisions=DENIAL_PROVISIONS,
        document_types=service.DOCUMENT_TYPES,
        relations=service.RELATIONS,
        dollars=fees.dollars,
    )


def _back(request_id: int, anchor: str = "") -> Response:
    return RedirectResponse(f"/requests/{request_id}{anchor}", status_code=303)


def _when(text: str) -> datetime | None:
    """A form's date and time: with an offset, or (a datetime-local field) Kansas City's."""
    if not text.strip():
        return None
    when = parse_datetime(text.strip(), "available_at", require_offset=False)
    return when if when.tzinfo is not None else when.replace(tzinfo=service.KANSAS_CITY)


@router.post("/requests/{request_id}/transition", include_in_schema=False)
def transition_form(
    request_id: SmallId,
    request: Request,
    runtime: RuntimeDep,
    actor: ManageDep,
    to: Annotated[str, Form(max_length=40)],
    message: Annotated[str, Form(max_length=5000)] = "",
    available_at: Annotated[str, Form(max_length=40)] = "",
    provision: Annotated[str, Form(max_length=40)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    with runtime.db.session() as session:
        service.transition(
            session,
            service.get(session, request_id),
            parse_status(to),
            actor=actor.id,
            now=now_for(request),
            message=message or None,
            available_at=_when(available_at),
            provision=provision or None,
            staff_note=note or None,
        )
    return _back(request_id)


@router.post("/requests/{request_id}/items", include_in_schema=False)
def item_form(
    request_id: SmallId,
    request: Request,
    runtime: RuntimeDep,
    actor: ManageDep,
    why: Annotated[str, Form(max_length=2000)],
    recording_id: Annotated[str, Form(max_length=20)] = "",
    incident_id: Annotated[str, Form(max_length=20)] = "",
    nonpublic_location: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    body = ItemIn.model_validate(
        {
            "why": why,
            "recording_id": int(recording_id) if recording_id.strip().isdigit() else None,
            "incident_id": int(incident_id) if incident_id.strip().isdigit() else None,
            "nonpublic_location": bool(nonpublic_location),
        }
    )
    with runtime.db.session() as session:
        service.add_item(
            session,
            service.get(session, request_id),
            principal=actor,
            why=body.why,
            now=now_for(request),
            incident_id=body.incident_id,
            recording_id=body.recording_id,
            nonpublic_location=body.nonpublic_location,
        )
    return _back(request_id, "#items")


@router.post("/requests/{request_id}/verify", include_in_schema=False)
def verify_form(
    request_id: SmallId,
    request: Request,
    runtime: RuntimeDep,
    actor: VerifyDep,
    document_type: Annotated[str, Form(max_length=60)],
    relation: Annotated[str, Form(max_length=40)],
    depicted_person: Annotated[str, Form(max_length=200)],
    notes: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    with runtime.db.session() as session:
        service.verify(
            session,
            service.get(session, request_id),
            actor=actor.id,
            document_type=document_type,
            relation=relation,
            depicted_person=depicted_person,
            notes=notes or None,
            now=now_for(request),
        )
    return _back(request_id, "#verification")


@router.post("/requests/{request_id}/deliver", response_class=HTMLResponse, include_in_schema=False)
def deliver_form(
    request_id: SmallId,
    request: Request,
    runtime: RuntimeDep,
    actor: ManageDep,
    recording_id: Annotated[str, Form(max_length=20)],
    basis: Annotated[str, Form(max_length=20)],
    raw: Annotated[str | None, Depends(raw_reason)],
) -> Response:
    body = DeliverIn.model_validate(
        {"recording_id": int(recording_id) if recording_id.isdigit() else 0, "basis": basis}
    )
    _deliver(request, runtime, actor, request_id, body, raw or "records-request")
    return _back(request_id, "#deliveries")


@router.post("/requests/bulk-extend", include_in_schema=False)
def bulk_extend_form(
    request: Request,
    runtime: RuntimeDep,
    actor: ManageDep,
    explanation: Annotated[str, Form(max_length=5000)],
    available_at: Annotated[str, Form(max_length=40)],
    request_ids: Annotated[list[int], Form()],
) -> Response:
    when = _when(available_at)
    if when is None:
        raise InvalidInput("a delay needs the earliest date and time the record is available")
    with runtime.db.session() as session:
        service.bulk_extend(
            session,
            request_ids,
            explanation=explanation,
            available_at=when,
            actor=actor.id,
            now=now_for(request),
        )
    return RedirectResponse("/requests", status_code=303)


@router.post("/requests/{request_id}/fees", include_in_schema=False)
def fees_form(
    request_id: SmallId,
    request: Request,
    runtime: RuntimeDep,
    actor: ManageDep,
    search_hours: Annotated[float, Form(ge=0, le=fees.MAX_HOURS)],
    review_hours: Annotated[float, Form(ge=0, le=fees.MAX_HOURS)],
    recordings: Annotated[int, Form(ge=0, le=100_000)],
    prepayment: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    with runtime.db.session() as session:
        service.set_estimate(
            session,
            service.get(session, request_id),
            search_hours=search_hours,
            review_hours=review_hours,
            recordings=recordings,
            prepayment=bool(prepayment),
            actor=actor.id,
            now=now_for(request),
        )
    return _back(request_id, "#fees")


@router.post("/requests/{request_id}/prepayment", include_in_schema=False)
def prepayment_form(
    request_id: SmallId,
    request: Request,
    runtime: RuntimeDep,
    actor: ManageDep,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    with runtime.db.session() as session:
        service.record_prepayment(
            session,
            service.get(session, request_id),
            actor=actor.id,
            now=now_for(request),
            note=note or None,
        )
    return _back(request_id, "#fees")


@router.post("/requests/{request_id}/grounds", include_in_schema=False)
def grounds_form(
    request_id: SmallId,
    request: Request,
    runtime: RuntimeDep,
    actor: ManageDep,
    text: Annotated[str, Form(max_length=5000)] = "",
    asked: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Record that the requester asked for written grounds (``asked``), or give them."""
    with runtime.db.session() as session:
        found = service.get(session, request_id)
        if asked:
            service.request_grounds(session, found, actor=actor.id, now=now_for(request))
        else:
            service.give_grounds(session, found, text=text, actor=actor.id, now=now_for(request))
    return _back(request_id)
