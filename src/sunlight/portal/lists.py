"""The portal's long public lists as SQL queries: released footage filtered by incident type
and incident date and paged in the database (COUNT, then LIMIT/OFFSET), and the public
request log keyed by id. Both also stream every row in batches for the open-data downloads,
each batch in its own short session, so a 100,000-row download never holds every row (or a
database connection) at once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from sunlight.evidence.models import Recording, RecordingFlag
from sunlight.incidents.models import Incident
from sunlight.portal import areas
from sunlight.release.models import Release, ReleaseCase
from sunlight.requests import service as requests_service
from sunlight.requests.models import RequestItem
from sunlight.requests.schemas import PublicLogEntry
from sunlight.requests.views import log_entry
from sunlight.runtime import Runtime

#: Rows fetched per query when a whole list is streamed.
BATCH = 1000


@dataclass(frozen=True)
class ReleaseFilter:
    incident_type: str | None = None
    date_from: date | None = None  # incident date (UTC), inclusive
    date_to: date | None = None  # incident date (UTC), inclusive
    area: str | None = None  # a public area (``portal.areas``), exactly

    @property
    def on_incident(self) -> bool:
        """Whether ``where()`` reads the incident (a query must then join it)."""
        return bool(self.incident_type or self.date_from or self.date_to or self.area)

    def where(self) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = [
            Release.public.is_(True),
            Release.released_at.is_not(None),
        ]
        if self.incident_type:
            where.append(Incident.type == self.incident_type)
        if self.date_from is not None:
            where.append(Incident.started_at >= _midnight(self.date_from))
        if self.date_to is not None and self.date_to < date.max:  # date.max: no bound
            where.append(Incident.started_at < _midnight(self.date_to + timedelta(days=1)))
        if self.area:
            where.append(areas.area() == self.area)
        return where


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _day(value: datetime) -> date:
    return value.astimezone(UTC).date() if value.tzinfo else value.date()


def _joined(*columns: Any) -> Select[Any]:
    return (
        select(*columns)
        .select_from(Release)
        .join(ReleaseCase, ReleaseCase.id == Release.case_id)
        .join(Incident, Incident.id == ReleaseCase.incident_id)
    )


def _release_row(r: Any) -> dict[str, Any]:
    released_at: datetime = r.released_at
    return {
        "id": r.id,
        "incident_type": r.type,
        "incident_date": _day(r.started_at),
        "area": r.area,
        "released_at": released_at.astimezone(UTC),
    }


def _release_columns() -> tuple[Any, ...]:
    return (
        Release.id,
        Release.released_at,
        Incident.type,
        Incident.started_at,
        areas.area().label("area"),
    )


_NEWEST_FIRST = (Release.released_at.desc(), Release.id.desc())


#: (count, sum of ids, newest release time) of the published releases.
ReleaseVersion = tuple[int, int, datetime | None]


def published_version(session: Session) -> ReleaseVersion:
    """What changes whenever a release is published or withdrawn: the count, the sum of
    the ids and the newest release time of the public, published releases (read from the
    ``ix_releases_published`` index alone). Its count is the unfiltered list's length."""
    count, total, newest = session.execute(
        select(
            func.count(Release.id),
            func.coalesce(func.sum(Release.id), 0),
            func.max(Release.released_at),
        ).where(*ReleaseFilter().where())
    ).one()
    return int(count), int(total), newest


def flags_version(session: Session) -> tuple[int, int, int]:
    """What hides a listed release's area, as a version: the newest recording flag's id
    (a nonpublic-location flag on a released recording) and the count and id sum of the
    live request items marking footage as made in a nonpublic location (an item marked so,
    or no longer, or removed; the partial index ``ix_request_items_nonpublic``). The cached
    list pages, whose rows and area choices show areas, must not outlive either."""
    flag = int(session.scalar(select(func.max(RecordingFlag.id))) or 0)
    count, total = session.execute(
        select(func.count(RequestItem.id), func.coalesce(func.sum(RequestItem.id), 0)).where(
            RequestItem.nonpublic_location.is_(True), RequestItem.removed_at.is_(None)
        )
    ).one()
    return flag, int(count), int(total)


def published_copy(release_id: int, *columns: Any) -> Select[Any]:
    """``columns`` of a public, published release's released copy (``Recording``)."""
    return (
        _joined(*columns)
        .join(Recording, Recording.id == Release.derived_recording_id)
        .where(Release.id == release_id, *ReleaseFilter().where())
    )


def count_releases(session: Session, filters: ReleaseFilter) -> int:
    return session.scalar(_joined(func.count(Release.id)).where(*filters.where())) or 0


def release_types(session: Session) -> list[str]:
    """The incident types that have at least one published release (the filter's choices)."""
    found = session.scalars(_joined(Incident.type).where(*ReleaseFilter().where()).distinct())
    return sorted(found)


def release_areas(session: Session) -> list[tuple[str, int]]:
    """The public areas that have at least one published release, each with how many (the
    area filter's choices): the same expression the filter and the rows use."""
    area = areas.area().label("area")
    rows = session.execute(
        _joined(area, func.count(Release.id))
        .where(*ReleaseFilter().where(), area.is_not(None))
        .group_by(area)
        .order_by(area)
    ).all()
    return [(r[0], r[1]) for r in rows]


def releases(
    session: Session, filters: ReleaseFilter, *, offset: int, limit: int
) -> list[dict[str, Any]]:
    """One page of published releases, newest release first. The page's ids are chosen
    first and only their areas worked out: with the area in the paged query, the database
    worked it out for every row it skipped (a deep page of 10,000 releases: 17 ms)."""
    # unfiltered, the page is read from the releases' own index (the case and incident are
    # foreign keys that every release has); a filter on the incident needs the join
    page = (
        (_joined(Release.id) if filters.on_incident else select(Release.id))
        .where(*filters.where())
        .order_by(*_NEWEST_FIRST)
        .offset(max(0, offset))
        .limit(max(1, limit))
        .subquery()
    )
    rows = session.execute(
        _joined(*_release_columns()).join(page, page.c.id == Release.id).order_by(*_NEWEST_FIRST)
    ).all()
    return [_release_row(r) for r in rows]


def iter_releases(
    runtime: Runtime, filters: ReleaseFilter | None = None, *, batch: int = BATCH
) -> Iterator[dict[str, Any]]:
    """Every published release, newest first, fetched ``batch`` at a time (keyset paging on
    (released_at, id), so a late batch costs what an early one does)."""
    where = (filters or ReleaseFilter()).where()
    after: tuple[datetime, int] | None = None
    while True:
        query = _joined(*_release_columns()).where(*where)
        if after is not None:
            at, last_id = after
            query = query.where(
                or_(
                    Release.released_at < at,
                    and_(Release.released_at == at, Release.id < last_id),
                )
            )
        with runtime.db.session(read_only=True) as session:
            rows = session.execute(query.order_by(*_NEWEST_FIRST).limit(batch)).all()
        for r in rows:
            yield _release_row(r)
        if len(rows) < batch:
            return
        after = (rows[-1].released_at, rows[-1].id)


def request_log(
    runtime: Runtime, now: datetime, *, limit: int, before_id: int | None = None
) -> list[tuple[int, PublicLogEntry]]:
    """Up to ``limit`` lines of the public request log older than ``before_id``, newest first,
    each with its request id (the key of the next page)."""
    with runtime.db.session(read_only=True) as session:
        found = requests_service.public_log(session, limit=limit, before_id=before_id)
        return [(r.id, log_entry(r, now)) for r in found]


def iter_request_log(
    runtime: Runtime, now: datetime, *, batch: int = BATCH
) -> Iterator[PublicLogEntry]:
    """Every line of the public request log, newest first, ``batch`` requests per query."""
    before: int | None = None
    batch = min(batch, requests_service.MAX_LIST)
    while True:
        page = request_log(runtime, now, limit=batch, before_id=before)
        for _, entry in page:
            yield entry
        if len(page) < batch:
            return
        before = page[-1][0]
