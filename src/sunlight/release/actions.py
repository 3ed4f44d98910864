"""Release acts on the web, shared by the JSON routes (``release.api``) and the staff forms
(``release.pages``): the request bodies, each route's access dependency, and the acts that
open one transaction and call the domain (``sunlight.release.service``). Each act takes the
request's ``now`` (``web.deps.now_for``: the app's clock, so tests and the demo can set it).

Web layer: it uses ``sunlight.web.guard``; domain modules never import it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Depends
from pydantic import BaseModel, Field

from sunlight.access import Permission
from sunlight.errors import Forbidden, NotFound
from sunlight.release import service, states
from sunlight.release.models import ReleaseCase
from sunlight.runtime import Runtime
from sunlight.validation import Day, Id, SmallId, Timestamp
from sunlight.web.guard import Access, check, incident_for

# -- request bodies --------------------------------------------------------------------


class OpenIn(BaseModel):
    pass


class MoveIn(BaseModel):
    to: Literal["closed", "in-review", "ready"]
    reason: str | None = Field(default=None, max_length=2000)


class CandidateIn(BaseModel):
    recording_id: Id


class ReviewIn(BaseModel):
    plan_version: int = Field(ge=1, le=1_000_000)
    note: str | None = Field(default=None, max_length=2000)


class DecideIn(BaseModel):
    action: Literal["release", "withhold", "send-back", "reconsider"]
    candidate_ids: list[SmallId] = Field(default_factory=list, max_length=200)
    embargo_until: Timestamp | None = None
    statute: str | None = Field(default=None, max_length=200)
    reason: str | None = Field(default=None, max_length=2000)


class ExtensionIn(BaseModel):
    basis: str = Field(max_length=4000)
    estimated_release: Day | None = None


class PetitionIn(BaseModel):
    court: str = Field(min_length=1, max_length=200)
    case_number: str = Field(min_length=1, max_length=100)
    petitioner: str = Field(min_length=1, max_length=200)
    filed_on: Day


class OrderIn(BaseModel):
    outcome: Literal["release", "deny", "conditions"]
    ordered_on: Day
    conditions: str | None = Field(default=None, max_length=4000)
    candidate_ids: list[SmallId] = Field(default_factory=list, max_length=200)


# -- each route's access (an incident and a release permission) -----------------------

ViewAccess = Annotated[Access, Depends(incident_for(Permission.RELEASE_VIEW))]
PrepareAccess = Annotated[Access, Depends(incident_for(Permission.RELEASE_PREPARE))]
ReviewAccess = Annotated[Access, Depends(incident_for(Permission.RELEASE_REVIEW))]
DecideAccess = Annotated[Access, Depends(incident_for(Permission.RELEASE_DECIDE))]
CourtAccess = Annotated[Access, Depends(incident_for(Permission.RELEASE_COURT))]
ConfirmAccess = Annotated[Access, Depends(incident_for(Permission.RELEASE_COURT_CONFIRM))]


# -- acting (shared by JSON and forms) -------------------------------------------------


def act_open(runtime: Runtime, access: Access, now: datetime) -> None:
    with runtime.db.session() as session:
        service.open_case(session, access.resource_id, principal=access.principal, now=now)


def act_move(runtime: Runtime, access: Access, body: MoveIn, now: datetime) -> None:
    # A move that needs more than preparing (the authority sending a case back) is decided,
    # and a refusal recorded, like any route's permission.
    with runtime.db.session(read_only=True) as session:
        current = service.get_case(session, access.resource_id).state
    step = states.TRANSITIONS.get((current, body.to))
    if step is not None and step.permission != Permission.RELEASE_PREPARE:
        check(runtime, access.principal, step.permission, access.resource_id, None, now=now)
    with runtime.db.session() as session:
        service.move(
            session,
            access.resource_id,
            body.to,
            principal=access.principal,
            now=now,
            reason=body.reason,
        )


def act_candidate(runtime: Runtime, access: Access, body: CandidateIn, now: datetime) -> None:
    with runtime.db.session() as session:
        service.add_candidate(
            session, access.resource_id, body.recording_id, principal=access.principal, now=now
        )


def act_review(
    runtime: Runtime, access: Access, candidate_id: int, body: ReviewIn, now: datetime
) -> None:
    with runtime.db.session() as session:
        candidate, case = service.candidate_of(session, candidate_id)
        if case.incident_id != access.resource_id:
            raise NotFound(f"no candidate {candidate_id} for this incident")
        service.review_candidate(
            session,
            candidate.id,
            principal=access.principal,
            plan_version=body.plan_version,
            note=body.note,
            now=now,
        )


def act_decide(runtime: Runtime, access: Access, body: DecideIn, now: datetime) -> None:
    with runtime.db.session() as session:
        if body.action == "release":
            service.decide_release(
                session,
                access.resource_id,
                principal=access.principal,
                candidate_ids=list(body.candidate_ids),
                embargo_until=body.embargo_until,
                reason=body.reason,
                now=now,
            )
        elif body.action == "withhold":
            service.withhold(
                session,
                access.resource_id,
                principal=access.principal,
                statute=body.statute or "",
                reason=body.reason or "",
                now=now,
            )
        else:
            service.move(
                session,
                access.resource_id,
                states.IN_REVIEW,
                principal=access.principal,
                now=now,
                reason=body.reason,
            )


def act_extend(runtime: Runtime, access: Access, body: ExtensionIn, now: datetime) -> None:
    with runtime.db.session() as session:
        service.extend(
            session,
            access.resource_id,
            principal=access.principal,
            basis=body.basis,
            estimated_release=body.estimated_release,
            now=now,
        )


def act_petition(runtime: Runtime, access: Access, body: PetitionIn, now: datetime) -> None:
    with runtime.db.session() as session:
        service.file_petition(
            session,
            access.resource_id,
            principal=access.principal,
            court=body.court,
            case_number=body.case_number,
            petitioner=body.petitioner,
            filed_on=body.filed_on,
            now=now,
        )


def act_order(
    runtime: Runtime, access: Access, petition_id: int, body: OrderIn, now: datetime
) -> None:
    with runtime.db.session() as session:
        petition = service.petition(session, petition_id)
        case = session.get(ReleaseCase, petition.case_id)
        if case is None or case.incident_id != access.resource_id:
            raise NotFound(f"no petition {petition_id} for this incident")
        service.record_order(
            session,
            petition_id,
            principal=access.principal,
            outcome=body.outcome,
            ordered_on=body.ordered_on,
            conditions=body.conditions,
            candidate_ids=list(body.candidate_ids),
            now=now,
        )


def act_confirm(runtime: Runtime, access: Access, order_id: int, now: datetime) -> None:
    """A second person confirms a court order; a refusal (the same person, a confirmed
    order) is recorded in its own transaction, since the refused one rolls back."""
    with runtime.db.session(read_only=True) as session:
        _, _, case = service.order(session, order_id)
        if case.incident_id != access.resource_id:
            raise NotFound(f"no court order {order_id} for this incident")
    try:
        with runtime.db.session() as session:
            service.confirm_order(session, order_id, principal=access.principal, now=now)
    except Forbidden as refused:
        with runtime.db.session() as session:
            service.record_refused_confirmation(
                session, order_id, principal=access.principal, why=refused.message, now=now
            )
        raise
