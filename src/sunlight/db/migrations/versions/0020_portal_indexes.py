"""public portal: the published-release list and the custody log by time

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 15:40:00

- ``ix_releases_published``: (released_at, id) of the releases that are public and
  published (partial on PostgreSQL, the list's own predicate): the list's count and its
  version read this index alone, and its pages walk it newest first.
- ``ix_custody_events_occurred_at``: the statistics' access figures read the custody log by
  time range (a scan of the whole log without it).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_releases_published",
        "releases",
        ["released_at", "id"],
        postgresql_where=sa.text("public IS TRUE AND released_at IS NOT NULL"),
    )
    op.create_index("ix_custody_events_occurred_at", "custody_events", ["occurred_at"])


def downgrade() -> None:
    op.drop_index("ix_custody_events_occurred_at", table_name="custody_events")
    op.drop_index("ix_releases_published", table_name="releases")
