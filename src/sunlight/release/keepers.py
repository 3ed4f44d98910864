"""Release keeps what it released (and what it prepared for release): the retention
keeper ``release``. Released copies, their originals, and candidates of an open case are
never deleted by the schedule; the dry run says "released under release case N"."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, String, cast, exists, literal, select, union_all

from sunlight.release.models import Release, ReleaseCandidate
from sunlight.retention.keepers import register_keeper

KEEPER = "release"


def _why(prefix: str, case_id: Any) -> Any:
    return (literal(prefix) + cast(case_id, String)).label("why")


def kept_by_release() -> Select[Any]:
    # a candidate once released is kept as released (one reason, the stronger one)
    unreleased = ~exists().where(Release.candidate_id == ReleaseCandidate.id)
    return select(
        union_all(
            select(
                Release.derived_recording_id.label("recording_id"),
                _why("released under release case ", Release.case_id),
            ),
            select(
                Release.original_recording_id.label("recording_id"),
                _why("original of a copy released under release case ", Release.case_id),
            ),
            select(
                ReleaseCandidate.derived_recording_id.label("recording_id"),
                _why("prepared for release under release case ", ReleaseCandidate.case_id),
            ).where(unreleased),
            select(
                ReleaseCandidate.original_recording_id.label("recording_id"),
                _why(
                    "original of a copy prepared for release under release case ",
                    ReleaseCandidate.case_id,
                ),
            ).where(unreleased),
        ).subquery()
    )


register_keeper(KEEPER, kept_by_release)
