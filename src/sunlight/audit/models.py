"""The refusal tallies: how many times each (actor, permission, route) was refused in each
minute. A refusal that names no resource (a list route, a staff-only page) is counted here;
a signed-in actor's first refusal of a minute is also a custody event (``access.denied``),
an anonymous caller's never is, so a flood of anonymous requests cannot fill the custody
log. The table is bounded (``sunlight.audit.refusals.MAX_TALLIES``): the oldest minutes go
first."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sunlight.db.base import Base, BigId, UTCDateTime


class RefusalTally(Base):
    __tablename__ = "refusal_tallies"
    __table_args__ = (
        UniqueConstraint("actor", "permission", "route", "minute", name="uq_refusal_tallies_key"),
        Index("ix_refusal_tallies_minute", "minute"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    actor: Mapped[str] = mapped_column(String(100))
    permission: Mapped[str] = mapped_column(String(64))
    route: Mapped[str] = mapped_column(String(200))
    #: the minute the refusals fell in (seconds and below cut off)
    minute: Mapped[datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(Integer, default=1)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the custody event recorded for the minute's first refusal (signed-in actors only)
    event_id: Mapped[int | None] = mapped_column(BigId)
