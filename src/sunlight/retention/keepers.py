"""Keepers: domains that keep footage regardless of the schedule register here.

Nothing released or requested is deleted. A domain that knows why some recordings must be
kept (release keeps released copies and their originals; records requests keep the footage
an open request names) registers a *keeper*: a name and a function returning a SQL
``Select`` of ``(recording_id, why)`` rows. Retention asks every keeper about each batch it
evaluates; a recording a keeper names is kept indefinitely under the retention category
that lists the keeper (``keepers:`` in the retention policy), and the dry run says why.
Retention imports no domain: the domains register when ``sunlight.models`` imports them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

KeeperQuery = Callable[[], Select[Any]]

_keepers: dict[str, KeeperQuery] = {}


def register_keeper(name: str, fn: KeeperQuery) -> None:
    """Register (or replace, on re-import) the keeper ``name``. ``fn()`` returns a Select
    whose two columns are a recording id and the reason it is kept."""
    _keepers[name] = fn


def registered() -> tuple[str, ...]:
    return tuple(sorted(_keepers))


def kept_among(session: Session, recording_ids: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
    """For the given recordings, every (keeper, why) that keeps each one."""
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    ids = sorted(set(recording_ids))
    if not ids:
        return found
    for name in sorted(_keepers):
        sub = _keepers[name]().subquery()
        rid, why = list(sub.c)[:2]
        for row in session.execute(
            select(rid, why).where(rid.in_(ids)).distinct().order_by(rid, why)
        ):
            found[int(row[0])].append((name, str(row[1])))
    return found
