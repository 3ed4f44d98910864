"""The figures for a range as of ``now``, read in one read-only session, with the stats
policy's small-number rule applied.

Figures are kept (``sunlight.db.cache``) per range, figure and policy while the data they
count has not changed, and for ``TTL`` at most: the version read on every request is the
newest id of each table the figures count rows of (the custody log, requests and their
events and pauses, release transitions and releases, incidents, recordings and devices),
so a new event, request, release or recording is counted on the next request; an edit
that adds no row (a device retired, a pause ended) and the passing of time (an open
request falling overdue) are seen within ``TTL``. A figure says when it was counted
(``as_of``)."""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sunlight.db.cache import cache_on
from sunlight.errors import NotFound
from sunlight.evidence.models import CustodyEvent, Device, Recording
from sunlight.incidents.models import Incident
from sunlight.release.models import Release, ReleaseTransition
from sunlight.requests.models import RecordsRequest, RequestEvent, RequestPause
from sunlight.runtime import Runtime
from sunlight.stats.figures import BY_SLUG, SPECS, Figure, Range, compute_figure
from sunlight.stats.policy import StatsPolicy, load_stats_policy

#: The longest a kept figure is served (see the module's text).
TTL = timedelta(seconds=60)
_VERSIONED: tuple[Any, ...] = (
    CustodyEvent.id,
    RecordsRequest.id,
    RequestEvent.id,
    RequestPause.id,
    ReleaseTransition.id,
    Release.id,
    Incident.id,
    Recording.id,
    Device.id,
)


def spec_slugs() -> list[str]:
    return [spec.slug for spec in SPECS]


def data_version(session: Session) -> tuple[Hashable, ...]:
    """The newest id of each table the figures count (one statement, an index probe each)."""
    probes = [select(func.max(column)).scalar_subquery() for column in _VERSIONED]
    return tuple(session.execute(select(*probes)).one())


def figures(
    runtime: Runtime,
    rng: Range,
    now: datetime,
    *,
    slugs: list[str] | None = None,
    policy: StatsPolicy | None = None,
) -> list[Figure]:
    """Every figure (or those named), in the catalogue's order."""
    policy = policy or load_stats_policy().policy
    chosen = [BY_SLUG[s] for s in slugs] if slugs is not None else list(SPECS)
    cache = cache_on(runtime.db, "stats.figures", ttl=TTL, size=256)
    with runtime.db.session(read_only=True) as session:
        version = data_version(session)
        key_policy = policy.model_dump_json()
        return [
            cache.get(
                (spec.slug, rng, key_policy),
                version,
                now,
                lambda spec=spec: compute_figure(session, spec, rng, now, policy),  # type: ignore[misc]
            )
            for spec in chosen
        ]


def figure(
    runtime: Runtime, slug: str, rng: Range, now: datetime, *, policy: StatsPolicy | None = None
) -> Figure:
    if slug not in BY_SLUG:
        raise NotFound(f"no statistics figure {slug!r} (one of: {', '.join(spec_slugs())})")
    return figures(runtime, rng, now, slugs=[slug], policy=policy)[0]
