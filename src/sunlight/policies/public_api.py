"""The published policies as JSON for anyone: the list, one policy with its history and
proposals (approved comments only), a diff between two versions, and public comments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from sunlight.policies import service, views
from sunlight.policies.web_common import (
    VERSION_PATTERN,
    PolicyName,
    VersionStr,
    comment_rate_limited,
)
from sunlight.web.deps import RuntimeDep, now_for
from sunlight.web.guard import public

router = APIRouter(tags=["public policies"], dependencies=[Depends(public())])
VersionQuery = Annotated[str, Query(pattern=VERSION_PATTERN)]


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=service.MAX_NAME_CHARS)
    comment: str = Field(min_length=1, max_length=service.MAX_COMMENT_CHARS)


class CommentReceived(BaseModel):
    id: int
    status: str
    message: str


@router.get("/api/public/policies", response_model=list[views.PolicyListItem])
def list_policies(runtime: RuntimeDep) -> list[views.PolicyListItem]:
    with runtime.db.session(read_only=True) as session:
        return views.policy_list(session)


@router.get("/api/public/policies/{name}", response_model=views.PolicyOut)
def get_policy(name: PolicyName, request: Request, runtime: RuntimeDep) -> views.PolicyOut:
    with runtime.db.session(read_only=True) as session:
        return views.policy_detail(session, name, now_for(request))


@router.get("/api/public/policies/{name}/diff", response_model=views.DiffOut)
def get_diff(
    name: PolicyName,
    runtime: RuntimeDep,
    from_: Annotated[str, Query(alias="from", pattern=VERSION_PATTERN)],
    to: VersionQuery,
) -> views.DiffOut:
    with runtime.db.session(read_only=True) as session:
        return views.diff(session, name, from_, to)


@router.post(
    "/api/public/policies/{name}/versions/{version}/comments",
    response_model=CommentReceived,
    status_code=202,
    dependencies=[Depends(comment_rate_limited)],
)
def post_comment(
    name: PolicyName, version: VersionStr, body: CommentIn, request: Request, runtime: RuntimeDep
) -> CommentReceived:
    with runtime.db.session() as session:
        row = service.get_version(session, name, version)
        comment = service.add_comment(
            session, row, name=body.name, body=body.comment, now=now_for(request)
        )
        return CommentReceived(
            id=comment.id,
            status=comment.status,
            message="Received. Staff read every comment before it is published.",
        )
