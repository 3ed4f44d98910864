"""scale: indexes for the batched retention, compliance and sweep passes

Revision ID: 0010
Revises: 0004
Create Date: 2026-12-03 08:10:00

- ``ix_recordings_made_at``: (coalesce(recorded_at, ingested_at), id), so the compliance
  report and the review draw read one month as a range of the index, in keyset batches;
- ``ix_recordings_live`` / ``ix_recordings_deleted``: partial indexes on id for the live and
  the deleted recordings, so the retention run and the byte sweep page through only the
  rows they need however the archive splits between the two;
- ``ix_retention_deletions_status_id``: pending deletions in id order, a batch at a time.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_recordings_made_at",
        "recordings",
        [sa.text("coalesce(recorded_at, ingested_at)"), sa.text("id")],
    )
    op.create_index(
        "ix_recordings_live",
        "recordings",
        ["id"],
        sqlite_where=sa.text("deleted_at IS NULL"),
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_index(
        "ix_recordings_deleted",
        "recordings",
        ["id"],
        sqlite_where=sa.text("deleted_at IS NOT NULL"),
        postgresql_where=sa.text("deleted_at IS NOT NULL"),
    )
    op.create_index("ix_retention_deletions_status_id", "retention_deletions", ["status", "id"])


def downgrade() -> None:
    op.drop_index("ix_retention_deletions_status_id", table_name="retention_deletions")
    op.drop_index("ix_recordings_deleted", table_name="recordings")
    op.drop_index("ix_recordings_live", table_name="recordings")
    op.drop_index("ix_recordings_made_at", table_name="recordings")
