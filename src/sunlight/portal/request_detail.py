"""A records request's public page (``/public/requests/{tracking_number}``): what anyone may
know about a request without its private link. The status, the clocks with their
arithmetic, each step in standard words, the provision a denial cites, and the released
footage that answers it. Never the requester's identity or words, never a staff or
requester message (those can name people): a pause reads "waiting for the requester's
clarification", not the question asked."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from sunlight.incidents.models import Incident
from sunlight.portal.i18n import N_
from sunlight.release.models import Release, ReleaseCase
from sunlight.requests import service
from sunlight.requests.models import RecordsRequest
from sunlight.requests.schemas import ClockOut, PauseOut
from sunlight.requests.states import OPEN, Status
from sunlight.requests.views import clocks_for

#: Each kind of timeline entry, in the standard words the public page uses.
STEP_TEXT: dict[str, str] = {
    "received": N_("Request received"),
    "fee-estimate": N_("Fee estimated"),
    "prepayment-received": N_("Payment received"),
    "grounds-requested": N_("Written grounds for the denial asked for"),
    "grounds-given": N_("Written grounds for the denial given"),
    "item-linked": N_("Footage identified"),
    "item-removed": N_("Footage set aside"),
    "delivered": N_("Records provided to the requester"),
}
#: Timeline kinds the public page leaves out (mail, reminders, the requester's own steps),
#: and the verification of a requester's relationship to a person in the footage: only a
#: person depicted, or their guardian, relative, attorney or insurer is ever verified (RSMo
#: 610.100.3), whom the log shows as "public" (``requests.common.PUBLIC_CATEGORIES``).
HIDDEN_KINDS = frozenset({"email", "reminder", "notice-acknowledged", "verified"})
#: A pause's public reason (the question asked of the requester is not published).
CLARIFICATION = N_("waiting for the requester's clarification")


class PublicStep(BaseModel):
    at: datetime
    kind: str = Field(description="received, status, fee-estimate, item-linked, ...")
    text: str = Field(description="standard wording (English; the page translates it)")
    status: str | None = Field(description="the new status, for a change of status")
    provision: str | None = Field(description="the provision a denial cites")


class PublicReleaseRef(BaseModel):
    id: int
    incident_type: str
    released_at: datetime
    url: str


class PublicRequestView(BaseModel):
    """A request as anyone may see it: no requester identity, no free text."""

    tracking_number: str
    received_date: date
    requester_category: str | None
    status: str
    open: bool
    available_at: datetime | None
    denial_provision: str | None
    clocks: list[ClockOut]
    steps: list[PublicStep]
    releases: list[PublicReleaseRef]


def _public_clock(clock: ClockOut) -> ClockOut:
    if clock.arithmetic is None:
        return clock
    pauses = [
        PauseOut(start=p.start, end=p.end, reason=CLARIFICATION) for p in clock.arithmetic.pauses
    ]
    return clock.model_copy(
        update={"arithmetic": clock.arithmetic.model_copy(update={"pauses": pauses})}
    )


def _steps(request: RecordsRequest) -> list[PublicStep]:
    steps: list[PublicStep] = []
    for e in request.events:
        if e.kind in HIDDEN_KINDS:
            continue
        details = e.details or {}
        if e.kind == "status":
            to = details.get("to")
            steps.append(
                PublicStep(
                    at=e.at,
                    kind=e.kind,
                    text=N_("Status changed"),
                    status=to if isinstance(to, str) else None,
                    provision=details.get("provision")
                    if isinstance(details.get("provision"), str)
                    else None,
                )
            )
        elif e.kind in STEP_TEXT:
            steps.append(
                PublicStep(
                    at=e.at, kind=e.kind, text=STEP_TEXT[e.kind], status=None, provision=None
                )
            )
    return steps


def _releases(session: Session, request: RecordsRequest) -> list[PublicReleaseRef]:
    items = [i for i in request.items if i.removed_at is None]
    incidents = {i.incident_id for i in items if i.incident_id is not None}
    recordings = {i.recording_id for i in items if i.recording_id is not None}
    if not incidents and not recordings:
        return []
    rows = session.execute(
        select(Release.id, Release.released_at, Incident.type)
        .join(ReleaseCase, ReleaseCase.id == Release.case_id)
        .join(Incident, Incident.id == ReleaseCase.incident_id)
        .where(
            Release.public.is_(True),
            Release.released_at.is_not(None),
            Release.cancelled_at.is_(None),
            or_(
                ReleaseCase.incident_id.in_(incidents),
                Release.original_recording_id.in_(recordings),
            ),
        )
        .order_by(Release.released_at, Release.id)
    )
    return [
        PublicReleaseRef(
            id=r.id,
            incident_type=r.type,
            released_at=r.released_at,
            url=f"/public/releases/{r.id}",
        )
        for r in rows
        if r.released_at is not None
    ]


def public_request(session: Session, tracking_number: str, now: datetime) -> PublicRequestView:
    """The public view of one request (NotFound for an unknown tracking number)."""
    request = service.by_tracking(session, tracking_number)
    is_open = Status(request.status) in OPEN
    clocks = [_public_clock(ClockOut.of(c)) for c in clocks_for(request, now)] if is_open else []
    return PublicRequestView(
        tracking_number=request.tracking_number,
        received_date=request.received_date,
        requester_category=(
            service.public_category(request.requester_type)
            if service.PUBLIC_LOG_SHOWS_REQUESTER_TYPE
            else None
        ),
        status=request.status,
        open=is_open,
        available_at=request.available_at if request.status == Status.DELAYED else None,
        denial_provision=request.denial_provision,
        clocks=clocks,
        steps=_steps(request),
        releases=_releases(session, request),
    )
