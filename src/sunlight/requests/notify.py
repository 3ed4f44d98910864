"""The requests domain's one door to email.

Every message to a requester goes through :func:`email_requester`: it is queued on the
durable outbox (``sunlight.notify.outbox``) under the topic ``request:ID``, in the same
transaction as the change it tells about, and noted on the request's timeline (subject and
outbox id, not the body). :func:`emails_of` lists a request's messages with their delivery
status for the staff timeline.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from sunlight.evidence.custody import Action, record
from sunlight.notify import outbox
from sunlight.notify.models import OutboxMessage
from sunlight.requests.models import RequestEvent

#: Who writes the email notes on a request's timeline.
MAILER = "sunlight"


def topic(request_id: int) -> str:
    return f"request:{request_id}"


def email_requester(
    session: Session, *, request_id: int, to: str, subject: str, body: str, now: datetime
) -> OutboxMessage:
    message = outbox.enqueue(
        session, to=to, subject=subject, body=body, topic=topic(request_id), now=now
    )
    entry = RequestEvent(
        request_id=request_id,
        at=now,
        actor=MAILER,
        kind="email",
        public_text=None,
        staff_text=f"Email queued: {subject}",
        details={"subject": subject, "outbox_id": message.id, "topic": topic(request_id)},
    )
    session.add(entry)
    session.flush()
    # The timeline entry is a custody event like every other one (the replay audit finds
    # an email note added, removed or edited by hand); the body stays in the outbox.
    record(
        session,
        actor=MAILER,
        action=Action.REQUEST_EVENT,
        object_type="request",
        object_id=request_id,
        details={
            "event_id": entry.id,
            "kind": entry.kind,
            "at": now.isoformat(),
            "public_text": None,
            "staff_text": entry.staff_text,
            "outbox_id": message.id,
        },
    )
    return message


def emails_of(session: Session, request_id: int) -> list[OutboxMessage]:
    return outbox.messages_for(session, topic(request_id))
