"""What the public portal shows, read from the release and records-request domains: only
public fields (incident type and date, the agency that decided, days each step took, the
custody-log index of the released copy's ingest). No names, places or narrative."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sunlight.errors import NotFound
from sunlight.evidence.models import Recording
from sunlight.portal import lists, release_detail
from sunlight.portal.release_detail import PublicRelease
from sunlight.release import proof as proofs
from sunlight.runtime import Runtime

PER_PAGE = 20
SECONDS_PER_DAY = 86400


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
) -> ReleasePage:
    """The released list, filtered by incident type, incident date range and area, paged: the
    database counts, filters and cuts the page (``portal.lists``)."""
    filters = lists.ReleaseFilter(incident_type or None, date_from, date_to, area or None)
    with runtime.db.session(read_only=True) as session:
        total = lists.count_releases(session, filters)
        pages = max(1, -(-total // PER_PAGE))
        page = min(max(1, page), pages)
        found = lists.releases(session, filters, offset=(page - 1) * PER_PAGE, limit=PER_PAGE)
        types = lists.release_types(session)
        choices = lists.release_areas(session)
    rows = [ReleaseRow(**row) for row in found]
    return ReleasePage(rows, page, pages, total, types, choices)


def released_media(runtime: Runtime, release_id: int) -> tuple[str, str]:
    """(sha256, filename) of a published release's released copy; 404 for anything else."""
    release, _ = proofs.published(runtime, release_id)
    with runtime.db.session(read_only=True) as session:
        recording = session.get(Recording, release.derived_recording_id)
        if recording is None:
            raise NotFound(f"no released copy {release_id}")
        return recording.sha256, recording.original_filename


def public_release(runtime: Runtime, release_id: int, media_type: str) -> PublicRelease:
    """The release page's facts (context, timeline, manifest, badge); 404 unless published."""
    return release_detail.public_release(runtime, release_id, media_type)
