"""A requester's emails go through the durable outbox: delivered by SMTP (aiosmtpd), each
on the request's timeline with its state, and a custody event on the request."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from sunlight.evidence.models import CustodyEvent
from sunlight.notify.outbox import deliver_due
from sunlight.requests import notify, service
from sunlight.requests.states import Status
from sunlight.runtime import Runtime
from tests.notify.smtp_server import Recorder, free_port, smtp_server
from tests.notify.test_outbox import sender_for
from tests.requests.support import MONDAY, file


def test_requester_emails_are_sent_and_on_the_timeline(runtime: Runtime) -> None:
    request_id, raw = file(runtime)
    with runtime.db.session() as session:
        service.transition(
            session,
            service.get(session, request_id),
            Status.ACKNOWLEDGED,
            actor="user:1",
            now=MONDAY + timedelta(hours=1),
        )
    port = free_port()
    with smtp_server(port, Recorder()) as server:
        report = deliver_due(runtime, sender_for(port), now=MONDAY + timedelta(hours=2))
    assert len(report.sent) == 2
    (first, second) = server.messages
    assert first["To"] == "jordan@example.org"
    assert first["Subject"] == "[R-2026-000001] Your records request was received"
    body = first.get_payload(decode=True)
    assert isinstance(body, bytes)
    assert f"/public/requests/track/{raw}".encode() in body
    assert "acknowledged" in str(second["Subject"])
    with runtime.db.session(read_only=True) as session:
        emails = notify.emails_of(session, request_id)
        assert [m.status for m in emails] == ["sent", "sent"]
        actions = session.scalars(
            select(CustodyEvent.action).where(
                CustodyEvent.object_type == "request",
                CustodyEvent.object_id == str(request_id),
                CustodyEvent.action.like("mail.%"),
            )
        ).all()
    assert list(actions) == ["mail.sent", "mail.sent"]
