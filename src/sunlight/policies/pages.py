"""The staff page for policy proposals (/policies/proposals): each open proposal with every
comment, the moderation forms and the decision form. Thin: the forms call the domain's
acts, as the JSON routes do."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sunlight.access import Permission, Principal
from sunlight.policies import service, views
from sunlight.policies.registry import KINDS
from sunlight.policies.web_common import PolicyName, VersionStr
from sunlight.validation import SmallId
from sunlight.web.deps import RuntimeDep, now_for, require
from sunlight.web.pages import render

router = APIRouter(include_in_schema=False)
ModerateDep = Annotated[Principal, Depends(require(Permission.POLICY_MODERATE))]
BACK = "/policies/proposals"


@router.get("/policies/proposals", response_class=HTMLResponse)
def proposals_page(request: Request, runtime: RuntimeDep, _: ModerateDep) -> Response:
    now = now_for(request)
    rows = []
    with runtime.db.session(read_only=True) as session:
        for name, policy_kind in KINDS.items():
            for row in service.versions(session, name):
                if row.status != service.PROPOSED:
                    continue
                rows.append(
                    {
                        "title": policy_kind.title,
                        "version": views.version_out(row),
                        "open": service.comments_open(row, now),
                        "comments": [
                            views.staff_comment(c) for c in service.comments(session, row.id)
                        ],
                    }
                )
    return render(request, "policy_proposals.html", proposals=rows)


@router.post("/policies/comments/{comment_id}/moderate")
def moderate_form(
    comment_id: SmallId,
    request: Request,
    runtime: RuntimeDep,
    actor: ModerateDep,
    status: Annotated[Literal["approved", "rejected"], Form()],
    response: Annotated[str, Form(max_length=service.MAX_REASON_CHARS)] = "",
) -> Response:
    with runtime.db.session() as session:
        service.moderate(
            session,
            comment_id,
            status=status,
            response=response or None,
            actor=actor.id,
            now=now_for(request),
        )
    return RedirectResponse(BACK, status_code=303)


@router.post("/policies/{name}/proposals/{version}/decision")
def decide_form(
    name: PolicyName,
    version: VersionStr,
    request: Request,
    runtime: RuntimeDep,
    actor: ModerateDep,
    decision: Annotated[Literal["adopt", "withdraw"], Form()],
    reason: Annotated[str, Form(max_length=service.MAX_REASON_CHARS)] = "",
) -> Response:
    with runtime.db.session() as session:
        service.decide(
            session,
            service.get_version(session, name, version),
            decision=decision,
            reason=reason,
            actor=actor.id,
            now=now_for(request),
        )
    return RedirectResponse(BACK, status_code=303)
