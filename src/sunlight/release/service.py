"""Release cases: open one per incident, prepare and review redacted candidates, hand them
to the release authority, decide (release now or at an embargo time, or withhold citing a
statute), extend the clock with a written basis, and record court petitions and orders.

Every change is a custody event written through ``custody.record`` in the caller's
transaction, with the release rule id, the policy version and the policy file's SHA-256.
The domain checks the principal itself (``sunlight.access.decide``) on every act: the
department prepares, only the agency holding release authority decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from sunlight.access import Permission, Principal, decide
from sunlight.db.engine import Database
from sunlight.errors import Forbidden, InvalidChange, NotFound
from sunlight.evidence.custody import Action, record
from sunlight.evidence.models import RecordingFlag
from sunlight.incidents.models import Incident, IncidentRecording
from sunlight.notify.outbox import enqueue
from sunlight.redaction.models import RedactionJob, RedactionPlan
from sunlight.release import states
from sunlight.release.clocks import Clock, compute
from sunlight.release.models import (
    CourtOrder,
    CourtPetition,
    Release,
    ReleaseCandidate,
    ReleaseCase,
    ReleaseExtension,
    ReleaseTransition,
)
from sunlight.release.policy import LoadedReleasePolicy, ReleaseRule, load_release_policy
from sunlight.release.states import InvalidReleaseChange

#: The serve schedule's sweep acts under this name.
SWEEP_ACTOR = Principal.system("release").id
MIN_BASIS_CHARS = 20
ORDER_OUTCOMES = ("release", "deny", "conditions")

__all__ = [
    "InvalidReleaseChange",
    "NotFound",
    "ReleasedCopy",
    "SweepReport",
    "add_candidate",
    "candidate_of",
    "case_for",
    "clock_for",
    "decide_release",
    "extend",
    "file_petition",
    "get_case",
    "list_cases",
    "move",
    "open_case",
    "petition",
    "record_order",
    "released_copies",
    "review_candidate",
    "sweep",
    "withhold",
]


# -- helpers ---------------------------------------------------------------------------


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _loaded() -> LoadedReleasePolicy:
    return load_release_policy()


def _stamp(loaded: LoadedReleasePolicy, rule: ReleaseRule) -> dict[str, Any]:
    return {
        "rule_id": rule.id,
        "policy_version": loaded.policy.version,
        "policy_sha256": loaded.sha256,
    }


def _authorize(
    session: Session, principal: Principal, permission: Permission, incident_id: int
) -> None:
    """Refuse unless the access policy grants ``permission`` on the incident."""
    if principal.kind == "system":
        return
    decision = decide(session, principal, permission, incident_id)
    if not decision.allowed:
        raise Forbidden(
            f"{decision.reason} (rule: {decision.rule})",
            diagnostics={"rule": decision.rule, "permission": str(permission)},
        )


def _incident(session: Session, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id, options=[selectinload(Incident.agency)])
    if incident is None:
        raise NotFound(f"no incident {incident_id}")
    return incident


def case_for(session: Session, incident_id: int) -> ReleaseCase | None:
    return session.scalar(
        select(ReleaseCase)
        .where(ReleaseCase.incident_id == incident_id)
        .options(
            selectinload(ReleaseCase.transitions),
            selectinload(ReleaseCase.extensions),
            selectinload(ReleaseCase.candidates),
            selectinload(ReleaseCase.releases),
            selectinload(ReleaseCase.petitions).selectinload(CourtPetition.orders),
        )
    )


def get_case(session: Session, incident_id: int) -> ReleaseCase:
    case = case_for(session, incident_id)
    if case is None:
        raise NotFound(f"incident {incident_id} has no release case")
    return case


def _event(
    session: Session,
    *,
    actor: str,
    action: Action,
    object_type: str,
    object_id: int,
    now: datetime,
    reason: str | None = None,
    details: dict[str, Any],
) -> None:
    record(
        session,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        reason=reason,
        details=details,
        at=now,
    )


def _transition(
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
    loaded = _loaded()
    rule = loaded.policy.rule_for(incident.type)
    stamp = _stamp(loaded, rule)
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
    _event(
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
    incident = _incident(session, incident_id)
    _authorize(session, principal, Permission.RELEASE_PREPARE, incident_id)
    if case_for(session, incident_id) is not None:
        raise InvalidChange(f"incident {incident_id} already has a release case")
    loaded = _loaded()
    rule = loaded.policy.rule_for(incident.type)
    stamp = _stamp(loaded, rule)
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
    _event(
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
    incident = _incident(session, incident_id)
    step = states.check(case.state, to)
    if to in (states.RELEASED, states.WITHHELD, states.BY_COURT):
        raise InvalidReleaseChange(
            {
                states.RELEASED: "releasing names the reviewed candidates: use decide_release",
                states.WITHHELD: "withholding needs a statute and a reason: use withhold",
                states.BY_COURT: "only a court's order to release leads here: record the order",
            }[to]
        )
    _authorize(session, principal, step.permission, incident_id)
    if to == states.IN_REVIEW and incident.investigation_status == "active":
        raise InvalidReleaseChange(
            "closed while the investigation is active (RSMo 610.100.2(1)): set the "
            "investigation inactive first, or record a court order"
        )
    if to == states.READY and not [c for c in case.candidates if c.reviewed_at is not None]:
        raise InvalidReleaseChange(
            "no reviewed candidate: a reviewer signs off a redacted copy's plan version "
            "before it is handed to the release authority"
        )
    _transition(session, case, incident, to, actor=principal.id, now=now, reason=reason)
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
    incident = _incident(session, incident_id)
    step = states.check(case.state, states.WITHHELD)
    _authorize(session, principal, step.permission, incident_id)
    case.withheld_statute, case.withheld_reason = statute[:200], reason
    _transition(
        session,
        case,
        incident,
        states.WITHHELD,
        actor=principal.id,
        now=now,
        reason=reason,
        statute=statute[:200],
    )
    return case


# -- candidates and review -------------------------------------------------------------


def add_candidate(
    session: Session,
    incident_id: int,
    derived_recording_id: int,
    *,
    principal: Principal,
    now: datetime,
) -> ReleaseCandidate:
    """Propose a redacted copy for release: the derived recording of a finished render job
    whose original is linked to the incident. The candidate names the exact plan version."""
    case = get_case(session, incident_id)
    _authorize(session, principal, Permission.RELEASE_PREPARE, incident_id)
    if case.state not in (states.CLOSED, states.IN_REVIEW):
        raise InvalidReleaseChange(
            f"candidates are added while the case is closed or in review; it is {case.state}"
        )
    job = session.scalar(
        select(RedactionJob)
        .where(
            RedactionJob.result_recording_id == derived_recording_id,
            RedactionJob.kind == "render",
            RedactionJob.status == "done",
        )
        .order_by(RedactionJob.id)
        .limit(1)
    )
    if job is None or job.plan_id is None:
        raise InvalidChange(
            f"recording {derived_recording_id} is not a redacted copy (no finished render job "
            "produced it): only redacted copies are released"
        )
    linked = session.scalar(
        select(IncidentRecording.id).where(
            IncidentRecording.incident_id == incident_id,
            IncidentRecording.recording_id == job.recording_id,
        )
    )
    if linked is None:
        raise InvalidChange(
            f"the original of recording {derived_recording_id} (recording {job.recording_id}) "
            f"is not linked to incident {incident_id}"
        )
    if any(c.derived_recording_id == derived_recording_id for c in case.candidates):
        raise InvalidChange(f"recording {derived_recording_id} is already a candidate")
    plan = session.get(RedactionPlan, job.plan_id)
    assert plan is not None
    details = dict(job.details or {})
    candidate = ReleaseCandidate(
        case_id=case.id,
        derived_recording_id=derived_recording_id,
        original_recording_id=job.recording_id,
        job_id=job.id,
        plan_id=plan.id,
        plan_version=plan.version,
        plan_sha256=plan.sha256,
        provenance={
            "parent_recording_id": job.recording_id,
            "sha256": details.get("sha256"),
            "c2pa": details.get("c2pa") or {"signed": False},
        },
        added_at=now,
        added_by=principal.id,
    )
    session.add(candidate)
    session.flush()
    _event(
        session,
        actor=principal.id,
        action=Action.RELEASE_CANDIDATE,
        object_type="recording",
        object_id=derived_recording_id,
        now=now,
        details={
            "case_id": case.id,
            "incident_id": incident_id,
            "candidate_id": candidate.id,
            "original_recording_id": job.recording_id,
            "plan_id": plan.id,
            "plan_version": plan.version,
            "plan_sha256": plan.sha256,
        },
    )
    return candidate


def candidate_of(session: Session, candidate_id: int) -> tuple[ReleaseCandidate, ReleaseCase]:
    candidate = session.get(ReleaseCandidate, candidate_id)
    if candidate is None:
        raise NotFound(f"no release candidate {candidate_id}")
    case = session.get(ReleaseCase, candidate.case_id)
    assert case is not None
    return candidate, case


def review_candidate(
    session: Session,
    candidate_id: int,
    *,
    principal: Principal,
    plan_version: int,
    note: str | None,
    now: datetime,
) -> ReleaseCandidate:
    """A reviewer signs off the candidate's exact redaction plan version (a custody event
    on the redacted copy). Signing off another version than the copy's is refused."""
    candidate, case = candidate_of(session, candidate_id)
    _authorize(session, principal, Permission.RELEASE_REVIEW, case.incident_id)
    if plan_version != candidate.plan_version:
        raise InvalidChange(
            f"recording {candidate.derived_recording_id} was rendered from plan version "
            f"{candidate.plan_version}, not {plan_version}: review the version it shows"
        )
    if candidate.reviewed_at is not None:
        raise InvalidChange(
            f"candidate {candidate_id} was already reviewed by {candidate.reviewed_by}"
        )
    candidate.reviewed_at, candidate.reviewed_by = now, principal.id
    candidate.review_note = (note or "").strip() or None
    _event(
        session,
        actor=principal.id,
        action=Action.RELEASE_REVIEW,
        object_type="recording",
        object_id=candidate.derived_recording_id,
        now=now,
        reason=candidate.review_note,
        details={
            "case_id": case.id,
            "candidate_id": candidate.id,
            "plan_id": candidate.plan_id,
            "plan_version": candidate.plan_version,
            "plan_sha256": candidate.plan_sha256,
            "sha256": candidate.provenance.get("sha256"),
        },
    )
    session.flush()
    return candidate


def exclusions(session: Session, recording_id: int) -> list[str]:
    """Why the release policy keeps this original's footage from a public release by
    default (nonpublic location; vulnerable people), from its active flags."""
    policy = _loaded().policy
    kinds = set(
        session.scalars(
            select(RecordingFlag.kind).where(
                RecordingFlag.recording_id == recording_id, RecordingFlag.cleared_at.is_(None)
            )
        )
    )
    found = []
    if policy.nonpublic_locations.closed_by_default and kinds & set(
        policy.nonpublic_locations.flag_kinds
    ):
        found.append(
            f"made in a nonpublic location: closed by default ({policy.nonpublic_locations.basis})"
            "; a court order opens it"
        )
    if policy.vulnerable_people.excluded_by_default and kinds & set(
        policy.vulnerable_people.flag_kinds
    ):
        found.append(
            f"depicts vulnerable people: excluded from release by default "
            f"({policy.vulnerable_people.basis}); a court order opens it"
        )
    return found


def _releasable(
    session: Session, case: ReleaseCase, candidate_ids: list[int], *, court: bool
) -> list[ReleaseCandidate]:
    if not candidate_ids:
        raise InvalidChange("name the reviewed candidates to release")
    chosen = []
    by_id = {c.id: c for c in case.candidates}
    for cid in dict.fromkeys(candidate_ids):
        candidate = by_id.get(cid)
        if candidate is None:
            raise NotFound(f"no candidate {cid} in this release case")
        if candidate.reviewed_at is None:
            raise InvalidChange(
                f"recording {candidate.derived_recording_id} has not been reviewed: footage "
                f"never reviewed cannot be released (sign off plan version "
                f"{candidate.plan_version} first)"
            )
        if not court:
            blocked = exclusions(session, candidate.original_recording_id)
            if blocked:
                raise InvalidChange(
                    f"recording {candidate.original_recording_id}: " + "; ".join(blocked)
                )
        chosen.append(candidate)
    return chosen


def _publish(
    session: Session, release: Release, incident_id: int, *, actor: str, now: datetime
) -> None:
    release.released_at = now
    _event(
        session,
        actor=actor,
        action=Action.RELEASE_PUBLISH,
        object_type="recording",
        object_id=release.derived_recording_id,
        now=now,
        details={
            "release_id": release.id,
            "case_id": release.case_id,
            "incident_id": incident_id,
            "original_recording_id": release.original_recording_id,
            "rule_id": release.rule_id,
            "policy_version": release.policy_version,
            "policy_sha256": release.policy_sha256,
        },
    )


def decide_release(
    session: Session,
    incident_id: int,
    *,
    principal: Principal,
    candidate_ids: list[int],
    now: datetime,
    embargo_until: datetime | None = None,
    reason: str | None = None,
) -> list[Release]:
    """The authority releases reviewed candidates, now or when an embargo lifts (the
    serve schedule's sweep publishes them then, and warns staff before)."""
    case = get_case(session, incident_id)
    incident = _incident(session, incident_id)
    states.check(case.state, states.RELEASED)
    _authorize(session, principal, Permission.RELEASE_DECIDE, incident_id)
    if any(r.released_at is None and r.cancelled_at is None for r in case.releases):
        raise InvalidChange("a release of this case is already scheduled (embargoed)")
    chosen = _releasable(session, case, candidate_ids, court=False)
    if embargo_until is not None and _utc(embargo_until) <= now:
        raise InvalidChange("an embargo ends in the future; release now instead")
    loaded = _loaded()
    stamp = _stamp(loaded, loaded.policy.rule_for(incident.type))
    when = _utc(embargo_until) if embargo_until is not None else now
    made = []
    for candidate in chosen:
        release = Release(
            case_id=case.id,
            candidate_id=candidate.id,
            derived_recording_id=candidate.derived_recording_id,
            original_recording_id=candidate.original_recording_id,
            decided_at=now,
            decided_by=principal.id,
            scheduled_for=when,
            public=True,
            **stamp,
        )
        session.add(release)
        made.append(release)
    session.flush()
    _event(
        session,
        actor=principal.id,
        action=Action.RELEASE_DECISION,
        object_type="incident",
        object_id=incident_id,
        now=now,
        reason=reason,
        details={
            "case_id": case.id,
            "decision": "release",
            "release_ids": [r.id for r in made],
            "embargo_until": when.isoformat() if embargo_until is not None else None,
            **stamp,
        },
    )
    if embargo_until is None:
        for release in made:
            _publish(session, release, incident_id, actor=principal.id, now=now)
        _transition(
            session, case, incident, states.RELEASED, actor=principal.id, now=now, reason=reason
        )
    return made


# -- extensions ------------------------------------------------------------------------


def extend(
    session: Session,
    incident_id: int,
    *,
    principal: Principal,
    basis: str,
    estimated_release: date | None,
    now: datetime,
) -> ReleaseExtension:
    """One extension step of the release clock: a written, specific basis and an estimated
    release date are both required; the steps together never pass the policy's cap."""
    case = get_case(session, incident_id)
    incident = _incident(session, incident_id)
    _authorize(session, principal, Permission.RELEASE_DECIDE, incident_id)
    if case.state in states.FINAL or case.state == states.WITHHELD:
        raise InvalidReleaseChange(f"the case is {case.state}: its clock no longer runs")
    basis = " ".join((basis or "").split())
    if len(basis) < MIN_BASIS_CHARS:
        raise InvalidChange(
            f"an extension needs a written, specific basis (at least {MIN_BASIS_CHARS} "
            "characters saying why this footage cannot be released yet)"
        )
    if estimated_release is None:
        raise InvalidChange("an extension needs the estimated release date")
    loaded = _loaded()
    policy = loaded.policy
    rule = policy.rule_for(incident.type)
    step = policy.extensions.step_days
    used = sum(e.days for e in case.extensions)
    if used + step > policy.extensions.max_total_days:
        raise InvalidChange(
            f"extensions are capped at {policy.extensions.max_total_days} days in all; "
            f"{used} days are already granted"
        )
    due = _utc(incident.started_at) + timedelta(days=rule.release_days + used + step)
    if estimated_release <= now.date():
        raise InvalidChange("the estimated release date must be in the future")
    if estimated_release > due.date():
        raise InvalidChange(
            f"the estimated release date {estimated_release} is after the extended due date "
            f"{due.date()}"
        )
    extension = ReleaseExtension(
        case_id=case.id,
        days=step,
        basis=basis,
        estimated_release=estimated_release,
        at=now,
        actor=principal.id,
        **_stamp(loaded, rule),
    )
    session.add(extension)
    session.flush()
    _event(
        session,
        actor=principal.id,
        action=Action.RELEASE_EXTENSION,
        object_type="incident",
        object_id=incident_id,
        now=now,
        reason=basis,
        details={
            "case_id": case.id,
            "days": step,
            "estimated_release": estimated_release.isoformat(),
            "due": due.isoformat(),
            **_stamp(loaded, rule),
        },
    )
    session.refresh(case)
    return extension


# -- court petitions and orders (RSMo 610.100) ----------------------------------------


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
    _authorize(session, principal, Permission.RELEASE_COURT, incident_id)
    court, case_number, petitioner = court.strip(), case_number.strip(), petitioner.strip()
    if not (court and case_number and petitioner):
        raise InvalidChange("a petition needs the court, the case number and the petitioner")
    petition = CourtPetition(
        case_id=case.id,
        court=court[:200],
        case_number=case_number[:100],
        petitioner=petitioner[:200],
        filed_on=filed_on,
        recorded_at=now,
        recorded_by=principal.id,
    )
    session.add(petition)
    session.flush()
    _event(
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
    """The court's order on a petition. An order to release drives the case to
    released-by-court-order (and publishes the reviewed candidates it names); a denial or
    an order with conditions is recorded."""
    petition = session.get(CourtPetition, petition_id)
    if petition is None:
        raise NotFound(f"no court petition {petition_id}")
    case = session.get(ReleaseCase, petition.case_id)
    assert case is not None
    incident = _incident(session, case.incident_id)
    _authorize(session, principal, Permission.RELEASE_COURT, case.incident_id)
    if outcome not in ORDER_OUTCOMES:
        raise InvalidChange(f"an order's outcome is one of: {', '.join(ORDER_OUTCOMES)}")
    conditions = (conditions or "").strip() or None
    if outcome == "conditions" and conditions is None:
        raise InvalidChange("an order with conditions needs the conditions")
    chosen: list[ReleaseCandidate] = []
    if outcome == "release":
        states.check(case.state, states.BY_COURT)
        if candidate_ids:
            chosen = _releasable(session, case, candidate_ids, court=True)
    order = CourtOrder(
        petition_id=petition.id,
        outcome=outcome,
        conditions=conditions,
        ordered_on=ordered_on,
        recorded_at=now,
        recorded_by=principal.id,
    )
    session.add(order)
    session.flush()
    loaded = _loaded()
    stamp = _stamp(loaded, loaded.policy.rule_for(incident.type))
    _event(
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
            **stamp,
        },
    )
    if outcome == "release":
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
                court_order_id=order.id,
                **stamp,
            )
            session.add(release)
            session.flush()
            _publish(session, release, case.incident_id, actor=principal.id, now=now)
        _transition(
            session,
            case,
            incident,
            states.BY_COURT,
            actor=principal.id,
            now=now,
            reason=f"order of {petition.court} in {petition.case_number}",
            statute="RSMo 610.100",
        )
    return order


# -- reading ---------------------------------------------------------------------------


def clock_for(session: Session, incident_id: int, now: datetime) -> Clock:
    case = get_case(session, incident_id)
    incident = _incident(session, incident_id)
    policy = _loaded().policy
    return compute(case, incident, policy.rule_for(incident.type), policy, now)


def list_cases(session: Session, *, where: Any = None) -> list[tuple[ReleaseCase, Incident]]:
    query = (
        select(ReleaseCase, Incident)
        .join(Incident, Incident.id == ReleaseCase.incident_id)
        .options(
            selectinload(ReleaseCase.transitions),
            selectinload(ReleaseCase.extensions),
            selectinload(Incident.agency),
        )
        .order_by(Incident.started_at, ReleaseCase.id)
    )
    if where is not None:
        query = query.where(where)
    return [(row[0], row[1]) for row in session.execute(query)]


@dataclass(frozen=True)
class ReleasedCopy:
    """A copy released to the public: what the lead's delivery to a requester hands out."""

    release_id: int
    derived_recording_id: int
    original_recording_id: int
    released_at: datetime
    public: bool


def released_copies(session: Session, incident_id: int) -> list[ReleasedCopy]:
    """The incident's released copies (published, not merely scheduled), oldest first."""
    rows = session.scalars(
        select(Release)
        .join(ReleaseCase, ReleaseCase.id == Release.case_id)
        .where(ReleaseCase.incident_id == incident_id, Release.released_at.is_not(None))
        .order_by(Release.id)
    )
    return [
        ReleasedCopy(
            r.id, r.derived_recording_id, r.original_recording_id, _utc(r.released_at), r.public
        )
        for r in rows
        if r.released_at is not None
    ]


# -- the serve schedule's sweep: embargoes ----------------------------------------------


@dataclass
class SweepReport:
    warned: list[int]
    released: list[int]


def warn_staff(
    session: Session, *, to: list[str], subject: str, body: str, topic: str, now: datetime
) -> None:
    """Warn staff through the durable email outbox (in the caller's transaction: the
    messages exist iff the sweep's changes commit; sending and retrying is the outbox's)."""
    for address in to:
        enqueue(session, to=address, subject=subject, body=body, topic=topic, now=now)


def sweep(db: Database, now: datetime) -> SweepReport:
    """Warn staff before embargoes lift (policy: hours before) and publish the releases
    whose embargo has lifted. Idempotent: each release is warned and published once."""
    policy = _loaded().policy
    report = SweepReport([], [])
    warn_before = timedelta(hours=policy.embargo.warning_hours)
    with db.session() as session:
        waiting = list(
            session.scalars(
                select(Release)
                .where(
                    Release.released_at.is_(None),
                    Release.cancelled_at.is_(None),
                    Release.scheduled_for <= now + warn_before,
                )
                .order_by(Release.scheduled_for, Release.id)
            )
        )
        for release in waiting:
            case = session.get(ReleaseCase, release.case_id)
            assert case is not None
            at = _utc(release.scheduled_for)
            if release.warned_at is None and at > now:
                subject = f"Embargo lifts {at.isoformat()}: release {release.id}"
                body = (
                    f"Release {release.id} of recording {release.derived_recording_id} "
                    f"(incident {case.incident_id}) becomes public at {at.isoformat()}."
                )
                warn_staff(
                    session,
                    to=policy.embargo.notify,
                    subject=subject,
                    body=body,
                    topic=f"incident:{case.incident_id}",
                    now=now,
                )
                release.warned_at = now
                _event(
                    session,
                    actor=SWEEP_ACTOR,
                    action=Action.RELEASE_EMBARGO_WARNING,
                    object_type="incident",
                    object_id=case.incident_id,
                    now=now,
                    details={
                        "release_id": release.id,
                        "embargo_until": at.isoformat(),
                        "to": list(policy.embargo.notify),
                    },
                )
                report.warned.append(release.id)
            if at <= now:
                _publish(session, release, case.incident_id, actor=SWEEP_ACTOR, now=now)
                report.released.append(release.id)
        for release in waiting:
            if release.id not in report.released:
                continue
            case = session.get(ReleaseCase, release.case_id)
            assert case is not None
            if case.state == states.READY:
                incident = _incident(session, case.incident_id)
                _transition(
                    session,
                    case,
                    incident,
                    states.RELEASED,
                    actor=SWEEP_ACTOR,
                    now=now,
                    reason="embargo lifted",
                )
    return report
