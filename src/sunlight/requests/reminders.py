"""Staff reminders for records-request clocks, swept by the serve schedule.

A request's clocks are computed when read (``clocks.clocks_of``), never stored as flags; this
sweep reads them for every open request and, when a clock is due soon, due today or overdue,
reminds the records custodians once for that clock, state and due date: a ``reminder`` event
on the request's timeline (staff text only: the requester's page does not show it) and an
email to each custodian with an address, through the durable outbox. The timeline is the
record of what was sent, so a restart or a second process sweeping at the same time cannot
send the same reminder twice (the check and the event are in one write transaction).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload

from sunlight.access.models import Agency, User, UserRole
from sunlight.access.policy import load_access_policy
from sunlight.db.engine import Database
from sunlight.notify.outbox import enqueue
from sunlight.requests.calendar import Calendar, default_calendar
from sunlight.requests.clocks import RequestClock, clocks_of
from sunlight.requests.common import add_event
from sunlight.requests.models import RecordsRequest, RequestEvent
from sunlight.requests.states import OPEN

#: The principal the sweep acts as (recorded on the timeline).
SWEEP_ACTOR = "system:requests"
#: Clock states that call for a reminder.
REMIND_STATES = ("due-soon", "due-today", "overdue")
#: The role whose members are reminded.
REMINDED_ROLE = "records-custodian"
#: Requests looked at per transaction (the sweep works in batches).
BATCH = 200

_WHEN = {
    "due-soon": "is due soon",
    "due-today": "is due today",
    "overdue": "is OVERDUE",
}


@dataclass
class ReminderReport:
    #: (tracking number, clock kind, state) for each reminder recorded in this sweep
    reminded: list[tuple[str, str, str]] = field(default_factory=list)
    #: addresses emailed per reminder (empty: no custodian has an address)
    recipients: list[str] = field(default_factory=list)


def custodian_addresses(session: Session) -> list[str]:
    """Email addresses of the records custodians whose accounts are enabled, in an agency
    whose kind may hold the role under the access policy (a custodian role given to an
    outside agency's account, by a hand-edited row, is never sent requesters' clocks)."""
    policy = load_access_policy().policy
    role = policy.roles.get(REMINDED_ROLE)
    kinds = list(role.agency_kinds) if role is not None else []
    rows = session.scalars(
        select(User.email)
        .join(UserRole, UserRole.user_id == User.id)
        .join(Agency, Agency.id == User.agency_id)
        .where(
            UserRole.role == REMINDED_ROLE,
            Agency.kind.in_(kinds),
            User.disabled_at.is_(None),
            User.email.is_not(None),
        )
        .distinct()
        .order_by(User.email)
    )
    return [email for email in rows if email]


def _key(found: RequestClock) -> dict[str, str]:
    due = found.due.isoformat() if found.due is not None else ""
    return {"clock": found.kind, "state": found.state, "due": due}


def _already(session: Session, request_ids: list[int]) -> dict[int, list[dict[str, str]]]:
    """The reminders already recorded for each of these requests (one query per batch)."""
    sent: dict[int, list[dict[str, str]]] = {}
    rows = session.execute(
        select(RequestEvent.request_id, RequestEvent.details).where(
            RequestEvent.request_id.in_(request_ids), RequestEvent.kind == "reminder"
        )
    )
    for request_id, details in rows:
        sent.setdefault(request_id, []).append({k: str(v) for k, v in (details or {}).items()})
    return sent


def _remind(
    session: Session,
    request: RecordsRequest,
    found: RequestClock,
    *,
    to: list[str],
    now: datetime,
) -> None:
    when = _WHEN[found.state]
    due = found.due.isoformat() if found.due is not None else "(paused)"
    text = f"The {found.kind} clock {when}: due {due}. {found.note}"
    add_event(
        session,
        request,
        kind="reminder",
        actor=SWEEP_ACTOR,
        now=now,
        staff_text=text,
        details=_key(found),
    )
    for address in to:
        enqueue(
            session,
            to=address,
            subject=f"[{request.tracking_number}] {found.kind} clock {when} ({due})",
            body=f"Records request {request.tracking_number}: {text}\n",
            topic=f"request:{request.id}",
            now=now,
        )


def sweep(db: Database, now: datetime, *, calendar: Calendar | None = None) -> ReminderReport:
    """Remind custodians of every open request's clock that is due soon, today or overdue,
    once per clock, state and due date. Idempotent."""
    calendar = calendar or default_calendar()
    report = ReminderReport()
    waiting = or_(
        RecordsRequest.status.in_([str(s) for s in OPEN]),
        and_(
            RecordsRequest.grounds_requested_at.is_not(None),
            RecordsRequest.grounds_given_at.is_(None),
        ),
    )
    after = 0
    while True:
        with db.session() as session:
            batch = list(
                session.scalars(
                    select(RecordsRequest)
                    .where(waiting, RecordsRequest.id > after)
                    .order_by(RecordsRequest.id)
                    .limit(BATCH)
                    # the pauses the clocks need, in one query per batch (not one per request)
                    .options(selectinload(RecordsRequest.pauses))
                    # another process sweeping now skips these rows (PostgreSQL); on
                    # SQLite the write transaction already holds the writer lock
                    .with_for_update(skip_locked=True)
                )
            )
            if not batch:
                return report
            to = custodian_addresses(session)
            report.recipients = to
            already: dict[int, list[dict[str, str]]] | None = None
            for request in batch:
                after = request.id
                clocks = clocks_of(request, now=now, calendar=calendar)
                due = [c for c in clocks if c.state in REMIND_STATES]
                if not due:
                    continue
                if already is None:  # read once per batch, and only when a clock is due
                    already = _already(session, [r.id for r in batch])
                sent = already.get(request.id, [])
                for found in due:
                    if _key(found) in sent:
                        continue
                    _remind(session, request, found, to=to, now=now)
                    report.reminded.append((request.tracking_number, found.kind, found.state))
