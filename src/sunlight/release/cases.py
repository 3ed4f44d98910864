"""Release cases: open one per incident, move it along the state table, withhold it citing a
statute; and the state-table glue every act that changes a case's state goes through."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from sunlight.access import Permission, Principal
from sunlight.errors import InvalidChange
from sunlight.evidence.custody import Action
from sunlight.incidents.models import Incident
from sunlight.release import states
from sunlight.release.common import (
    authorize,
    case_for,
    custody_event,
    get_case,
    load_incident,
    loaded_policy,
    policy_stamp,
)
from sunlight.release.models import ReleaseCase, ReleaseTransition
from sunlight.release.states import InvalidReleaseChange
from sunlight.validation import check_text


def transition(
    session: Session,
    case: ReleaseCase,
    incident: Incident,
    to: str,
    *,
    actor: str,
    now: datetime,
    reason: str | None = None,
    statute: str | None = None,
) -> None:
    states.check(case.state, to)
    loaded = loaded_policy()
    rule = loaded.policy.rule_for(incident.type)
    stamp = policy_stamp(loaded, rule)
    frm = case.state
    case.state = to
    cancelled = []
    if frm == states.READY and to != states.RELEASED:
        # leaving "ready" calls off any embargoed release still waiting to lift
        for release in case.releases:
            if release.released_at is None and release.cancelled_at is None:
                release.cancelled_at = now
                cancelled.append(release.id)
    session.add(
        ReleaseTransition(
            case_id=case.id,
            from_state=frm,
            to_state=to,
            at=now,
            actor=actor,
            reason=reason,
            statute=statute,
            **stamp,
        )
    )
    custody_event(
        session,
        actor=actor,
        action=Action.RELEASE_CASE,
        object_type="incident",
        object_id=incident.id,
        now=now,
        reason=reason,
        details={
            "case_id": case.id,
            "from": frm,
            "to": to,
            "statute": statute,
            "cancelled_release_ids": cancelled,
            **stamp,
        },
    )
    session.flush()
    session.refresh(case)


# -- cases -----------------------------------------------------------------------------


def open_case(
    session: Session, incident_id: int, *, principal: Principal, now: datetime
) -> ReleaseCase:
    """Open the incident's release case: closed while the investigation is active
    (RSMo 610.100.2(1)), otherwise straight into review."""
    incident = load_incident(session, incident_id)
    authorize(session, principal, Permission.RELEASE_PREPARE, incident_id, now=now)
    if case_for(session, incident_id) is not None:
        raise InvalidChange(f"incident {incident_id} already has a release case")
    loaded = loaded_policy()
    rule = loaded.policy.rule_for(incident.type)
    stamp = policy_stamp(loaded, rule)
    state = states.CLOSED if incident.investigation_status == "active" else states.IN_REVIEW
    case = ReleaseCase(
        incident_id=incident_id,
        state=state,
        opened_at=now,
        opened_by=principal.id,
        **stamp,
    )
    session.add(case)
    session.flush()
    session.add(
        ReleaseTransition(
            case_id=case.id, from_state=None, to_state=state, at=now, actor=principal.id, **stamp
        )
    )
    custody_event(
        session,
        actor=principal.id,
        action=Action.RELEASE_CASE,
        object_type="incident",
        object_id=incident_id,
        now=now,
        details={"case_id": case.id, "from": None, "to": state, **stamp},
    )
    session.flush()
    return get_case(session, incident_id)


def move(
    session: Session,
    incident_id: int,
    to: str,
    *,
    principal: Principal,
    now: datetime,
    reason: str | None = None,
) -> ReleaseCase:
    """Move a case along the table (prepare, hand over, send back, reconsider). Releasing,
    withholding and court orders have their own functions: they need more than a reason."""
    case = get_case(session, incident_id)
    incident = load_incident(session, incident_id)
    step = states.check(case.state, to)
    if to in (states.RELEASED, states.WITHHELD, states.BY_COURT):
        raise InvalidReleaseChange(
            {
                states.RELEASED: "releasing names the reviewed candidates: use decide_release",
                states.WITHHELD: "withholding needs a statute and a reason: use withhold",
                states.BY_COURT: "only a court's order to release leads here: record the order",
            }[to]
        )
    authorize(session, principal, step.permission, incident_id, now=now)
    if to == states.IN_REVIEW and incident.investigation_status == "active":
        raise InvalidReleaseChange(
            "closed while the investigation is active (RSMo 610.100.2(1)): set the "
            "investigation inactive first, or record a court order"
        )
    if to == states.CLOSED and incident.investigation_status != "active":
        raise InvalidReleaseChange(
            "a case returns to closed only when its investigation is active again (RSMo "
            "610.100.2(1)); this incident is not under active investigation"
        )
    if to == states.READY and not [c for c in case.candidates if c.reviewed_at is not None]:
        raise InvalidReleaseChange(
            "no reviewed candidate: a reviewer signs off a redacted copy's plan version "
            "before it is handed to the release authority"
        )
    transition(session, case, incident, to, actor=principal.id, now=now, reason=reason)
    return case


def withhold(
    session: Session,
    incident_id: int,
    *,
    principal: Principal,
    statute: str,
    reason: str,
    now: datetime,
) -> ReleaseCase:
    """The authority withholds the footage, citing the statute and giving the reason."""
    statute, reason = (statute or "").strip(), (reason or "").strip()
    if not statute or not reason:
        raise InvalidReleaseChange(
            "withholding needs both the statute relied on (e.g. RSMo 610.100.2(3)) and a reason"
        )
    case = get_case(session, incident_id)
    incident = load_incident(session, incident_id)
    step = states.check(case.state, states.WITHHELD)
    authorize(session, principal, step.permission, incident_id, now=now)
    statute = check_text(statute, "statute", column=ReleaseCase.withheld_statute)
    case.withheld_statute, case.withheld_reason = statute, reason
    transition(
        session,
        case,
        incident,
        states.WITHHELD,
        actor=principal.id,
        now=now,
        reason=reason,
        statute=statute,
    )
    return case
