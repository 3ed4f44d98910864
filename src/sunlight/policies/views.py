"""What the public and staff see of the policies: typed views built from the stored
versions (the JSON answers use them as they are; the pages render them)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel
from sqlalchemy.orm import Session

from sunlight.errors import NotFound
from sunlight.policies import service
from sunlight.policies.diff import line_diff
from sunlight.policies.models import PolicyComment, PolicyVersion
from sunlight.policies.registry import KINDS, kind


class VersionOut(BaseModel):
    name: str
    version: str
    sha256: str
    status: str
    effective_at: dt.date | None
    proposed_at: dt.datetime | None
    adopted_at: dt.datetime | None
    summary: str | None
    decision: str | None
    decision_reason: str | None
    decided_at: dt.datetime | None
    raw_url: str


class PolicyListItem(BaseModel):
    name: str
    title: str
    about: str
    current: VersionOut | None
    proposed: VersionOut | None
    url: str


class PublicCommentOut(BaseModel):
    id: int
    name: str | None
    body: str
    received_at: dt.datetime
    response: str | None


class StaffCommentOut(PublicCommentOut):
    status: str
    moderated_at: dt.datetime | None
    moderated_by: str | None


class ProposalOut(BaseModel):
    version: VersionOut
    comments_open: bool
    comments: list[PublicCommentOut]
    added: int
    removed: int


class PolicyOut(BaseModel):
    name: str
    title: str
    about: str
    current: VersionOut | None
    history: list[VersionOut]
    proposals: list[ProposalOut]


class DiffLineOut(BaseModel):
    change: Literal["same", "added", "removed"]
    old_line: int | None
    new_line: int | None
    text: str


class DiffOut(BaseModel):
    name: str
    from_version: str
    to_version: str
    from_sha256: str
    to_sha256: str
    added: int
    removed: int
    lines: list[DiffLineOut]


def version_out(row: PolicyVersion) -> VersionOut:
    return VersionOut(
        name=row.name,
        version=row.version,
        sha256=row.sha256,
        status=row.status,
        effective_at=row.effective_at,
        proposed_at=row.proposed_at,
        adopted_at=row.adopted_at,
        summary=row.summary,
        decision=row.decision,
        decision_reason=row.decision_reason,
        decided_at=row.decided_at,
        raw_url=f"/public/policies/{row.name}/versions/{row.version}.yaml",
    )


def public_comment(row: PolicyComment) -> PublicCommentOut:
    return PublicCommentOut(
        id=row.id, name=row.name, body=row.body, received_at=row.received_at, response=row.response
    )


def staff_comment(row: PolicyComment) -> StaffCommentOut:
    return StaffCommentOut(
        id=row.id,
        name=row.name,
        body=row.body,
        received_at=row.received_at,
        response=row.response,
        status=row.status,
        moderated_at=row.moderated_at,
        moderated_by=row.moderated_by,
    )


def policy_list(session: Session) -> list[PolicyListItem]:
    items = []
    for name, policy_kind in KINDS.items():
        live = service.current(session, name)
        proposal = service.open_proposal(session, name)
        items.append(
            PolicyListItem(
                name=name,
                title=policy_kind.title,
                about=policy_kind.about,
                current=version_out(live) if live else None,
                proposed=version_out(proposal) if proposal else None,
                url=f"/public/policies/{name}",
            )
        )
    return items


def _proposal(session: Session, row: PolicyVersion, now: dt.datetime) -> ProposalOut:
    base = service.current(session, row.name)
    lines = line_diff(base.content if base else "", row.content)
    return ProposalOut(
        version=version_out(row),
        comments_open=service.comments_open(row, now),
        comments=[
            public_comment(c) for c in service.comments(session, row.id, status=service.APPROVED)
        ],
        added=sum(1 for x in lines if x.change == "added"),
        removed=sum(1 for x in lines if x.change == "removed"),
    )


def policy_detail(session: Session, name: str, now: dt.datetime) -> PolicyOut:
    policy_kind = kind(name)
    rows = service.versions(session, name)
    live = service.current(session, name)
    return PolicyOut(
        name=name,
        title=policy_kind.title,
        about=policy_kind.about,
        current=version_out(live) if live else None,
        history=[version_out(r) for r in rows if r.status in (service.ADOPTED, service.SUPERSEDED)],
        proposals=[_proposal(session, r, now) for r in rows if r.proposed_at is not None],
    )


def diff(session: Session, name: str, from_version: str, to_version: str) -> DiffOut:
    kind(name)
    old = service.get_version(session, name, from_version)
    new = service.get_version(session, name, to_version)
    lines = [
        DiffLineOut(change=x.change, old_line=x.old_line, new_line=x.new_line, text=x.text)
        for x in line_diff(old.content, new.content)
    ]
    return DiffOut(
        name=name,
        from_version=old.version,
        to_version=new.version,
        from_sha256=old.sha256,
        to_sha256=new.sha256,
        added=sum(1 for x in lines if x.change == "added"),
        removed=sum(1 for x in lines if x.change == "removed"),
        lines=lines,
    )


def raw(session: Session, name: str, version: str | None) -> PolicyVersion:
    """The stored text of ``version`` (or the current one)."""
    kind(name)
    if version is None:
        live = service.current(session, name)
        if live is None:
            raise NotFound(f"no adopted version of {name!r} is recorded yet")
        return live
    return service.get_version(session, name, version)
