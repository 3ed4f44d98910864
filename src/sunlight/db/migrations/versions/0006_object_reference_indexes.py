"""object reference indexes: every column naming a stored object is indexed

The orphan pass (``sunlight.evidence.orphans``) asks, a batch of store digests at a time,
which of them some row refers to; without these indexes each batch scanned whole tables.

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-03 08:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None

INDEXES = (
    ("recordings", "proxy_sha256"),
    ("recordings", "poster_sha256"),
    ("recordings", "thumbs_sha256"),
    ("redaction_plans", "sha256"),
    ("retention_deletions", "sha256"),
)


def upgrade() -> None:
    for table, column in INDEXES:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column])


def downgrade() -> None:
    for table, column in reversed(INDEXES):
        op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)
