"""The one door for custody events.

Every action on evidence is recorded here, inside the caller's transaction, so the event
and the change it describes commit or roll back together. Nothing else writes the
``custody_events`` table, and the database refuses to update or delete its rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sunlight.access import audit as access_audit
from sunlight.access.audit import AuthAction
from sunlight.db.base import utcnow
from sunlight.db.engine import note_public_write
from sunlight.evidence.models import CustodyEvent


class Action(StrEnum):
    INGEST = "ingest"
    INGEST_DUPLICATE = "ingest.duplicate"
    VIEW = "view"
    STREAM = "stream"
    DOWNLOAD = "download"
    METADATA_CHANGE = "metadata.change"
    FLAG = "flag"
    UNFLAG = "flag.clear"
    DERIVE = "derive"
    # incidents and outside investigations
    INCIDENT_CREATE = "incident.create"
    INCIDENT_CHANGE = "incident.change"
    INCIDENT_LINK = "incident.link"
    INCIDENT_UNLINK = "incident.unlink"
    CUSTODY_TRANSFER = "custody.transfer"
    INVESTIGATION_STATUS = "investigation.status"
    # retention
    HOLD = "hold"
    HOLD_RELEASE = "hold.release"
    RETENTION_SCHEDULED = "retention.scheduled"
    RETENTION_UNDONE = "retention.undone"
    RETENTION_CANCELLED = "retention.cancelled"
    RETENTION_LOCK = "retention.lock"
    TOMBSTONE = "retention.tombstone"
    # compliance
    REVIEW = "review"
    # published policies: a new version of a policy file taking effect (its sha256)
    POLICY_ADOPT = "policy.adopt"
    # the policies domain: a version's text stored, a proposal, its comments and decision
    POLICY_VERSION = "policy.version"
    POLICY_PROPOSE = "policy.propose"
    POLICY_COMMENT = "policy.comment"
    POLICY_MODERATE = "policy.moderate"
    POLICY_DECIDE = "policy.decide"
    # redaction
    REDACTION_PLAN = "redaction.plan"
    REDACT = "redaction.render"
    # captions and transcripts (a track's first version, later versions, approval)
    CAPTION_CREATE = "caption.create"
    CAPTION_EDIT = "caption.edit"
    CAPTION_APPROVE = "caption.approve"
    # access (routes helper): refusals, statements, complaints
    ACCESS_DENIED = "access.denied"
    INCIDENT_STATEMENT = "incident.statement"
    COMPLAINT_CREATE = "complaint.create"
    # sign-in, accounts, second factors, API tokens, agencies and units are
    # sunlight.access.audit.AuthAction: ``record`` takes either vocabulary
    # shares (and the audit views, whose reading is itself recorded: CJIS AU-2)
    SHARE_CREATE = "share.create"
    SHARE_REVOKE = "share.revoke"
    SHARE_USE = "share.use"
    AUDIT_VIEW = "audit.view"
    # release governance (release cases, review, embargo, court orders)
    RELEASE_CASE = "release.case"
    RELEASE_CANDIDATE = "release.candidate"
    RELEASE_REVIEW = "release.review"
    RELEASE_EXTENSION = "release.extension"
    RELEASE_DECISION = "release.decision"
    RELEASE_PUBLISH = "release.publish"
    RELEASE_EMBARGO_WARNING = "release.embargo-warning"
    COURT_PETITION = "release.court-petition"
    COURT_ORDER = "release.court-order"
    COURT_ORDER_CONFIRM = "release.court-order-confirm"
    # the custody ledger: a witness whose cosignatures the log counts, accepted or removed
    # (its name, key id and verifier key; the key's SHA-256 is public in the log's entry)
    WITNESS_ADD = "witness.add"
    WITNESS_REMOVE = "witness.remove"
    # records requests: each entry on a request's timeline, with the request's audited
    # fields (status, clock, denial, fees) and its clock pauses as they stand after it
    REQUEST_EVENT = "request.event"
    # email outbox (sunlight.notify): a message handed to the mail server, or given up on
    MAIL_SENT = "mail.sent"
    MAIL_FAILED = "mail.failed"
    MAIL_RETRIED = "mail.retried"  # a failed message queued again by staff or an operator


class Outcome(StrEnum):
    SUCCESS = "success"
    DENIED = "denied"
    FAILED = "failed"


#: Whether a custody event of each kind can change what the public portal answers
#: (``sunlight.web.public_cache`` keeps its answers across every other kind): ``PUBLIC``, or
#: why not. Every action of both vocabularies is here (tests/evidence/test_portal_effect.py);
#: a rare kind that is not plainly private is ``PUBLIC``: the cost is one page made again.
PUBLIC = "public"
PORTAL_EFFECT: dict[Action | AuthAction, str] = {
    # evidence: an upload, its derivatives and every access are the day's bulk
    Action.INGEST: "a new recording is public only through a release; the statistics count "
    "uploads on their own TTL",
    Action.INGEST_DUPLICATE: "nothing new stored",
    Action.VIEW: "an access: the statistics count accesses on their own TTL",
    Action.STREAM: "an access (as view)",
    Action.DOWNLOAD: "an access (as view)",
    Action.METADATA_CHANGE: PUBLIC,
    Action.FLAG: PUBLIC,  # a nonpublic flag takes a release off the portal
    Action.UNFLAG: PUBLIC,
    Action.DERIVE: "the worker's posters, thumbnails and proxy of a recording; a released "
    "copy is made by redaction.render and published by release.publish",
    Action.INCIDENT_CREATE: "a new incident has no release yet",
    Action.INCIDENT_CHANGE: PUBLIC,  # a released incident's type, area
    Action.INCIDENT_LINK: PUBLIC,
    Action.INCIDENT_UNLINK: PUBLIC,
    Action.CUSTODY_TRANSFER: PUBLIC,
    Action.INVESTIGATION_STATUS: PUBLIC,
    Action.HOLD: "a legal hold is not shown to the public",
    Action.HOLD_RELEASE: "as hold",
    Action.RETENTION_SCHEDULED: "a deletion only scheduled changes nothing shown",
    Action.RETENTION_UNDONE: "as retention.scheduled",
    Action.RETENTION_CANCELLED: "as retention.scheduled",
    Action.RETENTION_LOCK: "as retention.scheduled",
    Action.TOMBSTONE: PUBLIC,  # a deleted recording's release page changes
    Action.REVIEW: "a supervisor's compliance review; the public compliance report is "
    "outside /public and the statistics count reviews on their own TTL",
    Action.POLICY_ADOPT: PUBLIC,
    Action.POLICY_VERSION: PUBLIC,
    Action.POLICY_PROPOSE: PUBLIC,
    Action.POLICY_COMMENT: PUBLIC,
    Action.POLICY_MODERATE: PUBLIC,
    Action.POLICY_DECIDE: PUBLIC,
    Action.REDACTION_PLAN: "a plan is staff work until rendered",
    Action.REDACT: PUBLIC,  # a released copy rendered again
    Action.CAPTION_CREATE: PUBLIC,
    Action.CAPTION_EDIT: PUBLIC,
    Action.CAPTION_APPROVE: PUBLIC,
    Action.ACCESS_DENIED: "a refusal: the statistics count refusals on their own TTL",
    Action.INCIDENT_STATEMENT: PUBLIC,
    Action.COMPLAINT_CREATE: "a complaint is not shown on the portal; the statistics count "
    "complaints on their own TTL",
    Action.SHARE_CREATE: "private share links are never shown to the public",
    Action.SHARE_REVOKE: "as share.create",
    Action.SHARE_USE: "an access through a share (as view)",
    Action.AUDIT_VIEW: "staff reading the audit views",
    Action.RELEASE_CASE: PUBLIC,
    Action.RELEASE_CANDIDATE: PUBLIC,
    Action.RELEASE_REVIEW: PUBLIC,
    Action.RELEASE_EXTENSION: PUBLIC,
    Action.RELEASE_DECISION: PUBLIC,
    Action.RELEASE_PUBLISH: PUBLIC,
    Action.RELEASE_EMBARGO_WARNING: PUBLIC,
    Action.COURT_PETITION: PUBLIC,
    Action.COURT_ORDER: PUBLIC,
    Action.COURT_ORDER_CONFIRM: PUBLIC,
    Action.WITNESS_ADD: PUBLIC,  # the log badge names the witnesses
    Action.WITNESS_REMOVE: PUBLIC,
    Action.REQUEST_EVENT: PUBLIC,  # a records request's timeline and status
    Action.MAIL_SENT: "mail is never shown to the public",
    Action.MAIL_FAILED: "as mail.sent",
    Action.MAIL_RETRIED: "as mail.sent",
    # sign-in and accounts: a release page names a reviewer's role and agency, never the person
    AuthAction.USER_CREATE: "a new account has reviewed nothing yet",
    AuthAction.USER_ROLES: PUBLIC,  # a reviewer's role is on the release page
    AuthAction.USER_AGENCY: PUBLIC,  # and their agency
    AuthAction.USER_PASSWORD: "credentials are never shown",
    AuthAction.USER_DISABLE: "an account's state is never shown",
    AuthAction.USER_ENABLE: "as user.disable",
    AuthAction.USER_LOCK: "as user.disable",
    AuthAction.USER_UNLOCK: "as user.disable",
    AuthAction.SIGN_IN: "a sign-in is never shown",
    AuthAction.SIGN_OUT: "as sign-in",
    AuthAction.REAUTH: "as sign-in",
    AuthAction.SESSIONS_END: "as sign-in",
    AuthAction.MFA_ENROL: "credentials are never shown",
    AuthAction.MFA_RESET: "as mfa.enrol",
    AuthAction.RECOVERY_CODES: "as mfa.enrol",
    AuthAction.TOKEN_CREATE: "API tokens are never shown",
    AuthAction.TOKEN_REVOKE: "as token.create",
    AuthAction.TOKEN_REFUSED: "as token.create",
    AuthAction.AGENCY_CREATE: PUBLIC,  # agencies' public names
    AuthAction.UNIT_CREATE: PUBLIC,
}
#: The kinds counted in the public cache's change mark (the values as stored).
PUBLIC_ACTIONS: frozenset[str] = frozenset(
    str(action) for action, effect in PORTAL_EFFECT.items() if effect == PUBLIC
)


MAX_REASON_CHARS = 2000


def record(
    session: Session,
    *,
    actor: str,
    action: Action | AuthAction,
    object_type: str,
    object_id: str | int,
    outcome: Outcome = Outcome.SUCCESS,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> CustodyEvent:
    """Append one custody event to the caller's transaction and return it (flushed)."""
    if not actor:
        raise ValueError("a custody event needs an actor")
    if reason is not None and len(reason) > MAX_REASON_CHARS:
        raise ValueError(f"reason is longer than {MAX_REASON_CHARS} characters")
    event = CustodyEvent(
        occurred_at=at or utcnow(),
        actor=actor,
        action=str(action),
        object_type=object_type,
        object_id=str(object_id),
        outcome=str(outcome),
        reason=reason,
        details=details or {},
    )
    session.add(event)
    session.flush()
    if PORTAL_EFFECT.get(action, PUBLIC) == PUBLIC:  # a kind not classified counts
        note_public_write(session)
    return event


def recently_recorded(
    session: Session,
    *,
    actor: str,
    action: Action,
    object_type: str,
    object_id: str | int,
    within: timedelta,
    now: datetime,
) -> bool:
    """Whether the same actor already did the same thing to the same object within
    ``within`` before ``now`` (the caller's clock, the one its events are stamped with).

    A video player issues dozens of Range requests for one viewing; logging each would
    bury the record. One event per actor, object and action per window keeps every
    access visible without the noise.
    """
    since = now - within
    found = session.execute(
        select(CustodyEvent.id)
        .where(
            CustodyEvent.actor == actor,
            CustodyEvent.action == str(action),
            CustodyEvent.object_type == object_type,
            CustodyEvent.object_id == str(object_id),
            CustodyEvent.occurred_at >= since,
        )
        .limit(1)
    ).first()
    return found is not None


def events_for(session: Session, object_type: str, object_id: str | int) -> list[CustodyEvent]:
    return list(
        session.scalars(
            select(CustodyEvent)
            .where(
                CustodyEvent.object_type == object_type,
                CustodyEvent.object_id == str(object_id),
            )
            .order_by(CustodyEvent.id)
        )
    )


def _record_for_access(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int,
    outcome: str,
    reason: str | None,
    details: dict[str, Any] | None,
    at: datetime | None,
) -> CustodyEvent:
    return record(
        session,
        actor=actor,
        action=AuthAction(action),
        object_type=object_type,
        object_id=object_id,
        outcome=Outcome(outcome),
        reason=reason,
        details=details,
        at=at,
    )


access_audit.register_recorder(_record_for_access)
