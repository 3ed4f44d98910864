"""Records requests on the staff web pages: the queue, a request's page and its forms
(each answered with a redirect back to the request)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sunlight.errors import InvalidInput
from sunlight.requests import fees, service
from sunlight.requests.schemas import DeliverIn, ItemIn
from sunlight.requests.states import DENIAL_PROVISIONS, Status, parse_status
from sunlight.requests.views import loaded, summary_out
from sunlight.requests.web_common import ManageDep, VerifyDep, ViewDep, deliver_copy
from sunlight.validation import SmallId, parse_datetime
from sunlight.web.deps import RuntimeDep, now_for
from sunlight.web.guard import raw_reason
from sunlight.web.pages import render

router = APIRouter(tags=["records requests"])


@router.get("/requests", response_class=HTMLResponse, include_in_schema=False)
def queue_page(
    request: Request, runtime: RuntimeDep, actor: ViewDep, include_closed: bool = False
) -> Response:
    del actor
    with runtime.db.session(read_only=True) as session:
        rows = service.queue(session, now=now_for(request), include_closed=include_closed)
        summaries = [summary_out(r, c) for r, c in rows]
    return render(request, "requests_queue.html", rows=summaries, include_closed=include_closed)


@router.get("/requests/{request_id}", response_class=HTMLResponse, include_in_schema=False)
def request_page(
    request_id: SmallId, request: Request, runtime: RuntimeDep, actor: ViewDep
) -> Response:
    del actor
    found = loaded(runtime, request_id, now_for(request))
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
    deliver_copy(request, runtime, actor, request_id, body, raw or "records-request")
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
