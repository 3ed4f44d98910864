"""refusal tallies (refusals that name no resource), and a second person's confirmation of
a court order (two-person rule)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 15:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sunlight.db.base import UTCDateTime

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "refusal_tallies",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("permission", sa.String(length=64), nullable=False),
        sa.Column("route", sa.String(length=200), nullable=False),
        sa.Column("minute", UTCDateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("last_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("event_id", BIG_ID, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refusal_tallies")),
        sa.UniqueConstraint(
            "actor", "permission", "route", "minute", name="uq_refusal_tallies_key"
        ),
    )
    op.create_index("ix_refusal_tallies_minute", "refusal_tallies", ["minute"], unique=False)
    with op.batch_alter_table("court_orders") as batch:
        batch.add_column(sa.Column("candidate_ids", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("confirmed_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("confirmed_by", sa.String(length=100), nullable=True))
    # Orders recorded before the two-person rule took effect already did what they ordered.
    op.execute("UPDATE court_orders SET confirmed_at = recorded_at, confirmed_by = recorded_by")


def downgrade() -> None:
    with op.batch_alter_table("court_orders") as batch:
        batch.drop_column("confirmed_by")
        batch.drop_column("confirmed_at")
        batch.drop_column("candidate_ids")
    op.drop_index("ix_refusal_tallies_minute", table_name="refusal_tallies")
    op.drop_table("refusal_tallies")
