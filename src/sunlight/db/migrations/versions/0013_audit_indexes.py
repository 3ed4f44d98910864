"""audit views: custody events by actor and by outcome, newest first

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 14:00:00

The audit views page through millions of custody events; each reads one index range:

- ``ix_custody_events_actor_id``: (actor, id), a person's access history, newest first;
- ``ix_custody_events_outcome_id``: (outcome, id), refused attempts across the archive.

A recording's own events already use ``ix_custody_events_object`` (object_type, object_id).
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_custody_events_actor_id", "custody_events", ["actor", "id"])
    op.create_index("ix_custody_events_outcome_id", "custody_events", ["outcome", "id"])


def downgrade() -> None:
    op.drop_index("ix_custody_events_outcome_id", table_name="custody_events")
    op.drop_index("ix_custody_events_actor_id", table_name="custody_events")
