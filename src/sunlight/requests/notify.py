"""The requests domain's one door to email.

Every message to a requester goes through :func:`email_requester`, which queues it on the
durable outbox (``sunlight.notify.outbox``) under the topic ``request:ID`` and notes it on
the request's timeline. Until the outbox lands, the timeline note is all it does.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from sunlight.requests.models import RequestEvent


def topic(request_id: int) -> str:
    return f"request:{request_id}"


def email_requester(
    session: Session, *, request_id: int, to: str, subject: str, body: str, now: datetime
) -> None:
    session.add(
        RequestEvent(
            request_id=request_id,
            at=now,
            actor="sunlight",
            kind="email",
            public_text=None,
            staff_text=f"Email queued: {subject}",
            details={"subject": subject, "topic": topic(request_id)},
        )
    )
    session.flush()
