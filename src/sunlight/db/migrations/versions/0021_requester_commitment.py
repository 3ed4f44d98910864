"""records requests: a random salt per request for the commitment to the requester's
identity that each request.event custody event carries (see docs/ledger.md)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 15:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: a request filed before has none until its next timeline entry draws one.
    with op.batch_alter_table("records_requests") as batch:
        batch.add_column(sa.Column("requester_salt", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("records_requests") as batch:
        batch.drop_column("requester_salt")
