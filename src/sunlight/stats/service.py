"""The figures for a range as of ``now``, read in one read-only session, with the stats
policy's small-number rule applied."""

from __future__ import annotations

from datetime import datetime

from sunlight.errors import NotFound
from sunlight.runtime import Runtime
from sunlight.stats.figures import BY_SLUG, SPECS, Figure, Range, compute_figure
from sunlight.stats.policy import StatsPolicy, load_stats_policy


def spec_slugs() -> list[str]:
    return [spec.slug for spec in SPECS]


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
    with runtime.db.session(read_only=True) as session:
        return [compute_figure(session, spec, rng, now, policy) for spec in chosen]


def figure(
    runtime: Runtime, slug: str, rng: Range, now: datetime, *, policy: StatsPolicy | None = None
) -> Figure:
    if slug not in BY_SLUG:
        raise NotFound(f"no statistics figure {slug!r} (one of: {', '.join(spec_slugs())})")
    return figures(runtime, rng, now, slugs=[slug], policy=policy)[0]
