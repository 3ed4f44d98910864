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
