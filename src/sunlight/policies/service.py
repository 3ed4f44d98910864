"""The policies domain's rules: storing each adopted version's text, proposals, public
comments, moderation and the decision. Every change is a custody event on the policy, in the
caller's transaction. A version's text and hash are never changed once stored.

Adoption stays the operator's act: a version becomes ``adopted`` only when ``serve`` starts
with that exact file (its SHA-256) in force; a proposal's effective date passing changes
nothing by itself. The staff decision ``adopt`` says the proposal will be adopted; the record
shows proposed, then adopted when the file goes live.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from sunlight.errors import Conflict, InvalidChange, InvalidInput, NotFound
from sunlight.evidence.custody import Action, record
from sunlight.evidence.policies import PolicyInForce, record_adoptions
from sunlight.policies.models import PolicyComment, PolicyVersion
from sunlight.policies.registry import CheckedFile, check_file, kind

ADOPTED, PROPOSED, WITHDRAWN, SUPERSEDED = "adopted", "proposed", "withdrawn", "superseded"
STATUSES = (ADOPTED, PROPOSED, WITHDRAWN, SUPERSEDED)
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
DECISIONS = ("adopt", "withdraw")
#: limits on what the public may send
MAX_COMMENT_CHARS = 4000
MAX_NAME_CHARS = 100
MAX_SUMMARY_CHARS = 2000
MAX_REASON_CHARS = 2000
MAX_POLICY_BYTES = 512 * 1024


def _event(
    session: Session,
    actor: str,
    action: Action,
    name: str,
    now: dt.datetime,
    **details: object,
) -> None:
    record(
        session,
        actor=actor,
        action=action,
        object_type="policy",
        object_id=name,
        details=dict(details),
        at=now,
    )


# ---- versions --------------------------------------------------------------------------


def current(session: Session, name: str) -> PolicyVersion | None:
    """The adopted version of policy ``name`` (the file in force when serve last started)."""
    return session.scalars(
        select(PolicyVersion)
        .where(PolicyVersion.name == name, PolicyVersion.status == ADOPTED)
        .order_by(PolicyVersion.id.desc())
        .limit(1)
    ).first()


def versions(session: Session, name: str) -> list[PolicyVersion]:
    """Every stored version of ``name``, newest first."""
    return list(
        session.scalars(
            select(PolicyVersion)
            .where(PolicyVersion.name == name)
            .order_by(PolicyVersion.id.desc())
        )
    )


def get_version(session: Session, name: str, version: str) -> PolicyVersion:
    """The stored version ``version`` of ``name`` (the newest, if the number repeats)."""
    found = session.scalars(
        select(PolicyVersion)
        .where(PolicyVersion.name == name, PolicyVersion.version == version)
        .order_by(PolicyVersion.id.desc())
        .limit(1)
    ).first()
    if found is None:
        raise NotFound(
            f"policy {name!r} has no version {version!r}",
            diagnostics={"name": name, "version": version},
        )
    return found


def by_id(session: Session, version_id: int) -> PolicyVersion:
    found = session.get(PolicyVersion, version_id)
    if found is None:
        raise NotFound(f"no policy version {version_id}", diagnostics={"id": version_id})
    return found


def open_proposal(session: Session, name: str) -> PolicyVersion | None:
    """The proposal of ``name`` still awaiting adoption or withdrawal, if any."""
    return session.scalars(
        select(PolicyVersion)
        .where(PolicyVersion.name == name, PolicyVersion.status == PROPOSED)
        .order_by(PolicyVersion.id.desc())
        .limit(1)
    ).first()


def store_adopted(
    session: Session, checked: CheckedFile, *, actor: str, now: dt.datetime
) -> PolicyVersion | None:
    """Record that ``checked`` is the file in force: store its text (once) and mark it
    adopted, the version it replaces superseded. Returns the row if anything changed."""
    existing = session.scalars(
        select(PolicyVersion).where(
            PolicyVersion.name == checked.name, PolicyVersion.sha256 == checked.sha256
        )
    ).first()
    live = current(session, checked.name)
    if existing is not None and existing.status == ADOPTED and live is existing:
        return None
    if live is not None and live is not existing:
        live.status = SUPERSEDED
        live.superseded_at = now
        _event(
            session,
            actor,
            Action.POLICY_VERSION,
            checked.name,
            now,
            version=live.version,
            sha256=live.sha256,
            status=SUPERSEDED,
            previous=ADOPTED,
            version_id=live.id,
        )
    if existing is None:
        existing = PolicyVersion(
            name=checked.name,
            version=checked.version,
            sha256=checked.sha256,
            content=checked.text,
            status=ADOPTED,
            effective_at=checked.effective or now.date(),
            adopted_at=now,
        )
        session.add(existing)
        previous = None
    else:
        previous = existing.status
        existing.status = ADOPTED
        existing.adopted_at = now
        existing.superseded_at = None
    session.flush()
    _event(
        session,
        actor,
        Action.POLICY_VERSION,
        checked.name,
        now,
        version=existing.version,
        sha256=existing.sha256,
        status=ADOPTED,
        previous=previous,
        replaces=live.sha256 if live is not None and live is not existing else None,
        version_id=existing.id,
        effective=existing.effective_at.isoformat() if existing.effective_at else None,
    )
    return existing


def record_in_force(
    session: Session, files: Sequence[CheckedFile], *, actor: str, now: dt.datetime
) -> list[str]:
    """What ``serve`` does at start-up: a ``policy.adopt`` event for each file whose hash
    changed, and each file's text stored in the version history. Returns the changed names."""
    adopted = record_adoptions(
        session, [PolicyInForce(f.name, f.version, f.sha256) for f in files], actor=actor
    )
    for checked in files:
        store_adopted(session, checked, actor=actor, now=now)
    return adopted


# ---- proposals -------------------------------------------------------------------------


def _clean(text: str | None, what: str, limit: int, *, required: bool) -> str | None:
    value = (text or "").strip()
    if not value:
        if required:
            raise InvalidInput(f"{what} is required", diagnostics={"field": what})
        return None
    if len(value) > limit:
        raise InvalidInput(
            f"{what} is limited to {limit} characters",
            diagnostics={"field": what, "limit": limit, "length": len(value)},
        )
    for char in value:
        if char not in "\n\t" and unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co"):
            raise InvalidInput(f"{what} contains a control character", diagnostics={"field": what})
    return value.replace("\r\n", "\n")


def check_text(name: str, text: str) -> CheckedFile:
    """Validate YAML ``text`` as policy ``name`` (written to a private temporary file and read
    by the live loader)."""
    raw = text.encode()
    if len(raw) > MAX_POLICY_BYTES:
        raise InvalidInput(f"a policy file is limited to {MAX_POLICY_BYTES} bytes")
    handle, path = tempfile.mkstemp(prefix=f"proposed-{name}-", suffix=".yaml")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(raw)
        return check_file(name, Path(path))
    finally:
        os.unlink(path)


def propose(
    session: Session,
    name: str,
    checked: CheckedFile,
    *,
    effective: dt.date,
    summary: str,
    actor: str,
    now: dt.datetime,
) -> PolicyVersion:
    """Store a proposed version of ``name`` (already validated by :func:`check_file`). A
    file that states its own ``effective:`` date must state ``effective``: the text the
    public comments on says when it takes effect."""
    kind(name)
    summary_text = _clean(summary, "summary", MAX_SUMMARY_CHARS, required=True)
    if effective <= now.date():
        raise InvalidChange(
            f"the effective date {effective} must be in the future",
            diagnostics={"effective": effective.isoformat()},
        )
    if checked.effective is not None and checked.effective != effective:
        raise InvalidChange(
            f"the file says effective: {checked.effective}, but it is proposed to take effect "
            f"on {effective}: make the file's effective date the proposal's",
            diagnostics={
                "effective": effective.isoformat(),
                "file_effective": checked.effective.isoformat(),
            },
        )
    if open_proposal(session, name) is not None:
        raise Conflict(f"policy {name!r} already has an open proposal: decide on it first")
    duplicate = session.scalars(
        select(PolicyVersion).where(
            PolicyVersion.name == name, PolicyVersion.sha256 == checked.sha256
        )
    ).first()
    if duplicate is not None:
        raise Conflict(
            f"this exact file is already version {duplicate.version} ({duplicate.status})"
        )
    live = current(session, name)
    if live is not None and live.version == checked.version:
        raise InvalidChange(
            f"the proposed file has the current version number {checked.version}: bump it"
        )
    version = PolicyVersion(
        name=name,
        version=checked.version,
        sha256=checked.sha256,
        content=checked.text,
        status=PROPOSED,
        effective_at=effective,
        proposed_at=now,
        summary=summary_text,
        proposed_by=actor,
    )
    session.add(version)
    session.flush()
    _event(
        session,
        actor,
        Action.POLICY_PROPOSE,
        name,
        now,
        version=version.version,
        sha256=version.sha256,
        effective=effective.isoformat(),
        version_id=version.id,
    )
    return version


def comments_open(version: PolicyVersion, now: dt.datetime) -> bool:
    """Comments are taken on an undecided proposal until (not on) its effective date."""
    return (
        version.status == PROPOSED
        and version.decision is None
        and version.effective_at is not None
        and now.date() < version.effective_at
    )


def add_comment(
    session: Session,
    version: PolicyVersion,
    *,
    name: str | None,
    body: str,
    now: dt.datetime,
) -> PolicyComment:
    """A member of the public's comment on a proposal: stored pending moderation."""
    if not comments_open(version, now):
        raise InvalidChange(
            "comments on this version are closed",
            diagnostics={"version": version.version, "status": version.status},
        )
    text = _clean(body, "comment", MAX_COMMENT_CHARS, required=True)
    assert text is not None
    comment = PolicyComment(
        version_id=version.id,
        name=_clean(name, "name", MAX_NAME_CHARS, required=False),
        body=text,
        received_at=now,
        status=PENDING,
    )
    session.add(comment)
    session.flush()
    _event(
        session,
        "public",
        Action.POLICY_COMMENT,
        version.name,
        now,
        version=version.version,
        comment_id=comment.id,
        version_id=version.id,
        commenter=comment.name,
        body=comment.body,
    )
    return comment


def comments(
    session: Session, version_id: int, *, status: str | None = None
) -> list[PolicyComment]:
    query = select(PolicyComment).where(PolicyComment.version_id == version_id)
    if status is not None:
        query = query.where(PolicyComment.status == status)
    return list(session.scalars(query.order_by(PolicyComment.id)))


def moderate(
    session: Session,
    comment_id: int,
    *,
    status: str,
    response: str | None,
    actor: str,
    now: dt.datetime,
) -> PolicyComment:
    """Approve (publish, with the staff response) or reject a comment."""
    if status not in (APPROVED, REJECTED):
        raise InvalidInput("a comment is approved or rejected", diagnostics={"status": status})
    comment = session.get(PolicyComment, comment_id)
    if comment is None:
        raise NotFound(f"no policy comment {comment_id}", diagnostics={"id": comment_id})
    version = by_id(session, comment.version_id)
    if version.decision is not None:
        raise InvalidChange("the proposal is decided: its comments are final")
    previous = comment.status
    comment.status = status
    comment.response = _clean(response, "response", MAX_REASON_CHARS, required=False)
    comment.moderated_at = now
    comment.moderated_by = actor
    session.flush()
    _event(
        session,
        actor,
        Action.POLICY_MODERATE,
        version.name,
        now,
        version=version.version,
        comment_id=comment.id,
        status=status,
        previous=previous,
        response=comment.response,
    )
    return comment


def decide(
    session: Session,
    version: PolicyVersion,
    *,
    decision: str,
    reason: str,
    actor: str,
    now: dt.datetime,
) -> PolicyVersion:
    """Decide on a proposal: ``adopt`` (it becomes adopted when the operator installs the
    file and serve starts with it) or ``withdraw``; the reason is published."""
    if decision not in DECISIONS:
        raise InvalidInput("the decision is adopt or withdraw", diagnostics={"decision": decision})
    if version.status != PROPOSED or version.decision is not None:
        raise InvalidChange(
            f"version {version.version} of {version.name} is not an undecided proposal"
        )
    reason_text = _clean(reason, "reason", MAX_REASON_CHARS, required=True)
    pending = comments(session, version.id, status=PENDING)
    if pending:
        raise InvalidChange(
            f"{len(pending)} comment(s) still await moderation",
            diagnostics={"pending": [c.id for c in pending]},
        )
    version.decision = decision
    version.decision_reason = reason_text
    version.decided_at = now
    version.decided_by = actor
    if decision == "withdraw":
        version.status = WITHDRAWN
    session.flush()
    _event(
        session,
        actor,
        Action.POLICY_DECIDE,
        version.name,
        now,
        version=version.version,
        sha256=version.sha256,
        decision=decision,
        status=version.status,
        version_id=version.id,
        reason=reason_text,
    )
    return version
