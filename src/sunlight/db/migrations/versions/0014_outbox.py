"""notify: the durable email outbox

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 16:10:00

``outbox_messages``: one row per email, written in the transaction of the change it tells
about and delivered by the ``serve`` sweep; ``ix_outbox_messages_due`` finds what is due,
``ix_outbox_messages_topic_id`` lists a request's messages for its timeline.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sunlight.db.base import BigId, UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox_messages",
        sa.Column("id", BigId, nullable=False),
        sa.Column("topic", sa.String(100), nullable=False),
        sa.Column("to_addr", sa.String(320), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("queued_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("message_id", sa.String(200), nullable=False),
        sa.Column("claim_token", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
        sa.UniqueConstraint("message_id", name=op.f("uq_outbox_messages_message_id")),
    )
    op.create_index("ix_outbox_messages_due", "outbox_messages", ["status", "next_attempt_at"])
    op.create_index("ix_outbox_messages_topic_id", "outbox_messages", ["topic", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_messages_topic_id", table_name="outbox_messages")
    op.drop_index("ix_outbox_messages_due", table_name="outbox_messages")
    op.drop_table("outbox_messages")
