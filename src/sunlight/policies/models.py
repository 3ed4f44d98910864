"""Tables of the policies domain: each version of each policy file (its exact YAML text and
SHA-256, never changed once stored) and the public comments on proposed versions."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sunlight.db.base import Base, UTCDateTime


class PolicyVersion(Base):
    __tablename__ = "policy_versions"
    __table_args__ = (UniqueConstraint("name", "sha256", name="uq_policy_versions_name_sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: access | retention | compliance | release | holidays
    name: Mapped[str] = mapped_column(String(40), index=True)
    #: the ``version`` field of the file
    version: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64))
    #: the exact file (YAML)
    content: Mapped[str] = mapped_column(Text)
    #: adopted | proposed | withdrawn | superseded
    status: Mapped[str] = mapped_column(String(20), index=True)
    #: when the version takes (or took) effect
    effective_at: Mapped[date | None] = mapped_column(Date)
    proposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    adopted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: what changes and why, in the proposer's words
    summary: Mapped[str | None] = mapped_column(Text)
    proposed_by: Mapped[str | None] = mapped_column(String(200))
    #: the staff decision on a proposal: adopt | withdraw, with the reason
    decision: Mapped[str | None] = mapped_column(String(20))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(200))


class PolicyComment(Base):
    __tablename__ = "policy_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("policy_versions.id"), index=True)
    #: optional; shown with the comment once approved
    name: Mapped[str | None] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: pending | approved | rejected
    status: Mapped[str] = mapped_column(String(20), index=True)
    #: the staff response, published with an approved comment
    response: Mapped[str | None] = mapped_column(Text)
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    moderated_by: Mapped[str | None] = mapped_column(String(200))
