"""Staff JSON for the policies: propose a version, read and moderate its comments, decide."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from sunlight.access import Permission, Principal
from sunlight.policies import service, views
from sunlight.policies.web_common import PolicyName, VersionStr
from sunlight.validation import SmallId
from sunlight.web.deps import RuntimeDep, now_for, require

router = APIRouter(tags=["policies"])
ProposeDep = Annotated[Principal, Depends(require(Permission.POLICY_PROPOSE))]
ModerateDep = Annotated[Principal, Depends(require(Permission.POLICY_MODERATE))]


class ProposalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    content: str = Field(min_length=1, max_length=service.MAX_POLICY_BYTES)
    effective: dt.date
    summary: str = Field(min_length=1, max_length=service.MAX_SUMMARY_CHARS)


class ModerateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["approved", "rejected"]
    response: str | None = Field(default=None, max_length=service.MAX_REASON_CHARS)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["adopt", "withdraw"]
    reason: str = Field(min_length=1, max_length=service.MAX_REASON_CHARS)


@router.post("/api/policies/{name}/proposals", response_model=views.VersionOut, status_code=201)
def propose(
    name: PolicyName, body: ProposalIn, request: Request, runtime: RuntimeDep, actor: ProposeDep
) -> views.VersionOut:
    checked = service.check_text(name, body.content)
    with runtime.db.session() as session:
        row = service.propose(
            session,
            name,
            checked,
            effective=body.effective,
            summary=body.summary,
            actor=actor.id,
            now=now_for(request),
        )
        return views.version_out(row)


@router.get(
    "/api/policies/{name}/proposals/{version}/comments",
    response_model=list[views.StaffCommentOut],
)
def list_comments(
    name: PolicyName, version: VersionStr, runtime: RuntimeDep, _: ModerateDep
) -> list[views.StaffCommentOut]:
    with runtime.db.session(read_only=True) as session:
        row = service.get_version(session, name, version)
        return [views.staff_comment(c) for c in service.comments(session, row.id)]


@router.post("/api/policy-comments/{comment_id}/moderate", response_model=views.StaffCommentOut)
def moderate(
    comment_id: SmallId, body: ModerateIn, request: Request, runtime: RuntimeDep, actor: ModerateDep
) -> views.StaffCommentOut:
    with runtime.db.session() as session:
        comment = service.moderate(
            session,
            comment_id,
            status=body.status,
            response=body.response,
            actor=actor.id,
            now=now_for(request),
        )
        return views.staff_comment(comment)


@router.post("/api/policies/{name}/proposals/{version}/decision", response_model=views.VersionOut)
def decide(
    name: PolicyName,
    version: VersionStr,
    body: DecisionIn,
    request: Request,
    runtime: RuntimeDep,
    actor: ModerateDep,
) -> views.VersionOut:
    with runtime.db.session() as session:
        row = service.decide(
            session,
            service.get_version(session, name, version),
            decision=body.decision,
            reason=body.reason,
            actor=actor.id,
            now=now_for(request),
        )
        return views.version_out(row)
