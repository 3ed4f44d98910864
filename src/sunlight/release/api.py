"""Release governance as staff JSON: /api/releases, /api/incidents/{id}/release... and the
published release policy (/api/policies/release and its YAML file).

Thin: the rules live in ``sunlight.release.service``; the views in ``release.views``, the
acts shared with the staff forms in ``release.actions``. Every route declares its permission.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse, Response

from sunlight.access import Permission, Principal
from sunlight.release.actions import (
    CandidateIn,
    ConfirmAccess,
    CourtAccess,
    DecideAccess,
    DecideIn,
    ExtensionIn,
    MoveIn,
    OrderIn,
    PetitionIn,
    PrepareAccess,
    ReviewAccess,
    ReviewIn,
    ViewAccess,
    act_candidate,
    act_confirm,
    act_decide,
    act_extend,
    act_move,
    act_open,
    act_order,
    act_petition,
    act_review,
)
from sunlight.release.policy import load_release_policy
from sunlight.release.views import (
    CaseOut,
    CaseSummaryOut,
    ReleasePolicyOut,
    case_view,
    cases_view,
    policy_view,
)
from sunlight.validation import SmallId
from sunlight.web.deps import RuntimeDep, now_for
from sunlight.web.guard import require

router = APIRouter(tags=["release"])


@router.get("/api/releases", response_model=list[CaseSummaryOut], summary="Release cases")
def api_cases(
    request: Request,
    runtime: RuntimeDep,
    principal: Annotated[Principal, Depends(require(Permission.RELEASE_VIEW))],
) -> list[CaseSummaryOut]:
    now = now_for(request)
    return cases_view(runtime, principal, now)


@router.get("/api/incidents/{incident_id}/release", response_model=CaseOut)
def api_case(
    request: Request, incident_id: SmallId, runtime: RuntimeDep, access: ViewAccess
) -> CaseOut:
    now = now_for(request)
    return case_view(runtime, incident_id, now)


@router.post("/api/incidents/{incident_id}/release", response_model=CaseOut, status_code=201)
def api_open(
    request: Request, incident_id: SmallId, runtime: RuntimeDep, access: PrepareAccess
) -> CaseOut:
    now = now_for(request)
    act_open(runtime, access, now)
    return case_view(runtime, incident_id, now)


@router.post("/api/incidents/{incident_id}/release/state", response_model=CaseOut)
def api_move(
    request: Request, incident_id: SmallId, body: MoveIn, runtime: RuntimeDep, access: PrepareAccess
) -> CaseOut:
    now = now_for(request)
    act_move(runtime, access, body, now)
    return case_view(runtime, incident_id, now)


@router.post("/api/incidents/{incident_id}/release/candidates", response_model=CaseOut)
def api_candidate(
    request: Request,
    incident_id: SmallId,
    body: CandidateIn,
    runtime: RuntimeDep,
    access: PrepareAccess,
) -> CaseOut:
    now = now_for(request)
    act_candidate(runtime, access, body, now)
    return case_view(runtime, incident_id, now)


@router.post(
    "/api/incidents/{incident_id}/release/candidates/{candidate_id}/review",
    response_model=CaseOut,
)
def api_review(
    request: Request,
    incident_id: SmallId,
    candidate_id: SmallId,
    body: ReviewIn,
    runtime: RuntimeDep,
    access: ReviewAccess,
) -> CaseOut:
    now = now_for(request)
    act_review(runtime, access, candidate_id, body, now)
    return case_view(runtime, incident_id, now)


@router.post("/api/incidents/{incident_id}/release/decision", response_model=CaseOut)
def api_decide(
    request: Request,
    incident_id: SmallId,
    body: DecideIn,
    runtime: RuntimeDep,
    access: DecideAccess,
) -> CaseOut:
    now = now_for(request)
    act_decide(runtime, access, body, now)
    return case_view(runtime, incident_id, now)


@router.post("/api/incidents/{incident_id}/release/extensions", response_model=CaseOut)
def api_extend(
    request: Request,
    incident_id: SmallId,
    body: ExtensionIn,
    runtime: RuntimeDep,
    access: DecideAccess,
) -> CaseOut:
    now = now_for(request)
    act_extend(runtime, access, body, now)
    return case_view(runtime, incident_id, now)


@router.post("/api/incidents/{incident_id}/release/petitions", response_model=CaseOut)
def api_petition(
    request: Request,
    incident_id: SmallId,
    body: PetitionIn,
    runtime: RuntimeDep,
    access: CourtAccess,
) -> CaseOut:
    now = now_for(request)
    act_petition(runtime, access, body, now)
    return case_view(runtime, incident_id, now)


@router.post(
    "/api/incidents/{incident_id}/release/petitions/{petition_id}/orders", response_model=CaseOut
)
def api_order(
    request: Request,
    incident_id: SmallId,
    petition_id: SmallId,
    body: OrderIn,
    runtime: RuntimeDep,
    access: CourtAccess,
) -> CaseOut:
    now = now_for(request)
    act_order(runtime, access, petition_id, body, now)
    return case_view(runtime, incident_id, now)


@router.post(
    "/api/incidents/{incident_id}/release/orders/{order_id}/confirm", response_model=CaseOut
)
def api_confirm_order(
    request: Request,
    incident_id: SmallId,
    order_id: SmallId,
    runtime: RuntimeDep,
    access: ConfirmAccess,
) -> CaseOut:
    """A second person confirms a recorded court order (two-person rule): 403 for the
    person who recorded it, 409 if already confirmed. A confirmed order to release
    publishes the copies it names."""
    now = now_for(request)
    act_confirm(runtime, access, order_id, now)
    return case_view(runtime, incident_id, now)


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
