"""public portal: the live nonpublic-location request items, for the list pages' version

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 19:10:00

- ``ix_request_items_nonpublic``: the ids of the request items that mark footage as made in
  a nonpublic location and are not removed (partial, on both back ends). The cached release
  list pages read their count and sum on every request (``portal.lists.flags_version``), so
  an item marked nonpublic, or no longer, hides or shows an area on the very next page.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

LIVE_NONPUBLIC = "nonpublic_location IS TRUE AND removed_at IS NULL"


def upgrade() -> None:
    op.create_index(
        "ix_request_items_nonpublic",
        "request_items",
        ["id"],
        postgresql_where=sa.text(LIVE_NONPUBLIC),
        sqlite_where=sa.text("nonpublic_location = 1 AND removed_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_request_items_nonpublic", table_name="request_items")
