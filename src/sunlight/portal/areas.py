"""A release's public area, as one SQL expression: the release page, the released list's
rows, its ``area`` filter and that filter's choices and counts, the JSON list and the
open-data download all read these expressions, so they cannot disagree.

The rule: the area is the incident's unit when (trimmed) it names a patrol division
(``"... Patrol Division"``: a large, public area, never an address), unless the footage was
ever flagged as made in a nonpublic location (a recording flag of one of the release
policy's nonpublic-location kinds, on the original or the released copy, cleared or not) or
a live records-request item marks the incident or either recording as a nonpublic location.
Footage from a nonpublic location has no area and never appears under any area.

The expressions are correlated with ``Release`` and ``Incident``: use them in a query that
joins both (``portal.lists``)."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from sqlalchemy import String, and_, case, exists, func, literal, null, or_, type_coerce
from sqlalchemy.sql.elements import ColumnElement

from sunlight.evidence.models import RecordingFlag
from sunlight.incidents.models import Incident
from sunlight.release.models import Release
from sunlight.release.policy import load_release_policy
from sunlight.requests.models import RequestItem


def N_(s: str) -> str:
    """Mark a message id for translation; it is translated where a template shows it."""
    return s


#: Incident.unit values ending so name a patrol division: a large, public area.
AREA_SUFFIX = " Patrol Division"
#: Why no area is shown (message ids, translated where shown).
AREA_NOT_PUBLISHED = N_("Area not published")
AREA_NONPUBLIC = N_("Not published: recorded in a nonpublic location")
#: The ``area_note()`` codes and the message each reads as.
NOTE_TEXT = {"nonpublic": AREA_NONPUBLIC, "not-published": AREA_NOT_PUBLISHED}


def nonpublic_kinds() -> list[str]:
    """The recording-flag kinds that mark a nonpublic location (the release policy's)."""
    return list(load_release_policy().policy.nonpublic_locations.flag_kinds)


def nonpublic(kinds: Sequence[str] | None = None) -> ColumnElement[bool]:
    """True when the release's footage was made in a nonpublic location (see the module)."""
    kinds = list(kinds) if kinds is not None else nonpublic_kinds()
    recordings = (Release.original_recording_id, Release.derived_recording_id)
    flagged = exists().where(
        or_(*(RecordingFlag.recording_id == r for r in recordings)),
        RecordingFlag.kind.in_(kinds),
    )
    linked = exists().where(
        RequestItem.nonpublic_location.is_(True),
        RequestItem.removed_at.is_(None),
        or_(
            RequestItem.incident_id == Incident.id,
            *(RequestItem.recording_id == r for r in recordings),
        ),
    )
    return or_(flagged, linked)


def _division() -> ColumnElement[bool]:
    unit = func.trim(func.coalesce(Incident.unit, ""))
    tail = func.substr(unit, func.length(unit) - len(AREA_SUFFIX) + 1)
    return and_(func.length(unit) > len(AREA_SUFFIX), tail == AREA_SUFFIX)


def area(kinds: Sequence[str] | None = None) -> ColumnElement[str | None]:
    """The release's public area (a patrol division), or NULL when none is published."""
    return _area(_kinds(kinds))


def area_note(kinds: Sequence[str] | None = None) -> ColumnElement[str | None]:
    """Why no area is published (a ``NOTE_TEXT`` key), or NULL when one is."""
    return _area_note(_kinds(kinds))


def _kinds(kinds: Sequence[str] | None) -> tuple[str, ...]:
    return tuple(kinds) if kinds is not None else tuple(nonpublic_kinds())


# Built once per set of kinds: an expression is immutable and may sit in any number of
# statements, and building one took a large share of a list or release page's time.
@functools.lru_cache(maxsize=16)
def _area(kinds: tuple[str, ...]) -> ColumnElement[str | None]:
    found = case((nonpublic(kinds), null()), (_division(), func.trim(Incident.unit)), else_=null())
    return type_coerce(found, String)


@functools.lru_cache(maxsize=16)
def _area_note(kinds: tuple[str, ...]) -> ColumnElement[str | None]:
    found = case(
        (nonpublic(kinds), literal("nonpublic")),
        (_division(), null()),
        else_=literal("not-published"),
    )
    return type_coerce(found, String)
