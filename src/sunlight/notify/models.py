"""The outbox table: one row per email, from enqueue to sent (or failed)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sunlight.db.base import Base, BigId, UTCDateTime


class OutboxStatus(StrEnum):
    QUEUED = "queued"  # waiting for its next attempt (next_attempt_at)
    SENDING = "sending"  # claimed by one sweeper until next_attempt_at
    SENT = "sent"
    FAILED = "failed"  # given up: visible, and `sunlight outbox retry` queues it again


class OutboxMessage(Base):
    """One email. ``topic`` names what it is about ("request:42", "release:7"): the
    request's timeline lists its messages. ``message_id`` is the RFC 5322 Message-ID, fixed
    when the row is written, so a send retried after a crash carries the same one."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_messages_due", "status", "next_attempt_at"),
        Index("ix_outbox_messages_topic_id", "topic", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    topic: Mapped[str] = mapped_column(String(100))
    to_addr: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: When it was (last) queued: written, or queued again by ``retry`` after failing.
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default=OutboxStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    # The sweeper that claimed the row (a random token); while the row is ``sending``,
    # next_attempt_at is when that claim runs out and another sweeper may take it over.
    claim_token: Mapped[str | None] = mapped_column(String(32))
