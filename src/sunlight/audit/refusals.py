"""Refusals that name no resource: counted per (actor, permission, route, minute), and for
a signed-in actor recorded once a minute as an ``access.denied`` custody event.

A refusal tied to a resource is recorded by the route's loader (``web/guard.py``). A
refusal before any resource is loaded (an officer asking for a staff-only list, a token
without the permission, a caller who has not signed in) comes here:

- a signed-in actor (a user or an API token): the minute's first refusal for the same
  permission and route is a custody event; the rest of that minute are counted on the
  tally row, and the actor's next refusal-event for that permission and route carries the
  count of the minute before (``details.earlier``), so the count reaches the sealed log;
- an anonymous caller: counted only, never a custody event (a flood of anonymous requests
  must not be able to fill the custody log).

The tally table holds at most :data:`MAX_TALLIES` rows: when full, the oldest minutes are
dropped (their custody events, if any, stay).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sunlight.audit.models import RefusalTally
from sunlight.evidence.custody import Action, Outcome, record

#: The most tally rows kept; at the cap the oldest minutes are pruned first.
MAX_TALLIES = 10_000
#: How many of the oldest rows one prune removes (so a full table is not pruned per row).
PRUNE_BATCH = 500
MAX_ROUTE = 200
#: custody_events.object_id's length
MAX_OBJECT_ID = 64


@dataclass(frozen=True)
class Refusal:
    """One refusal as counted: its tally row's count, and the custody event if one was
    recorded for it (None: an anonymous caller, or a repeat within the minute)."""

    count: int
    event_id: int | None


def route_key(route: str) -> str:
    """The route as a custody event's ``object_id`` (at most 64 characters): the route
    itself, or for a longer one its start and a digest of the whole (the event's details
    carry the route in full)."""
    if len(route) <= MAX_OBJECT_ID:
        return route
    digest = hashlib.sha256(route.encode()).hexdigest()[:8]
    return f"{route[: MAX_OBJECT_ID - 9]}~{digest}"


def minute_of(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def note_refusal(
    session: Session,
    *,
    actor: str,
    signed_in: bool,
    permission: str,
    route: str,
    explanation: str,
    now: datetime,
    count: int = 1,
) -> Refusal:
    """Count ``count`` refusals (one, but for anonymous ones counted in memory first) in the
    caller's transaction; for a signed-in actor, record the minute's first as a custody
    event."""
    route = route[:MAX_ROUTE]
    minute = minute_of(now)
    key = (
        RefusalTally.actor == actor,
        RefusalTally.permission == permission,
        RefusalTally.route == route,
    )
    tally = session.scalars(select(RefusalTally).where(*key, RefusalTally.minute == minute)).first()
    if tally is not None:
        tally.count += count
        tally.last_at = now
        session.flush()
        return Refusal(tally.count, None)
    _prune(session)
    event_id: int | None = None
    if signed_in:
        earlier = session.scalars(
            select(RefusalTally)
            .where(*key, RefusalTally.minute < minute)
            .order_by(RefusalTally.minute.desc())
            .limit(1)
        ).first()
        details: dict[str, object] = {
            "permission": permission,
            "route": route,
            "explanation": explanation,
            "minute": minute.isoformat(),
        }
        if earlier is not None and earlier.count > 1:
            details["earlier"] = {
                "minute": earlier.minute.isoformat(),
                "count": earlier.count,
                "event_id": earlier.event_id,
            }
        event = record(
            session,
            actor=actor,
            action=Action.ACCESS_DENIED,
            object_type="route",
            object_id=route_key(route),
            outcome=Outcome.DENIED,
            details=details,
            at=now,
        )
        event_id = event.id
    tally = RefusalTally(
        actor=actor[:100],
        permission=permission[:64],
        route=route,
        minute=minute,
        count=count,
        last_at=now,
        event_id=event_id,
    )
    try:
        with session.begin_nested():
            session.add(tally)
    except IntegrityError:
        # another request counted the same minute's first refusal a moment earlier
        session.execute(
            update(RefusalTally)
            .where(*key, RefusalTally.minute == minute)
            .values(count=RefusalTally.count + count, last_at=now)
        )
    return Refusal(1, event_id)


def _prune(session: Session) -> None:
    held = session.scalar(select(func.count()).select_from(RefusalTally)) or 0
    if held < MAX_TALLIES:
        return
    excess = held - MAX_TALLIES + 1
    oldest = (
        select(RefusalTally.id)
        .order_by(RefusalTally.minute, RefusalTally.id)
        .limit(max(excess, PRUNE_BATCH))
    )
    session.execute(delete(RefusalTally).where(RefusalTally.id.in_(oldest.scalar_subquery())))


def tallies(session: Session, *, actor: str | None = None, limit: int = 100) -> list[RefusalTally]:
    """The newest tallies first (optionally one actor's)."""
    query = select(RefusalTally).order_by(RefusalTally.minute.desc(), RefusalTally.id.desc())
    if actor is not None:
        query = query.where(RefusalTally.actor == actor)
    return list(session.scalars(query.limit(limit)))
