"""Records requests on the staff JSON API: the queue, one request, changes of state, bulk
extension, candidate footage and linked items, verification, delivery, fees and written
grounds.

Thin: the rules live in :mod:`sunlight.requests.service`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from sunlight.requests import service
from sunlight.requests.schemas import (
    BulkExtendIn,
    CandidateIncident,
    CandidateRecording,
    Candidates,
    Delivered,
    DeliverIn,
    FeesIn,
    GroundsIn,
    ItemIn,
    ItemOut,
    NoteIn,
    RequestOut,
    RequestSummary,
    TransitionIn,
    VerificationOut,
    VerifyIn,
)
from sunlight.requests.states import parse_status
from sunlight.requests.views import delivery_out, item_out, loaded, summary_out
from sunlight.requests.web_common import ManageDep, VerifyDep, ViewDep, deliver_copy
from sunlight.validation import Day, SmallId
from sunlight.web.deps import RuntimeDep, now_for
from sunlight.web.guard import raw_reason

router = APIRouter(tags=["records requests"])


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
        return [summary_out(r, c) for r, c in rows]


@router.get("/api/requests/{request_id}", response_model=RequestOut, summary="One request")
def api_request(
    request_id: SmallId, request: Request, runtime: RuntimeDep, actor: ViewDep
) -> RequestOut:
    del actor
    return loaded(runtime, request_id, now_for(request))


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
    return loaded(runtime, request_id, now)


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
            summary_out(r, service.clock_of(r, now=now))
            for r in (service.get(session, i) for i in dict.fromkeys(body.request_ids))
        ]


@router.get(
    "/api/requests/{request_id}/candidates",
    response_model=Candidates,
    summary="Footage that may answer the request, among what you may list",
)
def api_candidates(
    request_id: SmallId,
    request: Request,
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
            now=now_for(request),
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
        return [item_out(i) for i in service.get(session, request_id).items]


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
        return item_out(item)


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
        return item_out(item)


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
    delivery, link = deliver_copy(request, runtime, actor, request_id, body, raw)
    return Delivered(delivery=delivery_out(None, delivery), link=f"/s/{link}")


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
    return loaded(runtime, request_id, now)


@router.post("/api/requests/{request_id}/prepayment", response_model=RequestOut)
def api_prepayment(
    request_id: SmallId, request: Request, runtime: RuntimeDep, actor: ManageDep, body: NoteIn
) -> RequestOut:
    now = now_for(request)
    with runtime.db.session() as session:
        service.record_prepayment(
            session, service.get(session, request_id), actor=actor.id, now=now, note=body.note
        )
    return loaded(runtime, request_id, now)


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
    return loaded(runtime, request_id, now)


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
    return loaded(runtime, request_id, now)
