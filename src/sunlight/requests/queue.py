"""Lists of requests: the staff queue (earliest due first), delaying many requests at
once, and the public request log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session, load_only, selectinload

from sunlight.errors import InvalidChange, InvalidInput, NotFound
from sunlight.requests.calendar import Calendar, default_calendar
from sunlight.requests.clocks import RequestClock, clock_of, due_key
from sunlight.requests.common import MAX_LIST
from sunlight.requests.models import (
    RecordsRequest,
    RequestEvent,
)
from sunlight.requests.states import (
    OPEN,
    Status,
    check,
)
from sunlight.requests.transitions import transition


def bulk_extend(
    session: Session,
    request_ids: Sequence[int],
    *,
    explanation: str,
    available_at: datetime,
    actor: str,
    now: datetime,
) -> list[RequestEvent]:
    """Delay many requests with one explanation and earliest date: one event each, all or
    none (a request that cannot be delayed refuses the whole batch, naming it)."""
    ids = list(dict.fromkeys(request_ids))
    if not ids:
        raise InvalidInput("name at least one request")
    if len(ids) > MAX_LIST:
        raise InvalidInput(f"at most {MAX_LIST} requests at once")
    found = {
        r.id: r for r in session.scalars(select(RecordsRequest).where(RecordsRequest.id.in_(ids)))
    }
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(f"no records request {missing[0]}")
    for request_id in ids:  # every one checked before any changes: all or none
        request = found[request_id]
        try:
            check(Status(request.status), Status.DELAYED)
        except InvalidChange as error:
            raise type(error)(
                f"{request.tracking_number}: {error.message}", diagnostics=error.diagnostics
            ) from None
    events: list[RequestEvent] = []
    for request_id in ids:
        request = found[request_id]
        try:
            events.append(
                transition(
                    session,
                    request,
                    Status.DELAYED,
                    actor=actor,
                    now=now,
                    message=explanation,
                    available_at=available_at,
                    staff_note=f"bulk extension of {len(ids)} requests",
                )
            )
        except InvalidChange as error:
            raise type(error)(
                f"{request.tracking_number}: {error.message}", diagnostics=error.diagnostics
            ) from None
    return events


def queue(
    session: Session,
    *,
    now: datetime,
    include_closed: bool = False,
    calendar: Calendar | None = None,
    limit: int = MAX_LIST,
) -> list[tuple[RecordsRequest, RequestClock]]:
    """The staff queue: requests with their first clock, earliest due first (overdue
    first of all). Closed requests with a pending grounds clock stay in the queue."""
    calendar = calendar or default_calendar()
    where: list[ColumnElement[bool]] = []
    if not include_closed:
        where.append(
            or_(
                RecordsRequest.status.in_([str(s) for s in OPEN]),
                and_(
                    RecordsRequest.grounds_requested_at.is_not(None),
                    RecordsRequest.grounds_given_at.is_(None),
                ),
            )
        )
    found = session.scalars(
        select(RecordsRequest).where(*where).order_by(RecordsRequest.id.desc()).limit(limit)
    )
    rows = [(r, clock_of(r, now=now, calendar=calendar)) for r in found]
    return sorted(rows, key=lambda row: (row[1].state == "closed", due_key(row[1]), row[0].id))


#: What a line of the public log reads of a request (`views.log_entry`): only these are
#: loaded, and reading any other column of a loaded request raises instead of querying.
_LOG_COLUMNS = (
    RecordsRequest.id,
    RecordsRequest.tracking_number,
    RecordsRequest.received_date,
    RecordsRequest.requester_type,
    RecordsRequest.status,
    RecordsRequest.clock_from,
    RecordsRequest.available_at,
    RecordsRequest.grounds_requested_at,
    RecordsRequest.grounds_given_at,
)


def public_log(
    session: Session, *, limit: int = 100, before_id: int | None = None
) -> list[RecordsRequest]:
    where: list[ColumnElement[bool]] = []
    if before_id is not None:
        where.append(RecordsRequest.id < before_id)
    return list(
        session.scalars(
            select(RecordsRequest)
            .where(*where)
            .order_by(RecordsRequest.id.desc())
            .limit(max(1, min(limit, MAX_LIST)))
            # the log's due dates read each request's pauses: one query for the page, not N
            .options(selectinload(RecordsRequest.pauses), load_only(*_LOG_COLUMNS, raiseload=True))
        )
    )
