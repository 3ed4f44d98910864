"""Tables of release governance: a release case per incident, its transitions (the one
history of its states), extensions of its clock, candidates (redacted copies) with their
review sign-off, releases (public copies, embargoed or published), and court petitions
and orders (RSMo 610.100).

Clocks are never stored as flags: due dates, days left, overdue and "pending with whom
for how long" are computed from these rows and an injected ``now`` when read.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.ext.mutable import MutableDict
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sunlight.db.base import Base, BigId, UTCDateTime


class ReleaseCase(Base):
    __tablename__ = "release_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), unique=True)
    state: Mapped[str] = mapped_column(String(30))
    rule_id: Mapped[str] = mapped_column(String(40))
    policy_version: Mapped[int] = mapped_column(Integer)
    policy_sha256: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_by: Mapped[str] = mapped_column(String(100))
    #: withheld: the statute relied on and the reason (both required)
    withheld_statute: Mapped[str | None] = mapped_column(String(200))
    withheld_reason: Mapped[str | None] = mapped_column(Text)

    transitions: Mapped[list[ReleaseTransition]] = relationship(
        order_by="ReleaseTransition.id", back_populates="case"
    )
    extensions: Mapped[list[ReleaseExtension]] = relationship(order_by="ReleaseExtension.id")
    candidates: Mapped[list[ReleaseCandidate]] = relationship(order_by="ReleaseCandidate.id")
    releases: Mapped[list[Release]] = relationship(order_by="Release.id")
    petitions: Mapped[list[CourtPetition]] = relationship(order_by="CourtPetition.id")


class ReleaseTransition(Base):
    """Every state a case entered, when, by whom, why, under which rule and policy."""

    __tablename__ = "release_transitions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("release_cases.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)
    statute: Mapped[str | None] = mapped_column(String(200))
    rule_id: Mapped[str] = mapped_column(String(40))
    policy_version: Mapped[int] = mapped_column(Integer)
    policy_sha256: Mapped[str] = mapped_column(String(64))

    case: Mapped[ReleaseCase] = relationship(back_populates="transitions")


class ReleaseExtension(Base):
    """One extension step of the release clock, with its written basis and estimated date."""

    __tablename__ = "release_extensions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("release_cases.id"), index=True)
    days: Mapped[int] = mapped_column(Integer)
    basis: Mapped[str] = mapped_column(Text)
    estimated_release: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(100))
    rule_id: Mapped[str] = mapped_column(String(40))
    policy_version: Mapped[int] = mapped_column(Integer)
    policy_sha256: Mapped[str] = mapped_column(String(64))


class ReleaseCandidate(Base):
    """A redacted copy (a derived recording from a render job) proposed for release, and
    the reviewer's sign-off on the exact redaction plan version it was rendered from."""

    __tablename__ = "release_candidates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("release_cases.id"), index=True)
    derived_recording_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("recordings.id"), index=True
    )
    original_recording_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("recordings.id"), index=True
    )
    job_id: Mapped[int] = mapped_column(BigId, ForeignKey("redaction_jobs.id"))
    plan_id: Mapped[int] = mapped_column(BigId, ForeignKey("redaction_plans.id"))
    plan_version: Mapped[int] = mapped_column(Integer)
    plan_sha256: Mapped[str] = mapped_column(String(64))
    provenance: Mapped[dict[str, Any]] = mapped_column(MutableDict.as_mutable(JSON()), default=dict)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    added_by: Mapped[str] = mapped_column(String(100))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by: Mapped[str | None] = mapped_column(String(100))
    review_note: Mapped[str | None] = mapped_column(Text)


class Release(Base):
    """A copy released to the public (or to be, at ``scheduled_for``: an embargo)."""

    __tablename__ = "releases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("release_cases.id"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("release_candidates.id"))
    derived_recording_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("recordings.id"), index=True
    )
    original_recording_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("recordings.id"), index=True
    )
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[str] = mapped_column(String(100))
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: an embargoed release called off before it lifted (the case left "ready")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    court_order_id: Mapped[int | None] = mapped_column(ForeignKey("court_orders.id"))
    rule_id: Mapped[str] = mapped_column(String(40))
    policy_version: Mapped[int] = mapped_column(Integer)
    policy_sha256: Mapped[str] = mapped_column(String(64))


class CourtPetition(Base):
    """A petition to the circuit court to release a closed recording (RSMo 610.100)."""

    __tablename__ = "court_petitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("release_cases.id"), index=True)
    court: Mapped[str] = mapped_column(String(200))
    case_number: Mapped[str] = mapped_column(String(100))
    petitioner: Mapped[str] = mapped_column(String(200))
    filed_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(100))

    orders: Mapped[list[CourtOrder]] = relationship(order_by="CourtOrder.id")


class CourtOrder(Base):
    """The court's order on a petition. An order to release takes effect only once a
    second person has confirmed it (two-person rule): until then it publishes nothing."""

    __tablename__ = "court_orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("court_petitions.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(20))  # release | deny | conditions
    conditions: Mapped[str | None] = mapped_column(Text)
    ordered_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(100))
    #: the reviewed copies an order to release names (ids of release_candidates)
    candidate_ids: Mapped[list[int]] = mapped_column(JSON(), default=list)
    #: a second person (not ``recorded_by``) checked the order against the court's paper
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by: Mapped[str | None] = mapped_column(String(100))
