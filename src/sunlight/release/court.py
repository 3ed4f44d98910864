"""Court petitions and orders (RSMo 610.100): record a petition, and the court's order on it.
Two people: one records the order (unconfirmed), a different person with
``release:court-confirm`` confirms it; only then does an order to release publish the
reviewed candidates it names."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from sunlight.access import Permission, Principal
from sunlight.access.audit import AuthAction
from sunlight.errors import Conflict, InvalidChange, NotFound, SecondPersonRequired
from sunlight.evidence.custody import Action, Outcome, record
from sunlight.evidence.models import CustodyEvent
from sunlight.release import states
from sunlight.release.candidates import releasable
from sunlight.release.cases import transition
from sunlight.release.common import (
    authorize,
    custody_event,
    get_case,
    load_incident,
    loaded_policy,
    policy_stamp,
)
from sunlight.release.decisions import publish
from sunlight.release.models import (
    CourtOrder,
    CourtPetition,
    Release,
    ReleaseCandidate,
    ReleaseCase,
)
from sunlight.validation import check_text

ORDER_OUTCOMES = ("release", "deny", "conditions")


def file_petition(
    session: Session,
    incident_id: int,
    *,
    principal: Principal,
    court: str,
    case_number: str,
    petitioner: str,
    filed_on: date,
    now: datetime,
) -> CourtPetition:
    case = get_case(session, incident_id)
    authorize(session, principal, Permission.RELEASE_COURT, incident_id, now=now)
    court, case_number, petitioner = court.strip(), case_number.strip(), petitioner.strip()
    if not (court and case_number and petitioner):
        raise InvalidChange("a petition needs the court, the case number and the petitioner")
    petition = CourtPetition(
        case_id=case.id,
        court=check_text(court, "court", column=CourtPetition.court),
        case_number=check_text(case_number, "case number", column=CourtPetition.case_number),
        petitioner=check_text(petitioner, "petitioner", column=CourtPetition.petitioner),
        filed_on=filed_on,
        recorded_at=now,
        recorded_by=principal.id,
    )
    session.add(petition)
    session.flush()
    custody_event(
        session,
        actor=principal.id,
        action=Action.COURT_PETITION,
        object_type="incident",
        object_id=incident_id,
        now=now,
        details={
            "case_id": case.id,
            "petition_id": petition.id,
            "court": petition.court,
            "case_number": petition.case_number,
            "filed_on": filed_on.isoformat(),
            "statute": "RSMo 610.100",
        },
    )
    return petition


def petition(session: Session, petition_id: int) -> CourtPetition:
    found = session.get(CourtPetition, petition_id)
    if found is None:
        raise NotFound(f"no court petition {petition_id}")
    return found


def record_order(
    session: Session,
    petition_id: int,
    *,
    principal: Principal,
    outcome: str,
    ordered_on: date,
    now: datetime,
    conditions: str | None = None,
    candidate_ids: list[int] | None = None,
) -> CourtOrder:
    """The court's order on a petition, as one person read it: recorded unconfirmed. An
    order to release names the reviewed candidates to publish, and does nothing until a
    second person confirms it (:func:`confirm_order`)."""
    petition = session.get(CourtPetition, petition_id)
    if petition is None:
        raise NotFound(f"no court petition {petition_id}")
    case = session.get(ReleaseCase, petition.case_id)
    assert case is not None
    incident = load_incident(session, case.incident_id)
    authorize(session, principal, Permission.RELEASE_COURT, case.incident_id, now=now)
    if outcome not in ORDER_OUTCOMES:
        raise InvalidChange(f"an order's outcome is one of: {', '.join(ORDER_OUTCOMES)}")
    conditions = (conditions or "").strip() or None
    if outcome == "conditions" and conditions is None:
        raise InvalidChange("an order with conditions needs the conditions")
    chosen: list[ReleaseCandidate] = []
    if outcome == "release":
        states.check(case.state, states.BY_COURT)
        if candidate_ids:
            chosen = releasable(session, case, candidate_ids, court=True)
    elif candidate_ids:
        raise InvalidChange("only an order to release names copies to release")
    order = CourtOrder(
        petition_id=petition.id,
        outcome=outcome,
        conditions=conditions,
        ordered_on=ordered_on,
        recorded_at=now,
        recorded_by=principal.id,
        candidate_ids=[c.id for c in chosen],
    )
    session.add(order)
    session.flush()
    loaded = loaded_policy()
    stamp = policy_stamp(loaded, loaded.policy.rule_for(incident.type))
    custody_event(
        session,
        actor=principal.id,
        action=Action.COURT_ORDER,
        object_type="incident",
        object_id=case.incident_id,
        now=now,
        reason=conditions,
        details={
            "case_id": case.id,
            "petition_id": petition.id,
            "order_id": order.id,
            "outcome": outcome,
            "court": petition.court,
            "case_number": petition.case_number,
            "ordered_on": ordered_on.isoformat(),
            "candidate_ids": list(order.candidate_ids),
            "confirmed": False,
            **stamp,
        },
    )
    return order


def order(session: Session, order_id: int) -> tuple[CourtOrder, CourtPetition, ReleaseCase]:
    """A court order with its petition and case."""
    found = session.get(CourtOrder, order_id)
    if found is None:
        raise NotFound(f"no court order {order_id}")
    filed = session.get(CourtPetition, found.petition_id)
    assert filed is not None
    case = session.get(ReleaseCase, filed.case_id)
    assert case is not None
    return found, filed, case


def _vouched_for(session: Session, recorder: str, principal: Principal) -> bool:
    """Whether ``recorder`` created ``principal``'s account or set its roles (custody events
    ``user.create`` / ``user.roles``, or ``user.agency``: a move gives the roles held in the
    new agency): such a "second person" may be the first one's second account, so it does
    not count as independent."""
    if principal.user_id is None:
        return False
    found = session.scalar(
        select(
            exists().where(
                CustodyEvent.actor == recorder,
                CustodyEvent.object_type == "user",
                CustodyEvent.object_id == str(principal.user_id),
                CustodyEvent.action.in_(
                    [
                        str(AuthAction.USER_CREATE),
                        str(AuthAction.USER_ROLES),
                        str(AuthAction.USER_AGENCY),
                    ]
                ),
            )
        )
    )
    return bool(found)


def confirm_order(
    session: Session, order_id: int, *, principal: Principal, now: datetime
) -> CourtOrder:
    """A second person confirms a recorded court order (two-person rule); a confirmed order
    to release publishes the copies it names and drives the case to
    released-by-court-order. The person who recorded the order cannot confirm it."""
    court_order, filed, case = order(session, order_id)
    incident = load_incident(session, case.incident_id)
    authorize(session, principal, Permission.RELEASE_COURT_CONFIRM, case.incident_id, now=now)
    if court_order.recorded_by == principal.id:
        raise SecondPersonRequired(
            f"court order {order_id} was recorded by you; another person must confirm it "
            "(two-person rule)"
        )
    if _vouched_for(session, court_order.recorded_by, principal):
        raise SecondPersonRequired(
            f"court order {order_id} was recorded by the person who made your account or "
            "set its roles; someone independent of them must confirm it (two-person rule)"
        )
    if court_order.confirmed_at is not None:
        raise Conflict(
            f"court order {order_id} was already confirmed by {court_order.confirmed_by}"
        )
    chosen: list[ReleaseCandidate] = []
    if court_order.outcome == "release":
        states.check(case.state, states.BY_COURT)
        if court_order.candidate_ids:
            chosen = releasable(session, case, list(court_order.candidate_ids), court=True)
    court_order.confirmed_at = now
    court_order.confirmed_by = principal.id
    session.flush()
    loaded = loaded_policy()
    stamp = policy_stamp(loaded, loaded.policy.rule_for(incident.type))
    custody_event(
        session,
        actor=principal.id,
        action=Action.COURT_ORDER_CONFIRM,
        object_type="incident",
        object_id=case.incident_id,
        now=now,
        details={
            "case_id": case.id,
            "petition_id": filed.id,
            "order_id": court_order.id,
            "outcome": court_order.outcome,
            "recorded_by": court_order.recorded_by,
            "candidate_ids": list(court_order.candidate_ids),
            **stamp,
        },
    )
    if court_order.outcome == "release":
        for candidate in chosen:
            release = Release(
                case_id=case.id,
                candidate_id=candidate.id,
                derived_recording_id=candidate.derived_recording_id,
                original_recording_id=candidate.original_recording_id,
                decided_at=now,
                decided_by=principal.id,
                scheduled_for=now,
                public=True,
                court_order_id=court_order.id,
                **stamp,
            )
            session.add(release)
            session.flush()
            publish(session, release, case.incident_id, actor=principal.id, now=now)
        transition(
            session,
            case,
            incident,
            states.BY_COURT,
            actor=principal.id,
            now=now,
            reason=f"order of {filed.court} in {filed.case_number}, recorded by "
            f"{court_order.recorded_by} and confirmed by {principal.id}",
            statute="RSMo 610.100",
        )
    return court_order


def record_refused_confirmation(
    session: Session, order_id: int, *, principal: Principal, why: str, now: datetime
) -> None:
    """Record a refused confirmation (its own transaction: the refused one rolled back)."""
    found = session.get(CourtOrder, order_id)
    filed = session.get(CourtPetition, found.petition_id) if found is not None else None
    case = session.get(ReleaseCase, filed.case_id) if filed is not None else None
    record(
        session,
        actor=principal.id,
        action=Action.ACCESS_DENIED,
        object_type="incident" if case is not None else "court_order",
        object_id=case.incident_id if case is not None else order_id,
        outcome=Outcome.DENIED,
        details={
            "permission": str(Permission.RELEASE_COURT_CONFIRM),
            "order_id": order_id,
            "explanation": why,
            "at": now.isoformat(),
        },
    )
