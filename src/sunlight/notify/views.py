"""The outbox as staff see it (the ``/outbox`` page, ``/api/outbox`` and ``sunlight outbox
list``): typed rows whose subject, body and last error have their private links masked
(:func:`sunlight.notify.masking.mask`). The mail server is the only reader of the real body.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from sunlight.notify import outbox
from sunlight.notify.masking import mask, mask_optional
from sunlight.notify.models import OutboxMessage, OutboxStatus


class OutboxMessageOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    topic: str
    to: str
    subject: str
    #: The body with every private link's token hidden (never the body as sent).
    body: str
    status: str
    attempts: int
    created_at: datetime
    queued_at: datetime
    #: When the next attempt is due (queued or sending only).
    next_attempt_at: datetime | None
    sent_at: datetime | None
    last_error: str | None
    message_id: str


class OutboxListing(BaseModel):
    model_config = ConfigDict(frozen=True)

    counts: dict[str, int]
    messages: list[OutboxMessageOut]


def message_out(message: OutboxMessage) -> OutboxMessageOut:
    waiting = message.status in (OutboxStatus.QUEUED, OutboxStatus.SENDING)
    return OutboxMessageOut(
        id=message.id,
        topic=message.topic,
        to=message.to_addr,
        subject=mask(message.subject),
        body=mask(message.body),
        status=message.status,
        attempts=message.attempts,
        created_at=message.created_at,
        queued_at=message.queued_at,
        next_attempt_at=message.next_attempt_at if waiting else None,
        sent_at=message.sent_at,
        last_error=mask_optional(message.last_error),
        message_id=message.message_id,
    )


def listing(
    session: Session, *, status: str | None = None, topic: str | None = None, limit: int = 100
) -> OutboxListing:
    """The newest messages (of one status, about one topic), newest first, masked."""
    if topic is not None:
        found = outbox.messages_for(session, topic)
        if status is not None:
            found = [m for m in found if m.status == status]
        found = found[-limit:][::-1]
    else:
        found = outbox.list_messages(session, status=status, limit=limit)
    return OutboxListing(counts=outbox.counts(session), messages=[message_out(m) for m in found])
