"""What the public portal shows, read from the release and records-request domains: only
public fields (incident type and date, the agency that decided, days each step took, the
custody-log index of the released copy's ingest). No names, places or narrative."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sunlight.db.cache import cache_on
from sunlight.errors import NotFound
from sunlight.evidence.models import Recording
from sunlight.portal import lists
from sunlight.runtime import Runtime

PER_PAGE = 20
SECONDS_PER_DAY = 86400
#: The release list's pages are kept while no release is published or withdrawn (the
#: list's version, read on every request) and for at most this long (an edited incident).
LIST_TTL = timedelta(seconds=30)


@dataclass(frozen=True)
class ReleaseRow:
    id: int
    incident_type: str
    incident_date: date
    area: str | None  # a public area (``portal.areas``), or None when none is published
    released_at: datetime


@dataclass(frozen=True)
class ReleasePage:
    rows: list[ReleaseRow]
    page: int
    pages: int
    total: int
    types: list[str]
    #: The area filter's choices: each area with releases, and how many.
    areas: list[tuple[str, int]]


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def release_page(
    runtime: Runtime,
    *,
    incident_type: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    area: str | None = None,
    page: int = 1,
    now: datetime,
) -> ReleasePage:
    """The released list, filtered by incident type, incident date range and area, paged: the
    database counts, filters and cuts the page (``portal.lists``). A page is computed once
    per version of the published list (``lists.published_version``) and kept for
    ``LIST_TTL`` at most: a release published or withdrawn is on the next request's page."""
    filters = lists.ReleaseFilter(incident_type or None, date_from, date_to, area or None)
    cache = cache_on(runtime.db, "portal.release_pages", ttl=LIST_TTL, size=4096)
    with runtime.db.session(read_only=True) as session:
        # the published list's version, and the newest flag (a nonpublic-location flag
        # hides a listed release's area at once, as it does on the release page)
        version = (*lists.published_version(session), lists.flags_version(session))
        # The filter's choices are read first, each on its own: a computation never asks
        # the cache for another key while it holds its own key's lock (keys share locks,
        # so two pages each waiting on the other's choice would deadlock).
        types = cache.get("types", version, now, lambda: lists.release_types(session))
        choices = cache.get("areas", version, now, lambda: lists.release_areas(session))

        def compute() -> ReleasePage:
            unfiltered = filters == lists.ReleaseFilter()
            total = version[0] if unfiltered else lists.count_releases(session, filters)
            pages = max(1, -(-total // PER_PAGE))
            shown = min(max(1, page), pages)
            found = lists.releases(session, filters, offset=(shown - 1) * PER_PAGE, limit=PER_PAGE)
            rows = [ReleaseRow(**row) for row in found]
            return ReleasePage(rows, shown, pages, total, list(types), list(choices))

        found: ReleasePage = cache.get(("page", filters, page), version, now, compute)
        return found


def release_list(
    runtime: Runtime, *, page: int, per_page: int, filters: lists.ReleaseFilter | None = None
) -> tuple[list[dict[str, object]], int]:
    """One page of the published releases, newest first (filtered as the Released footage
    page filters), and how many match in all."""
    filters = filters or lists.ReleaseFilter()
    with runtime.db.session(read_only=True) as session:
        if filters == lists.ReleaseFilter():
            total = lists.published_version(session)[0]
        else:
            total = lists.count_releases(session, filters)
        rows = lists.releases(session, filters, offset=(page - 1) * per_page, limit=per_page)
    return rows, total


def released_media(runtime: Runtime, release_id: int) -> tuple[str, str]:
    """(sha256, filename) of a published release's released copy; 404 for anything else
    (one query: the release public and published, with its case and incident, and its copy)."""
    with runtime.db.session(read_only=True) as session:
        found = session.execute(
            lists.published_copy(release_id, Recording.sha256, Recording.original_filename)
        ).one_or_none()
    if found is None:
        raise NotFound(f"no released copy {release_id}")
    return str(found[0]), str(found[1])
