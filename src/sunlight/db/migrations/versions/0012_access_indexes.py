"""access indexes: the recordings list in its own order, whole and per officer

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 14:00:00

The recordings list (``/api/recordings``) is ordered ``recorded_at DESC NULLS LAST, id DESC``.
The index on ``recorded_at`` alone cannot give that order (read backwards it puts NULLs
first), so every first page sorted the whole archive. With access scoping:

- ``ix_recordings_listed`` (recorded_at DESC NULLS LAST, id DESC): the first page of an
  unscoped or custodian list, and of a supervisor's (the unit's officers are a filter on
  an index read in list order), without a sort;
- ``ix_recordings_officer_listed`` (officer_id, recorded_at DESC NULLS LAST, id DESC): an
  officer's own recordings in list order, one index range.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite has no NULLS LAST in an index, and needs none: its NULLs sort first, so last
    # when descending. PostgreSQL's sort last, so first when descending: it must be said.
    nulls = " NULLS LAST" if op.get_bind().dialect.name == "postgresql" else ""
    listed = [sa.text(f"recorded_at DESC{nulls}"), sa.text("id DESC")]
    op.create_index("ix_recordings_listed", "recordings", listed)
    op.create_index("ix_recordings_officer_listed", "recordings", [sa.text("officer_id"), *listed])


def downgrade() -> None:
    op.drop_index("ix_recordings_officer_listed", table_name="recordings")
    op.drop_index("ix_recordings_listed", table_name="recordings")
