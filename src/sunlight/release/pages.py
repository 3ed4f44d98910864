"""Release governance as staff pages: /releases, /incidents/{id}/release and its forms, and
the published release policy (/policies/release).

Thin: the forms call the same acts as the JSON routes (``release.actions``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sunlight.access import Permission, Principal
from sunlight.errors import InvalidInput
from sunlight.incidents.terms import INCIDENT_TYPES
from sunlight.release import service
from sunlight.release.actions import (
    CandidateIn,
    ConfirmAccess,
    DecideAccess,
    DecideIn,
    MoveIn,
    PrepareAccess,
    ReviewAccess,
    ReviewIn,
    ViewAccess,
    act_candidate,
    act_confirm,
    act_decide,
    act_move,
    act_open,
    act_review,
)
from sunlight.release.policy import load_release_policy
from sunlight.release.views import case_view, cases_view, policy_view
from sunlight.validation import Id, SmallId, check_datetime
from sunlight.web.deps import RuntimeDep, now_for
from sunlight.web.guard import decide_quietly, require
from sunlight.web.pages import render

router = APIRouter(tags=["release"])


# -- the published policy --------------------------------------------------------------


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


# -- pages -----------------------------------------------------------------------------


@router.get("/releases", response_class=HTMLResponse, include_in_schema=False)
def releases_page(
    request: Request,
    runtime: RuntimeDep,
    principal: Annotated[Principal, Depends(require(Permission.RELEASE_VIEW))],
) -> Response:
    now = now_for(request)
    return render(
        request,
        "release_cases.html",
        cases=cases_view(runtime, principal, now),
        types=INCIDENT_TYPES,
    )


@router.get(
    "/incidents/{incident_id}/release", response_class=HTMLResponse, include_in_schema=False
)
def case_page(
    request: Request, incident_id: SmallId, runtime: RuntimeDep, access: ViewAccess
) -> Response:
    now = now_for(request)
    may: dict[str, bool] = {}
    with runtime.db.session(read_only=True) as session:
        case = service.case_for(session, incident_id)
        for name, permission in (
            ("prepare", Permission.RELEASE_PREPARE),
            ("review", Permission.RELEASE_REVIEW),
            ("decide", Permission.RELEASE_DECIDE),
            ("court", Permission.RELEASE_COURT),
            ("confirm", Permission.RELEASE_COURT_CONFIRM),
        ):
            may[name] = decide_quietly(
                session, access.principal, permission, incident_id, None, now=now
            ).allowed
    view = case_view(runtime, incident_id, now) if case is not None else None
    return render(
        request,
        "release_case.html",
        incident_id=incident_id,
        case=view,
        can=may,
        me=access.principal.id,
        types=INCIDENT_TYPES,
    )


def _back(incident_id: int) -> RedirectResponse:
    return RedirectResponse(f"/incidents/{incident_id}/release", status_code=303)


@router.post("/incidents/{incident_id}/release", include_in_schema=False)
def form_open(
    request: Request, incident_id: SmallId, runtime: RuntimeDep, access: PrepareAccess
) -> Response:
    now = now_for(request)
    act_open(runtime, access, now)
    return _back(incident_id)


@router.post("/incidents/{incident_id}/release/state", include_in_schema=False)
def form_move(
    request: Request,
    incident_id: SmallId,
    runtime: RuntimeDep,
    access: PrepareAccess,
    to: Annotated[Literal["closed", "in-review", "ready"], Form()],
    note: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    now = now_for(request)
    act_move(runtime, access, MoveIn(to=to, reason=note), now)
    return _back(incident_id)


@router.post("/incidents/{incident_id}/release/candidates", include_in_schema=False)
def form_candidate(
    request: Request,
    incident_id: SmallId,
    runtime: RuntimeDep,
    access: PrepareAccess,
    recording_id: Annotated[Id, Form()],
) -> Response:
    now = now_for(request)
    act_candidate(runtime, access, CandidateIn(recording_id=recording_id), now)
    return _back(incident_id)


@router.post(
    "/incidents/{incident_id}/release/candidates/{candidate_id}/review", include_in_schema=False
)
def form_review(
    request: Request,
    incident_id: SmallId,
    candidate_id: SmallId,
    runtime: RuntimeDep,
    access: ReviewAccess,
    plan_version: Annotated[int, Form(ge=1, le=1_000_000)],
    note: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    now = now_for(request)
    act_review(runtime, access, candidate_id, ReviewIn(plan_version=plan_version, note=note), now)
    return _back(incident_id)


@router.post("/incidents/{incident_id}/release/decision", include_in_schema=False)
def form_decide(
    request: Request,
    incident_id: SmallId,
    runtime: RuntimeDep,
    access: DecideAccess,
    action: Annotated[Literal["release", "withhold", "send-back", "reconsider"], Form()],
    candidate_ids: Annotated[list[SmallId] | None, Form()] = None,
    embargo_until: Annotated[str | None, Form(max_length=40)] = None,
    statute: Annotated[str | None, Form(max_length=200)] = None,
    note: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    now = now_for(request)
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
    act_decide(runtime, access, body, now)
    return _back(incident_id)


@router.post("/incidents/{incident_id}/release/orders/{order_id}/confirm", include_in_schema=False)
def form_confirm_order(
    request: Request,
    incident_id: SmallId,
    order_id: SmallId,
    runtime: RuntimeDep,
    access: ConfirmAccess,
) -> Response:
    now = now_for(request)
    act_confirm(runtime, access, order_id, now)
    return _back(incident_id)
