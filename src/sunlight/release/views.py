"""Release cases as views: the typed models a staff member (or the shell) reads a case, the
list of cases and the published release policy through, and the code that builds them.

Shared by the web layer (``release.api``, ``release.pages``) and ``release.cli``; it imports
neither the web nor the CLI layer."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel

from sunlight.access import Permission, Principal, visible
from sunlight.incidents.models import Incident
from sunlight.release import states
from sunlight.release.clocks import Clock, compute
from sunlight.release.common import get_case
from sunlight.release.models import ReleaseCase
from sunlight.release.policy import ReleasePolicy, load_release_policy
from sunlight.release.queries import clock_for, list_cases
from sunlight.runtime import Runtime

# -- models ----------------------------------------------------------------------------


class SegmentOut(BaseModel):
    party: str
    holder: str
    start: datetime
    end: datetime | None
    days: float


class ClockOut(BaseModel):
    rule_id: str
    authority: str
    authority_kind: str
    incident_at: datetime
    release_days: int
    extension_days: int
    due_at: datetime
    days_left: int
    overdue: bool
    deliver_due_at: datetime
    delivered_at: datetime | None
    deliver_overdue: bool
    decide_due_at: datetime | None
    decide_overdue: bool
    pending_with: str | None
    pending_days: int | None
    summary: str
    segments: list[SegmentOut]


class TransitionOut(BaseModel):
    from_state: str | None
    to_state: str
    at: datetime
    actor: str
    reason: str | None
    statute: str | None
    rule_id: str
    policy_version: int
    policy_sha256: str


class ExtensionOut(BaseModel):
    days: int
    basis: str
    estimated_release: date
    at: datetime
    actor: str


class CandidateOut(BaseModel):
    id: int
    derived_recording_id: int
    original_recording_id: int
    plan_id: int
    plan_version: int
    plan_sha256: str
    provenance: dict[str, Any]
    added_by: str
    reviewed_at: datetime | None
    reviewed_by: str | None
    review_note: str | None


class ReleaseOut(BaseModel):
    id: int
    candidate_id: int
    derived_recording_id: int
    original_recording_id: int
    decided_at: datetime
    decided_by: str
    scheduled_for: datetime
    warned_at: datetime | None
    released_at: datetime | None
    cancelled_at: datetime | None
    court_order_id: int | None


class OrderOut(BaseModel):
    id: int
    outcome: str
    conditions: str | None
    ordered_on: date
    recorded_by: str
    #: the reviewed copies an order to release names
    candidate_ids: list[int]
    #: None until a second person confirms the order; only then does it release anything
    confirmed_at: datetime | None
    confirmed_by: str | None


class PetitionOut(BaseModel):
    id: int
    court: str
    case_number: str
    petitioner: str
    filed_on: date
    orders: list[OrderOut]


class CaseOut(BaseModel):
    id: int
    incident_id: int
    cad_number: str
    incident_type: str
    state: str
    state_text: str
    next_states: list[str]
    withheld_statute: str | None
    withheld_reason: str | None
    clock: ClockOut
    transitions: list[TransitionOut]
    extensions: list[ExtensionOut]
    candidates: list[CandidateOut]
    releases: list[ReleaseOut]
    petitions: list[PetitionOut]


class CaseSummaryOut(BaseModel):
    id: int
    incident_id: int
    cad_number: str
    incident_type: str
    state: str
    authority: str
    due_at: datetime
    days_left: int
    overdue: bool
    summary: str


class RuleOut(BaseModel):
    id: str
    label: str
    incident_types: list[str]
    authority: str
    authority_text: str
    release_days: int
    deliver_days: int
    decide_days: int
    default_redactions: list[str]
    basis: str


class ReleasePolicyOut(BaseModel):
    version: int
    effective: date
    title: str
    department: str
    sha256: str
    extension_step_days: int
    extension_max_total_days: int
    embargo_warning_hours: int
    nonpublic_locations: dict[str, Any]
    vulnerable_people: dict[str, Any]
    require_approved_captions: bool
    rules: list[RuleOut]


# -- building responses ----------------------------------------------------------------


def _clock_out(clock: Clock) -> ClockOut:
    return ClockOut(
        rule_id=clock.rule_id,
        authority=clock.authority.name,
        authority_kind=clock.authority.kind,
        incident_at=clock.incident_at,
        release_days=clock.release_days,
        extension_days=clock.extension_days,
        due_at=clock.due_at,
        days_left=clock.days_left,
        overdue=clock.overdue,
        deliver_due_at=clock.deliver_due_at,
        delivered_at=clock.delivered_at,
        deliver_overdue=clock.deliver_overdue,
        decide_due_at=clock.decide_due_at,
        decide_overdue=clock.decide_overdue,
        pending_with=clock.pending_with,
        pending_days=clock.pending_days,
        summary=clock.summary,
        segments=[SegmentOut(**vars(s)) for s in clock.segments],
    )


def _case_out(case: ReleaseCase, incident: Incident, clock: Clock) -> CaseOut:
    return CaseOut(
        id=case.id,
        incident_id=incident.id,
        cad_number=incident.cad_number,
        incident_type=incident.type,
        state=case.state,
        state_text=states.STATES[case.state],
        next_states=states.allowed_from(case.state),
        withheld_statute=case.withheld_statute,
        withheld_reason=case.withheld_reason,
        clock=_clock_out(clock),
        transitions=[
            TransitionOut.model_validate(t, from_attributes=True) for t in case.transitions
        ],
        extensions=[ExtensionOut.model_validate(e, from_attributes=True) for e in case.extensions],
        candidates=[CandidateOut.model_validate(c, from_attributes=True) for c in case.candidates],
        releases=[ReleaseOut.model_validate(r, from_attributes=True) for r in case.releases],
        petitions=[
            PetitionOut(
                id=p.id,
                court=p.court,
                case_number=p.case_number,
                petitioner=p.petitioner,
                filed_on=p.filed_on,
                orders=[OrderOut.model_validate(o, from_attributes=True) for o in p.orders],
            )
            for p in case.petitions
        ],
    )


def case_view(runtime: Runtime, incident_id: int, now: datetime) -> CaseOut:
    with runtime.db.session(read_only=True) as session:
        case = get_case(session, incident_id)
        incident = session.get(Incident, incident_id)
        assert incident is not None
        return _case_out(case, incident, clock_for(session, incident_id, now))


def cases_view(runtime: Runtime, principal: Principal, now: datetime) -> list[CaseSummaryOut]:
    policy = load_release_policy().policy
    out = []
    with runtime.db.session(read_only=True) as session:
        for case, incident in list_cases(
            session, where=visible(principal, Permission.RELEASE_VIEW, now=now)
        ):
            clock = compute(case, incident, policy.rule_for(incident.type), policy, now)
            out.append(
                CaseSummaryOut(
                    id=case.id,
                    incident_id=incident.id,
                    cad_number=incident.cad_number,
                    incident_type=incident.type,
                    state=case.state,
                    authority=clock.authority.name,
                    due_at=clock.due_at,
                    days_left=clock.days_left,
                    overdue=clock.overdue,
                    summary=clock.summary,
                )
            )
    return out


def policy_view(policy: ReleasePolicy, sha256: str) -> ReleasePolicyOut:
    return ReleasePolicyOut(
        version=policy.version,
        effective=policy.effective,
        title=policy.title,
        department=policy.department,
        sha256=sha256,
        extension_step_days=policy.extensions.step_days,
        extension_max_total_days=policy.extensions.max_total_days,
        embargo_warning_hours=policy.embargo.warning_hours,
        nonpublic_locations=policy.nonpublic_locations.model_dump(),
        vulnerable_people=policy.vulnerable_people.model_dump(),
        require_approved_captions=policy.require_approved_captions,
        rules=[
            RuleOut(
                id=r.id,
                label=r.label,
                incident_types=r.incident_types,
                authority=r.authority,
                authority_text=r.authority_text,
                release_days=r.release_days,
                deliver_days=r.handoff.deliver_days,
                decide_days=r.handoff.decide_days,
                default_redactions=list(r.default_redactions),
                basis=r.basis,
            )
            for r in policy.rules
        ],
    )
