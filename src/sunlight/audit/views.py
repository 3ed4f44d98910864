"""Queries behind the audit views. Each reads one index range of ``custody_events``,
newest first, a page at a time (keyset: ``before`` is the id to continue below), so a page
costs the same at the first event as at the ten-millionth:

- a recording's events: ``ix_custody_events_object`` (object_type, object_id) + id order;
- an actor's events: ``ix_custody_events_actor_id`` (actor, id);
- refused attempts: ``ix_custody_events_outcome_id`` (outcome, id).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from sunlight.evidence.custody import Action, Outcome
from sunlight.evidence.models import CustodyEvent

MAX_PAGE = 500
EXPORT_BATCH = 1000

#: Reading or fetching evidence: what "who accessed a recording" lists.
ACCESS_ACTIONS: tuple[str, ...] = (
    str(Action.VIEW),
    str(Action.STREAM),
    str(Action.DOWNLOAD),
    str(Action.SHARE_USE),
)
Kind = Literal["access", "all"]


@dataclass(frozen=True)
class AuditFilter:
    """What to narrow an audit list by (each optional)."""

    actor: str | None = None
    action: str | None = None
    object_type: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    access_only: bool = False

    def where(self) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if self.actor:
            where.append(CustodyEvent.actor == self.actor)
        if self.action:
            where.append(CustodyEvent.action == self.action)
        if self.object_type:
            where.append(CustodyEvent.object_type == self.object_type)
        if self.outcome:
            where.append(CustodyEvent.outcome == self.outcome)
        if self.since is not None:
            where.append(CustodyEvent.occurred_at >= self.since)
        if self.until is not None:
            where.append(CustodyEvent.occurred_at < self.until)
        if self.access_only:
            # views, streams, downloads and share uses, and any refusal
            where.append(
                CustodyEvent.action.in_(ACCESS_ACTIONS)
                | (CustodyEvent.outcome == str(Outcome.DENIED))
            )
        return where


@dataclass(frozen=True)
class AuditRow:
    """One custody event as the audit views show it: ``rule`` is the access-policy rule
    that decided (``details.rule``), ``permission`` what was asked for."""

    id: int
    occurred_at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    outcome: str
    reason: str | None
    rule: str | None
    permission: str | None
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, event: CustodyEvent) -> AuditRow:
        details = dict(event.details or {})
        rule = details.get("rule")
        permission = details.get("permission")
        return cls(
            id=event.id,
            occurred_at=event.occurred_at,
            actor=event.actor,
            action=event.action,
            object_type=event.object_type,
            object_id=event.object_id,
            outcome=event.outcome,
            reason=event.reason,
            rule=str(rule) if rule is not None else None,
            permission=str(permission) if permission is not None else None,
            details=details,
        )


@dataclass(frozen=True)
class AuditPage:
    items: list[AuditRow]
    #: pass as ``before`` for the next (older) page; None when this is the last
    next_before: int | None


def _page(
    session: Session, where: list[ColumnElement[bool]], before: int | None, limit: int
) -> AuditPage:
    limit = max(1, min(limit, MAX_PAGE))
    if before is not None:
        where = [*where, CustodyEvent.id < before]
    rows = list(
        session.scalars(
            select(CustodyEvent).where(*where).order_by(CustodyEvent.id.desc()).limit(limit + 1)
        )
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage([AuditRow.of(e) for e in rows], rows[-1].id if more and rows else None)


def recording_where(recording_id: int, filters: AuditFilter) -> list[ColumnElement[bool]]:
    return [
        CustodyEvent.object_type == "recording",
        CustodyEvent.object_id == str(recording_id),
        *filters.where(),
    ]


def actor_where(actor: str, filters: AuditFilter) -> list[ColumnElement[bool]]:
    return [CustodyEvent.actor == actor, *filters.where()]


def denied_where(filters: AuditFilter) -> list[ColumnElement[bool]]:
    return [CustodyEvent.outcome == str(Outcome.DENIED), *filters.where()]


def recording_access(
    session: Session,
    recording_id: int,
    filters: AuditFilter = AuditFilter(),
    *,
    before: int | None = None,
    limit: int = 100,
) -> AuditPage:
    """Who accessed a recording (views, streams, downloads, share uses, refusals, with
    ``access_only``; otherwise every event), newest first."""
    return _page(session, recording_where(recording_id, filters), before, limit)


def actor_history(
    session: Session,
    actor: str,
    filters: AuditFilter = AuditFilter(),
    *,
    before: int | None = None,
    limit: int = 100,
) -> AuditPage:
    """Everything one principal (``user:12``, ``token:4``, ``share:9``...) did, newest first."""
    return _page(session, actor_where(actor, filters), before, limit)


def denied(
    session: Session,
    filters: AuditFilter = AuditFilter(),
    *,
    before: int | None = None,
    limit: int = 100,
) -> AuditPage:
    """Refused attempts across the archive, newest first."""
    return _page(session, denied_where(filters), before, limit)


def iter_rows(
    open_session: Any, where: list[ColumnElement[bool]], *, batch: int = EXPORT_BATCH
) -> Iterator[AuditRow]:
    """Every matching event, newest first, in keyset batches, each batch in its own short
    read-only session (an export of a million rows holds no transaction open)."""
    before: int | None = None
    while True:
        with open_session() as session:
            page = _page(session, where, before, batch)
        yield from page.items
        if page.next_before is None:
            return
        before = page.next_before
