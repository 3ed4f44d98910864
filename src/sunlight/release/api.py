"""Release governance on the web: staff JSON under /api/incidents/{id}/release and
/api/releases, staff pages /releases and /incidents/{id}/release, the published release
policy (/policies/release, /api/policies/release(.yaml)), and the public list of releases
and their proof bundles (/api/public/releases...).

Thin: the rules live in ``sunlight.release.service``. Every route declares its permission;
the public routes answer only from typed models holding public fields.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from sunlight.access import Permission, Principal, visible
from sunlight.db.base import utcnow
from sunlight.errors import InvalidInput
from sunlight.incidents.models import Incident
from sunlight.incidents.terms import INCIDENT_TYPES
from sunlight.release import proof as proofs
from sunlight.release import service, states
from sunlight.release.clocks import Clock, compute
from sunlight.release.models import ReleaseCase
from sunlight.release.policy import ReleasePolicy, load_release_policy
from sunlight.runtime import Runtime
from sunlight.validation import Day, Id, SmallId, Timestamp, check_datetime
from sunlight.web.deps import RuntimeDep
from sunlight.web.guard import Access, check, decide_quietly, incident_for, public, require
from sunlight.web.pages import render

router = APIRouter(tags=["release"])

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


class PublicReleaseOut(BaseModel):
    """What anyone may know about a release: no names, places or narrative."""

    model_config = ConfigDict(extra="forbid")
    id: int
    incident_type: str
    incident_date: date
    released_at: datetime


class PublicReleaseRef(PublicReleaseOut):
    released_recording_id: int
    original_recording_id: int


class BundleLog(BaseModel):
    model_config = ConfigDict(extra="forbid")
    origin: str
    key: str
    witnesses: list[str]
    quorum: int


class BundleLeaf(BaseModel):
    model_config = ConfigDict(extra="forbid")
    index: int
    hash: str
    entry: str


class BundleInclusion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    size: int
    proof: list[str]


class PublicBundle(BaseModel):
    """A ``sunlight-proof-bundle/v1`` without the disclosure (salt and private fields)."""

    model_config = ConfigDict(extra="forbid")
    format: str
    log: BundleLog
    leaf: BundleLeaf
    inclusion: BundleInclusion
    checkpoint: str
    witnessed: bool


class PublicProofOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    release: PublicReleaseRef
    released: PublicBundle
    original: PublicBundle


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
    rules: list[RuleOut]


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
        case = service.get_case(session, incident_id)
        incident = session.get(Incident, incident_id)
        assert incident is not None
        return _case_out(case, incident, service.clock_for(session, incident_id, now))


def cases_view(runtime: Runtime, principal: Principal, now: datetime) -> list[CaseSummaryOut]:
    policy = load_release_policy().policy
    out = []
    with runtime.db.session(read_only=True) as session:
        for case, incident in service.list_cases(
            session, where=visible(principal, Permission.RELEASE_VIEW)
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


# -- acting (shared by JSON and forms) -------------------------------------------------


def _open(runtime: Runtime, access: Access) -> None:
    with runtime.db.session() as session:
        service.open_case(session, access.resource_id, principal=access.principal, now=utcnow())


def _move(runtime: Runtime, access: Access, body: MoveIn) -> None:
    # A move that needs more than preparing (the authority sending a case back) is decided,
    # and a refusal recorded, like any route's permission.
    with runtime.db.session(read_only=True) as session:
        current = service.get_case(session, access.resource_id).state
    step = states.TRANSITIONS.get((current, body.to))
    if step is not None and step.permission != Permission.RELEASE_PREPARE:
        check(runtime, access.principal, step.permission, access.resource_id, None)
    with runtime.db.session() as session:
        service.move(
            session,
            access.resource_id,
            body.to,
            principal=access.principal,
            now=utcnow(),
            reason=body.reason,
        )


def _candidate(runtime: Runtime, access: Access, body: CandidateIn) -> None:
    with runtime.db.session() as session:
        service.add_candidate(
            session, access.resource_id, body.recording_id, principal=access.principal, now=utcnow()
        )


def _review(runtime: Runtime, access: Access, candidate_id: int, body: ReviewIn) -> None:
    with runtime.db.session() as session:
        candidate, case = service.candidate_of(session, candidate_id)
        if case.incident_id != access.resource_id:
            raise service.NotFound(f"no candidate {candidate_id} for this incident")
        service.review_candidate(
            session,
            candidate.id,
            principal=access.principal,
            plan_version=body.plan_version,
            note=body.note,
            now=utcnow(),
        )


def _decide(runtime: Runtime, access: Access, body: DecideIn) -> None:
    now = utcnow()
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


def _extend(runtime: Runtime, access: Access, body: ExtensionIn) -> None:
    with runtime.db.session() as session:
        service.extend(
            session,
            access.resource_id,
            principal=access.principal,
            basis=body.basis,
            estimated_release=body.estimated_release,
            now=utcnow(),
        )


def _petition(runtime: Runtime, access: Access, body: PetitionIn) -> None:
    with runtime.db.session() as session:
        service.file_petition(
            session,
            access.resource_id,
            principal=access.principal,
            court=body.court,
            case_number=body.case_number,
            petitioner=body.petitioner,
            filed_on=body.filed_on,
            now=utcnow(),
        )


def _order(runtime: Runtime, access: Access, petition_id: int, body: OrderIn) -> None:
    with runtime.db.session() as session:
        petition = service.petition(session, petition_id)
        case = session.get(ReleaseCase, petition.case_id)
        if case is None or case.incident_id != access.resource_id:
            raise service.NotFound(f"no petition {petition_id} for this incident")
        service.record_order(
            session,
            petition_id,
            principal=access.principal,
            outcome=body.outcome,
            ordered_on=body.ordered_on,
            conditions=body.conditions,
            candidate_ids=list(body.candidate_ids),
            now=utcnow(),
        )


# -- JSON ------------------------------------------------------------------------------

_View = Annotated[Access, Depends(incident_for(Permission.RELEASE_VIEW))]
_Prepare = Annotated[Access, Depends(incident_for(Permission.RELEASE_PREPARE))]
_Review = Annotated[Access, Depends(incident_for(Permission.RELEASE_REVIEW))]
_Decide = Annotated[Access, Depends(incident_for(Permission.RELEASE_DECIDE))]
_Court = Annotated[Access, Depends(incident_for(Permission.RELEASE_COURT))]


@router.get("/api/releases", response_model=list[CaseSummaryOut], summary="Release cases")
def api_cases(
    runtime: RuntimeDep,
    principal: Annotated[Principal, Depends(require(Permission.RELEASE_VIEW))],
) -> list[CaseSummaryOut]:
    return cases_view(runtime, principal, utcnow())


@router.get("/api/incidents/{incident_id}/release", response_model=CaseOut)
def api_case(incident_id: SmallId, runtime: RuntimeDep, access: _View) -> CaseOut:
    return case_view(runtime, incident_id, utcnow())


@router.post("/api/incidents/{incident_id}/release", response_model=CaseOut, status_code=201)
def api_open(incident_id: SmallId, runtime: RuntimeDep, access: _Prepare) -> CaseOut:
    _open(runtime, access)
    return case_view(runtime, incident_id, utcnow())


@router.post("/api/incidents/{incident_id}/release/state", response_model=CaseOut)
def api_move(incident_id: SmallId, body: MoveIn, runtime: RuntimeDep, access: _Prepare) -> CaseOut:
    _move(runtime, access, body)
    return case_view(runtime, incident_id, utcnow())


@router.post("/api/incidents/{incident_id}/release/candidates", response_model=CaseOut)
def api_candidate(
    incident_id: SmallId, body: CandidateIn, runtime: RuntimeDep, access: _Prepare
) -> CaseOut:
    _candidate(runtime, access, body)
    return case_view(runtime, incident_id, utcnow())


@router.post(
    "/api/incidents/{incident_id}/release/candidates/{candidate_id}/review",
    response_model=CaseOut,
)
def api_review(
    incident_id: SmallId,
    candidate_id: SmallId,
    body: ReviewIn,
    runtime: RuntimeDep,
    access: _Review,
) -> CaseOut:
    _review(runtime, access, candidate_id, body)
    return case_view(runtime, incident_id, utcnow())


@router.post("/api/incidents/{incident_id}/release/decision", response_model=CaseOut)
def api_decide(
    incident_id: SmallId, body: DecideIn, runtime: RuntimeDep, access: _Decide
) -> CaseOut:
    _decide(runtime, access, body)
    return case_view(runtime, incident_id, utcnow())


@router.post("/api/incidents/{incident_id}/release/extensions", response_model=CaseOut)
def api_extend(
    incident_id: SmallId, body: ExtensionIn, runtime: RuntimeDep, access: _Decide
) -> CaseOut:
    _extend(runtime, access, body)
    return case_view(runtime, incident_id, utcnow())


@router.post("/api/incidents/{incident_id}/release/petitions", response_model=CaseOut)
def api_petition(
    incident_id: SmallId, body: PetitionIn, runtime: RuntimeDep, access: _Court
) -> CaseOut:
    _petition(runtime, access, body)
    return case_view(runtime, incident_id, utcnow())


@router.post(
    "/api/incidents/{incident_id}/release/petitions/{petition_id}/orders", response_model=CaseOut
)
def api_order(
    incident_id: SmallId,
    petition_id: SmallId,
    body: OrderIn,
    runtime: RuntimeDep,
    access: _Court,
) -> CaseOut:
    _order(runtime, access, petition_id, body)
    return case_view(runtime, incident_id, utcnow())


# -- the published policy --------------------------------------------------------------


@router.get("/api/policies/release", response_model=ReleasePolicyOut)
def api_policy(
    principal: Annotated[Principal, Depends(require(Permission.POLICY_VIEW))],
) -> ReleasePolicyOut:
    loaded = load_release_policy()
    return policy_view(loaded.policy, loaded.sha256)


@router.get("/api/policies/release.yaml", response_class=PlainTextResponse)
def api_policy_file(
    principal: Annotated[Principal, Depends(require(Permission.POLICY_VIEW))],
) -> Response:
    loaded = load_release_policy()
    return PlainTextResponse(
        loaded.text, media_type="application/yaml", headers={"X-Policy-SHA256": loaded.sha256}
    )


@router.get("/policies/release", response_class=HTMLResponse, include_in_schema=False)
def policy_page(
    request: Request,
    principal: Annotated[Principal, Depends(require(Permission.POLICY_VIEW))],
) -> Response:
    loaded = load_release_policy()
    return render(
        request,
        "release_policy.html",
        policy=policy_view(loaded.policy, loaded.sha256),
        types=INCIDENT_TYPES,
    )


# -- public ----------------------------------------------------------------------------

_PUBLIC = [Depends(public())]


@router.get(
    "/api/public/releases",
    dependencies=_PUBLIC,
    response_model=list[PublicReleaseOut],
    summary="Footage released to the public (no names, places or narrative)",
)
def public_releases(runtime: RuntimeDep) -> list[PublicReleaseOut]:
    return [PublicReleaseOut(**row) for row in proofs.public_list(runtime)]


@router.get(
    "/api/public/releases/{release_id}/proof",
    dependencies=_PUBLIC,
    response_model=PublicProofOut,
    summary="Ledger proofs of a released copy's ingest and of its original's (public fields)",
)
def public_proof(release_id: SmallId, runtime: RuntimeDep) -> PublicProofOut:
    return PublicProofOut.model_validate(proofs.proof(runtime, release_id))


# -- pages -----------------------------------------------------------------------------


@router.get("/releases", response_class=HTMLResponse, include_in_schema=False)
def releases_page(
    request: Request,
    runtime: RuntimeDep,
    principal: Annotated[Principal, Depends(require(Permission.RELEASE_VIEW))],
) -> Response:
    return render(
        request,
        "release_cases.html",
        cases=cases_view(runtime, principal, utcnow()),
        types=INCIDENT_TYPES,
    )


@router.get(
    "/incidents/{incident_id}/release", response_class=HTMLResponse, include_in_schema=False
)
def case_page(
    request: Request, incident_id: SmallId, runtime: RuntimeDep, access: _View
) -> Response:
    may: dict[str, bool] = {}
    with runtime.db.session(read_only=True) as session:
        case = service.case_for(session, incident_id)
        for name, permission in (
            ("prepare", Permission.RELEASE_PREPARE),
            ("review", Permission.RELEASE_REVIEW),
            ("decide", Permission.RELEASE_DECIDE),
            ("court", Permission.RELEASE_COURT),
        ):
            may[name] = decide_quietly(
                session, access.principal, permission, incident_id, None
            ).allowed
    view = case_view(runtime, incident_id, utcnow()) if case is not None else None
    return render(
        request,
        "release_case.html",
        incident_id=incident_id,
        case=view,
        can=may,
        types=INCIDENT_TYPES,
    )


def _back(incident_id: int) -> RedirectResponse:
    return RedirectResponse(f"/incidents/{incident_id}/release", status_code=303)


@router.post("/incidents/{incident_id}/release", include_in_schema=False)
def form_open(incident_id: SmallId, runtime: RuntimeDep, access: _Prepare) -> Response:
    _open(runtime, access)
    return _back(incident_id)


@router.post("/incidents/{incident_id}/release/state", include_in_schema=False)
def form_move(
    incident_id: SmallId,
    runtime: RuntimeDep,
    access: _Prepare,
    to: Annotated[Literal["closed", "in-review", "ready"], Form()],
    note: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    _move(runtime, access, MoveIn(to=to, reason=note))
    return _back(incident_id)


@router.post("/incidents/{incident_id}/release/candidates", include_in_schema=False)
def form_candidate(
    incident_id: SmallId,
    runtime: RuntimeDep,
    access: _Prepare,
    recording_id: Annotated[Id, Form()],
) -> Response:
    _candidate(runtime, access, CandidateIn(recording_id=recording_id))
    return _back(incident_id)


@router.post(
    "/incidents/{incident_id}/release/candidates/{candidate_id}/review", include_in_schema=False
)
def form_review(
    incident_id: SmallId,
    candidate_id: SmallId,
    runtime: RuntimeDep,
    access: _Review,
    plan_version: Annotated[int, Form(ge=1, le=1_000_000)],
    note: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    _review(runtime, access, candidate_id, ReviewIn(plan_version=plan_version, note=note))
    return _back(incident_id)


@router.post("/incidents/{incident_id}/release/decision", include_in_schema=False)
def form_decide(
    incident_id: SmallId,
    runtime: RuntimeDep,
    access: _Decide,
    action: Annotated[Literal["release", "withhold", "send-back", "reconsider"], Form()],
    candidate_ids: Annotated[list[SmallId] | None, Form()] = None,
    embargo_until: Annotated[str | None, Form(max_length=40)] = None,
    statute: Annotated[str | None, Form(max_length=200)] = None,
    note: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    embargo = None
    if embargo_until:
        try:
            embargo = datetime.fromisoformat(embargo_until)
        except ValueError as exc:
            raise InvalidInput(f"embargo_until: not a date and time: {embargo_until!r}") from exc
        embargo = check_datetime(
            embargo if embargo.tzinfo else embargo.replace(tzinfo=UTC), "embargo_until"
        )
    body = DecideIn(
        action=action,
        candidate_ids=candidate_ids or [],
        embargo_until=embargo,
        statute=statute,
        reason=note,
    )
    _decide(runtime, access, body)
    return _back(incident_id)
