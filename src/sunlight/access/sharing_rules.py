"""The access policy's conditions about shares (registered at start-up). A share holds
until it expires or is revoked: its expiry is compared with the decision's ``now``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, select

from sunlight.access.conditions import register, resource_table
from sunlight.access.models import Share
from sunlight.access.principal import Principal


def active(now: datetime) -> ColumnElement[bool]:
    """The share is unrevoked and unexpired at ``now``."""
    return and_(Share.revoked_at.is_(None), Share.expires_at > now)


def shared_with_agency(principal: Principal, now: datetime) -> ColumnElement[bool]:
    if principal.agency_id is None:
        return false()
    ids = resource_table("recording").id_column
    return ids.in_(  # type: ignore[no-any-return]
        select(Share.recording_id).where(Share.agency_id == principal.agency_id, active(now))
    )


def shared_link(principal: Principal, now: datetime) -> ColumnElement[bool]:
    if principal.share_id is None:
        return false()
    ids = resource_table("recording").id_column
    return ids.in_(  # type: ignore[no-any-return]
        select(Share.recording_id).where(Share.id == principal.share_id, active(now))
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
