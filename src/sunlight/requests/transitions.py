"""Changes of a request's state along the state table: acknowledging, clarification (the
clock pauses), delays with their explanation and earliest date, denials citing a
provision, fulfilment, reopening; and written grounds for a denial (RSMo 610.023.3)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from sunlight.errors import InvalidChange, InvalidInput
from sunlight.requests import clock
from sunlight.requests.calendar import default_calendar
from sunlight.requests.common import GROUNDS_DAYS, MIN_EXPLANATION, add_event, iso_day, send_email
from sunlight.requests.models import (
    RecordsRequest,
    RequestEvent,
    RequestPause,
)
from sunlight.requests.states import (
    DENIAL_PROVISIONS,
    Status,
    check,
)

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
        send_email(
            session,
            request,
            subject=f"Your records request: {target.value.replace('-', ' ')}",
            body=public_text,
            now=now,
        )
    return event


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
    due = iso_day(clock.deadline(now, GROUNDS_DAYS, calendar=default_calendar()).due)
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
    send_email(session, request, subject="Written grounds for the denial", body=public, now=now)
    return event
