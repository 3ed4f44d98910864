"""The figures for a range as of ``now``, read in one read-only session, with the stats
policy's small-number rule applied.

Figures are kept (``sunlight.db.cache``) per range, figure and policy for ``TTL``: counting
them costs seconds on a large archive (the open requests' clocks, the compliance report
month by month), and the custody log they partly count grows with every access, so keying
them by every table's newest row would keep nothing on a busy day. Releases are the
exception (``data_version``: the release transitions' newest id, and the count and id sum
of the public, published releases): a release published, withdrawn or moved on is counted
on the next request. Anything else (a new request, an access, a camera retired, an open
request falling overdue) is counted within ``TTL``; each figure says when it was counted
(``as_of``).

A figure older than ``TTL`` by less than ``STALE_FOR`` (its data version unchanged) is still
served, at once, while a background thread counts it again in a session of its own: the
visitor who happens to come after the ``TTL`` does not wait seconds for the count (4.7 s on
the benchmark's archive). Counted at start-up and then whenever visited, the figures a
visitor sees are therefore at most ``TTL + STALE_FOR`` old while anyone visits."""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sunlight.db.cache import cache_on
from sunlight.errors import NotFound
from sunlight.portal.lists import published_version
from sunlight.release.models import ReleaseTransition
from sunlight.runtime import Runtime
from sunlight.stats.figures import BY_SLUG, SPECS, Figure, Range, Spec, compute_figure
from sunlight.stats.policy import StatsPolicy, load_stats_policy

#: The longest a kept figure is served (see the module's text).
TTL = timedelta(seconds=60)
#: How much older than ``TTL`` a figure may be and still be served while it is counted again.
STALE_FOR = timedelta(minutes=15)


def spec_slugs() -> list[str]:
    return [spec.slug for spec in SPECS]


def data_version(session: Session) -> tuple[Hashable, ...]:
    """What changes when a release case moves or a release is published or withdrawn."""
    moved = session.scalar(select(func.max(ReleaseTransition.id)))
    return (moved, *published_version(session))


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
    cache = cache_on(runtime.db, "stats.figures", ttl=TTL, size=256, stale_for=STALE_FOR)
    key_policy = policy.model_dump_json()

    def recount(spec: Spec) -> Figure:
        # in the background: a session of its own (the visitor's has closed by then)
        with runtime.db.session(read_only=True) as own:
            return compute_figure(own, spec, rng, now, policy)

    with runtime.db.session(read_only=True) as session:
        version = data_version(session)
        return [
            cache.get(
                (spec.slug, rng, key_policy),
                version,
                now,
                lambda spec=spec: compute_figure(session, spec, rng, now, policy),  # type: ignore[misc]
                refresh=lambda spec=spec: recount(spec),  # type: ignore[misc]
            )
            for spec in chosen
        ]


def figure(
    runtime: Runtime, slug: str, rng: Range, now: datetime, *, policy: StatsPolicy | None = None
) -> Figure:
    if slug not in BY_SLUG:
        raise NotFound(f"no statistics figure {slug!r} (one of: {', '.join(spec_slugs())})")
    return figures(runtime, rng, now, slugs=[slug], policy=policy)[0]
