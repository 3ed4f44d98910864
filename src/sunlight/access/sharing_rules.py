"""The access policy's conditions about shares (registered at start-up)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, select

from sunlight.access.conditions import register, resource_table
from sunlight.access.models import Share
from sunlight.access.principal import Principal
from sunlight.db.base import utcnow


def _active() -> ColumnElement[bool]:
    return and_(Share.revoked_at.is_(None), Share.expires_at > utcnow())


def shared_with_agency(principal: Principal) -> ColumnElement[bool]:
    if principal.agency_id is None:
        return false()
    ids = resource_table("recording").id_column
    return ids.in_(  # type: ignore[no-any-return]
        select(Share.recording_id).where(Share.agency_id == principal.agency_id, _active())
    )


def shared_link(principal: Principal) -> ColumnElement[bool]:
    if principal.share_id is None:
        return false()
    ids = resource_table("recording").id_column
    return ids.in_(  # type: ignore[no-any-return]
        select(Share.recording_id).where(Share.id == principal.share_id, _active())
    )


register(
    "shared_with_agency",
    "The recording is shared, unexpired and unrevoked, with the user's agency.",
    "recording",
    shared_with_agency,
)
register(
    "shared_link",
    "The recording is the one this unexpired, unrevoked share link is for.",
    "recording",
    shared_link,
)
