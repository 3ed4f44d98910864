"""The durable email outbox.

``enqueue`` writes a message in the caller's transaction, so it exists exactly when the
change it tells about commits. ``deliver_due`` (the ``serve`` schedule runs it every few
seconds; also ``sunlight outbox send``) sends what is due:

* **Claiming.** Each message is claimed in its own short write transaction, which sets it
  ``sending`` with a random claim token and a lease (``RetryPolicy.lease``) and counts the
  attempt; the mail server is then called outside any transaction, and a second short
  transaction records the result, only if the claim token still matches. Claims are safe
  between processes: on PostgreSQL the claim query is ``SELECT ... FOR UPDATE SKIP
  LOCKED`` (inside Sunlight's writer lock), on SQLite ``BEGIN IMMEDIATE`` takes the
  database's single writer lock before the claim reads. Two sweepers never hold one
  message.
* **Crashes.** A sweeper that stops between claiming and recording leaves the message
  ``sending``; when its lease runs out another sweep sends it again with the **same
  Message-ID** (fixed when the row was written), so a duplicate is recognisable.
* **Failures.** A transient failure (the server cannot be reached, a 4xx reply) puts the
  message back with exponential backoff (``base_s`` doubling per attempt, capped at
  ``cap_s``) and ends the sweep (the server is likely down; the next sweep tries again).
  Transient failures are retried until ``give_up_after`` has passed since the message was
  queued. A permanent refusal (5xx) is retried until ``max_attempts`` attempts. Then the
  message is ``failed``, with its last error, visible in ``sunlight outbox list`` and to
  the request's timeline, and ``sunlight outbox retry ID`` (or the staff ``/outbox`` page)
  queues it again, recorded as a ``mail.retried`` custody event naming who did it.
* **No server configured.** Nothing is attempted, nothing counts as an attempt; queued
  messages say why they wait (``last_error``) and are sent once a server is configured.

Every message sent (or given up on) is a custody event (``mail.sent`` / ``mail.failed``)
on the object its topic names ("request:42" -> request 42), with its outbox id and
Message-ID but never the address or the body. ``messages_for(session, "request:42")`` lists
a request's messages for its timeline.

The body is kept as written (the mail server sends it), but a body can hold a private link
whose token is the requester's credential: whatever shows a message, and every log line
here, goes through :func:`sunlight.notify.masking.mask`.
"""

from __future__ import annotations

import logging
import re
import secrets
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from functools import partial
from typing import Any

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import Session

from sunlight.db.engine import Database
from sunlight.errors import InvalidInput, NotFound
from sunlight.evidence.custody import Action, Outcome, record
from sunlight.notify.masking import MaskingFilter, mask
from sunlight.notify.models import OutboxMessage, OutboxStatus
from sunlight.notify.smtp import Sender, SendError
from sunlight.runtime import Runtime

log = logging.getLogger(__name__)
log.addFilter(MaskingFilter())  # no log line here carries a private link

#: Who the outbox's custody events name as their actor.
ACTOR = "system:outbox"
#: "kind:id": kind is the custody object type the sent message is recorded on.
TOPIC = re.compile(r"^([a-z][a-z0-9_-]{0,29})(?::([A-Za-z0-9._-]{1,60}))?$")
MAX_SUBJECT = 300
MAX_BODY = 100_000
MAX_ERROR = 2000
#: The right-hand side of every Message-ID the outbox writes.
MESSAGE_ID_DOMAIN = "outbox.sunlight"

SessionSource = Runtime | Database | Callable[[], AbstractContextManager[Session]]


@dataclass(frozen=True)
class RetryPolicy:
    base_s: float = 30.0
    cap_s: float = 900.0
    max_attempts: int = 5
    give_up_after: timedelta = timedelta(days=7)
    lease: timedelta = timedelta(minutes=10)

    def backoff(self, attempts: int) -> timedelta:
        """Wait after the ``attempts``-th failed attempt: base, 2 base, 4 base ... cap."""
        return timedelta(seconds=min(self.base_s * 2 ** max(attempts - 1, 0), self.cap_s))


@dataclass
class DeliveryReport:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    #: Why nothing was attempted (no mail server configured), if so.
    waiting: str | None = None
    #: Why the sweep ended early (the server could not be reached), if so.
    stopped: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "retrying": self.retrying,
            "failed": self.failed,
            "waiting": self.waiting,
            "stopped": self.stopped,
        }


def _subject_of(topic: str) -> tuple[str, str]:
    found = TOPIC.match(topic)
    if found is None:
        raise InvalidInput(f"topic {topic!r} is not 'kind:id' (e.g. request:42)")
    return found.group(1), found.group(2) or found.group(1)


def enqueue(
    session: Session, *, to: str, subject: str, body: str, topic: str, now: datetime
) -> OutboxMessage:
    """Queue one email in the caller's transaction (it exists iff that commits)."""
    _subject_of(topic)
    address = parseaddr(to)[1]
    if not address or "@" not in address or any(c in to for c in "\r\n") or len(to) > 320:
        raise InvalidInput(f"{to!r} is not an email address", diagnostics={"field": "to"})
    if any(c in subject for c in "\r\n") or not subject.strip() or len(subject) > MAX_SUBJECT:
        raise InvalidInput(
            f"a subject is one line of 1 to {MAX_SUBJECT} characters",
            diagnostics={"field": "subject"},
        )
    if len(body) > MAX_BODY:
        raise InvalidInput(
            f"a body is at most {MAX_BODY} characters", diagnostics={"field": "body"}
        )
    message = OutboxMessage(
        topic=topic,
        to_addr=to,
        subject=subject,
        body=body,
        created_at=now,
        queued_at=now,
        status=OutboxStatus.QUEUED,
        attempts=0,
        next_attempt_at=now,
        message_id=f"<{uuid.uuid4().hex}@{MESSAGE_ID_DOMAIN}>",
    )
    session.add(message)
    session.flush()
    return message


def messages_for(session: Session, topic: str) -> list[OutboxMessage]:
    """Every message about ``topic`` ("request:42"), oldest first."""
    return list(
        session.scalars(
            select(OutboxMessage).where(OutboxMessage.topic == topic).order_by(OutboxMessage.id)
        )
    )


def list_messages(
    session: Session, *, status: str | None = None, limit: int = 100
) -> list[OutboxMessage]:
    """The newest messages (of one status), newest first."""
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    return list(session.scalars(query))


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ).all()
    return {str(status): int(n) for status, n in rows}


def get(session: Session, message_id: int) -> OutboxMessage:
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(f"no outbox message {message_id}")
    return message


def retry(session: Session, message_id: int, *, now: datetime, actor: str) -> OutboxMessage:
    """Queue a failed message again (someone fixed the address or the server); recorded as
    ``mail.retried`` on the message's topic, naming ``actor``."""
    message = get(session, message_id)
    if message.status != OutboxStatus.FAILED:
        raise InvalidInput(f"outbox message {message_id} is {message.status}, not failed")
    kind, object_id = _subject_of(message.topic)
    record(
        session,
        actor=actor,
        action=Action.MAIL_RETRIED,
        object_type=kind,
        object_id=object_id,
        details={
            "outbox_id": message.id,
            "message_id": message.message_id,
            "attempts_before": message.attempts,
            "last_error": mask(message.last_error) if message.last_error else None,
        },
        at=now,
    )
    message.status = OutboxStatus.QUEUED
    message.attempts = 0
    message.next_attempt_at = now
    message.queued_at = now  # the give-up window starts again
    session.flush()
    return message


def email_for(message: OutboxMessage | _Claimed, mail_from: str | None = None) -> EmailMessage:
    """The RFC 5322 message for an outbox row (its Message-ID is the row's)."""
    email = EmailMessage()
    if mail_from:
        email["From"] = mail_from
    email["To"] = message.to_addr
    email["Subject"] = message.subject
    email["Message-ID"] = message.message_id
    email["Date"] = format_datetime(message.created_at)
    email["X-Sunlight-Topic"] = message.topic
    email.set_content(message.body)
    return email


@dataclass(frozen=True)
class _Claimed:
    id: int
    token: str
    topic: str
    to_addr: str
    subject: str
    body: str
    message_id: str
    created_at: datetime
    attempts: int


@dataclass(frozen=True)
class _Sessions:
    write: Callable[[], AbstractContextManager[Session]]
    read: Callable[[], AbstractContextManager[Session]]


def _sessions(source: SessionSource) -> _Sessions:
    if isinstance(source, Runtime):
        source = source.db
    if isinstance(source, Database):
        return _Sessions(write=source.session, read=partial(source.session, read_only=True))
    return _Sessions(write=source, read=source)


def deliver_due(
    source: SessionSource,
    sender: Sender,
    *,
    now: datetime,
    limit: int = 50,
    policy: RetryPolicy = RetryPolicy(),
) -> DeliveryReport:
    """Send up to ``limit`` due messages; see the module text for claims and retries."""
    sessions = _sessions(source)
    report = DeliveryReport()
    waiting = sender.unavailable()
    if waiting is not None:
        _note_waiting(sessions, waiting)
        report.waiting = waiting
        return report
    with sessions.read() as session:  # most sweeps find nothing: no writer lock for that
        if session.scalar(due_query(now).with_only_columns(OutboxMessage.id)) is None:
            return report
    mail_from = getattr(sender, "mail_from", None)
    for _ in range(limit):
        claimed = _claim_one(sessions, now, policy)
        if claimed is None:
            break
        try:
            sender.send(email_for(claimed, mail_from if isinstance(mail_from, str) else None))
        except SendError as exc:
            status = _record_failure(sessions, claimed, exc, now, policy)
            (report.failed if status == OutboxStatus.FAILED else report.retrying).append(claimed.id)
            if not exc.permanent:
                report.stopped = mask(str(exc))
                break
        else:
            if _record_sent(sessions, claimed, now):
                report.sent.append(claimed.id)
    return report


def due_query(now: datetime) -> Select[OutboxMessage]:
    """Due messages, next first: queued and due, or ``sending`` with their claim run out."""
    return (
        select(OutboxMessage)
        .where(
            OutboxMessage.status.in_([OutboxStatus.QUEUED, OutboxStatus.SENDING]),
            OutboxMessage.next_attempt_at <= now,
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
    )


def claim_query(now: datetime) -> Select[OutboxMessage]:
    """The next due message, locked: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL. SQLite has
    no row locks (and drops the clause): there the write transaction's ``BEGIN IMMEDIATE``
    already excludes every other claimant."""
    return due_query(now).with_for_update(skip_locked=True)


def _claim_one(sessions: _Sessions, now: datetime, policy: RetryPolicy) -> _Claimed | None:
    with sessions.write() as session:
        message = session.scalars(claim_query(now)).first()
        if message is None:
            return None
        if message.status == OutboxStatus.SENDING:
            log.warning(
                "outbox message %s: the sweeper that claimed it stopped mid-send; sending it "
                "again with the same Message-ID %s",
                message.id,
                message.message_id,
            )
            message.last_error = "an earlier attempt stopped mid-send; sent again"
        token = secrets.token_hex(16)
        message.status = OutboxStatus.SENDING
        message.claim_token = token
        message.attempts += 1
        message.next_attempt_at = now + policy.lease
        return _Claimed(
            id=message.id,
            token=token,
            topic=message.topic,
            to_addr=message.to_addr,
            subject=message.subject,
            body=message.body,
            message_id=message.message_id,
            created_at=message.created_at,
            attempts=message.attempts,
        )


def _still_ours(session: Session, claimed: _Claimed) -> OutboxMessage | None:
    message = session.get(OutboxMessage, claimed.id)
    if message is None or message.claim_token != claimed.token:
        log.warning("outbox message %s was claimed by another sweeper meanwhile", claimed.id)
        return None
    return message


def _record_sent(sessions: _Sessions, claimed: _Claimed, now: datetime) -> bool:
    with sessions.write() as session:
        message = _still_ours(session, claimed)
        if message is None:
            return False
        message.status = OutboxStatus.SENT
        message.sent_at = now
        message.claim_token = None
        message.last_error = None
        kind, object_id = _subject_of(message.topic)
        record(
            session,
            actor=ACTOR,
            action=Action.MAIL_SENT,
            object_type=kind,
            object_id=object_id,
            details={
                "outbox_id": message.id,
                "message_id": message.message_id,
                "attempts": message.attempts,
            },
            at=now,
        )
        return True


def _record_failure(
    sessions: _Sessions,
    claimed: _Claimed,
    error: SendError,
    now: datetime,
    policy: RetryPolicy,
) -> str:
    with sessions.write() as session:
        message = _still_ours(session, claimed)
        if message is None:
            return OutboxStatus.SENDING
        message.claim_token = None
        message.last_error = str(error)[:MAX_ERROR]
        give_up = (
            message.attempts >= policy.max_attempts
            if error.permanent
            else now - message.queued_at >= policy.give_up_after
        )
        if not give_up:
            message.status = OutboxStatus.QUEUED
            message.next_attempt_at = now + policy.backoff(message.attempts)
            log.info(
                "outbox message %s not sent (attempt %d, next at %s): %s",
                message.id,
                message.attempts,
                message.next_attempt_at.isoformat(),
                error,
            )
            return OutboxStatus.QUEUED
        message.status = OutboxStatus.FAILED
        kind, object_id = _subject_of(message.topic)
        record(
            session,
            actor=ACTOR,
            action=Action.MAIL_FAILED,
            object_type=kind,
            object_id=object_id,
            outcome=Outcome.FAILED,
            reason=mask(message.last_error),
            details={
                "outbox_id": message.id,
                "message_id": message.message_id,
                "attempts": message.attempts,
            },
            at=now,
        )
        log.error(
            "outbox message %s failed after %d attempts: %s", message.id, message.attempts, error
        )
        return OutboxStatus.FAILED


def _note_waiting(sessions: _Sessions, reason: str) -> None:
    """Queued messages say why they wait; written only when some do not say so yet."""
    stale = or_(OutboxMessage.last_error.is_(None), OutboxMessage.last_error != reason)
    with sessions.read() as session:  # no writer lock every sweep for nothing
        found = session.scalar(
            select(OutboxMessage.id)
            .where(OutboxMessage.status == OutboxStatus.QUEUED, stale)
            .limit(1)
        )
    if found is None:
        return
    with sessions.write() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.QUEUED, stale)
            .values(last_error=reason)
        )
