"""The serve schedule sweeps records-request clocks: custodians are reminded once per clock,
state and due date (due soon, due today, overdue), on the timeline and by email; a paused
clock and a closed request remind nobody; sweeping twice sends nothing twice."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from sunlight.access.models import User
from sunlight.notify.models import OutboxMessage
from sunlight.requests import reminders, service
from sunlight.requests.models import RequestEvent
from sunlight.requests.states import Status
from sunlight.runtime import Runtime
from tests.requests.support import MONDAY, file
from tests.support.auth import make_session

DAY = timedelta(days=1)


def _move(runtime: Runtime, request_id: int, target: Status, now: datetime, **kw: str) -> None:
    with runtime.db.session() as session:
        service.transition(
            session, service.get(session, request_id), target, actor="user:1", now=now, **kw
        )  # type: ignore[arg-type]


def _custodian_with_email(runtime: Runtime, email: str) -> None:
    signed = make_session(runtime, roles=("records-custodian",))
    with runtime.db.session() as session:
        user = session.get(User, signed.user_id)
        assert user is not None
        user.email = email


def _reminders(runtime: Runtime, request_id: int) -> list[dict[str, str]]:
    with runtime.db.session(read_only=True) as session:
        return [
            dict(d)
            for d in session.scalars(
                select(RequestEvent.details)
                .where(RequestEvent.request_id == request_id, RequestEvent.kind == "reminder")
                .order_by(RequestEvent.id)
            )
        ]


def _mail_to(runtime: Runtime, address: str) -> list[str]:
    with runtime.db.session(read_only=True) as session:
        return list(
            session.scalars(
                select(OutboxMessage.subject)
                .where(OutboxMessage.to_addr == address)
                .order_by(OutboxMessage.id)
            )
        )


def test_custodians_are_reminded_once_per_clock_state(runtime: Runtime) -> None:
    _custodian_with_email(runtime, "records@kcpd.example")
    # Received Monday 7 Dec 2026: due by the end of Thursday 10 Dec (three business days).
    request_id, _ = file(runtime)
    assert reminders.sweep(runtime.db, MONDAY + DAY).reminded == []  # Tuesday: on time
    wednesday = reminders.sweep(runtime.db, MONDAY + 2 * DAY)
    assert [(k, s) for _, k, s in wednesday.reminded] == [("response", "due-soon")]
    assert reminders.sweep(runtime.db, MONDAY + 2 * DAY + timedelta(hours=1)).reminded == []
    assert [s for _, _, s in reminders.sweep(runtime.db, MONDAY + 3 * DAY).reminded] == [
        "due-today"
    ]
    assert [s for _, _, s in reminders.sweep(runtime.db, MONDAY + 4 * DAY).reminded] == ["overdue"]
    assert reminders.sweep(runtime.db, MONDAY + 4 * DAY).reminded == []
    assert _reminders(runtime, request_id) == [
        {"clock": "response", "state": "due-soon", "due": "2026-12-10"},
        {"clock": "response", "state": "due-today", "due": "2026-12-10"},
        {"clock": "response", "state": "overdue", "due": "2026-12-10"},
    ]
    subjects = _mail_to(runtime, "records@kcpd.example")
    assert len(subjects) == 3
    assert "is OVERDUE (2026-12-10)" in subjects[-1]
    # Reminders are staff-only: the requester's timeline text is empty for them.
    with runtime.db.session(read_only=True) as session:
        public = session.scalars(
            select(RequestEvent.public_text).where(
                RequestEvent.request_id == request_id, RequestEvent.kind == "reminder"
            )
        ).all()
    assert public == [None, None, None]


def test_paused_and_closed_requests_remind_nobody(runtime: Runtime) -> None:
    _custodian_with_email(runtime, "records@kcpd.example")
    paused, _ = file(runtime)
    closed, _ = file(runtime)
    _move(runtime, paused, Status.CLARIFICATION_REQUESTED, MONDAY, message="Which date?")
    _move(runtime, closed, Status.WITHDRAWN, MONDAY)
    assert reminders.sweep(runtime.db, MONDAY + 10 * DAY).reminded == []
    assert _reminders(runtime, paused) == [] and _reminders(runtime, closed) == []


def test_no_custodian_address_still_records_the_reminder(runtime: Runtime) -> None:
    request_id, _ = file(runtime)
    report = reminders.sweep(runtime.db, MONDAY + 4 * DAY)
    assert report.recipients == []
    assert [s for _, _, s in report.reminded] == ["overdue"]
    assert len(_reminders(runtime, request_id)) == 1
