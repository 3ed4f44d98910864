"""published policies: each version's exact text, proposed versions and public comments

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 18:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sunlight.db.base import UTCDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "policy_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("version", sa.String(40), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("effective_at", sa.Date()),
        sa.Column("proposed_at", UTCDateTime()),
        sa.Column("adopted_at", UTCDateTime()),
        sa.Column("superseded_at", UTCDateTime()),
        sa.Column("summary", sa.Text()),
        sa.Column("proposed_by", sa.String(200)),
        sa.Column("decision", sa.String(20)),
        sa.Column("decision_reason", sa.Text()),
        sa.Column("decided_at", UTCDateTime()),
        sa.Column("decided_by", sa.String(200)),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_versions")),
        sa.UniqueConstraint("name", "sha256", name="uq_policy_versions_name_sha256"),
    )
    op.create_index("ix_policy_versions_name", "policy_versions", ["name"])
    op.create_index("ix_policy_versions_status", "policy_versions", ["status"])
    _fix_versions()
    op.create_table(
        "policy_comments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100)),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("response", sa.Text()),
        sa.Column("moderated_at", UTCDateTime()),
        sa.Column("moderated_by", sa.String(200)),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_comments")),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["policy_versions.id"],
            name=op.f("fk_policy_comments_version_id_policy_versions"),
        ),
    )
    op.create_index("ix_policy_comments_version_id", "policy_comments", ["version_id"])
    op.create_index("ix_policy_comments_status", "policy_comments", ["status"])


FIXED = ("name", "version", "sha256", "content")
MESSAGE = "policy_versions: a stored version is never changed or deleted"


def _fix_versions() -> None:
    """The database refuses to change a stored version's name, number, hash or text, and
    to delete a version (its status and decision may change, each a custody event)."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in FIXED)
        op.execute(
            f"CREATE TRIGGER policy_versions_fixed BEFORE UPDATE ON policy_versions "
            f"WHEN {changed} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )
        op.execute(
            "CREATE TRIGGER policy_versions_kept BEFORE DELETE ON policy_versions "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )
    elif dialect == "postgresql":
        changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in FIXED)
        op.execute(
            "CREATE OR REPLACE FUNCTION policy_versions_fixed() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER policy_versions_fixed BEFORE UPDATE ON policy_versions "
            f"FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION policy_versions_fixed()"
        )
        op.execute(
            "CREATE TRIGGER policy_versions_kept BEFORE DELETE OR TRUNCATE ON policy_versions "
            "FOR EACH STATEMENT EXECUTE FUNCTION policy_versions_fixed()"
        )
    else:
        raise RuntimeError(f"no protection for policy_versions on {dialect}")


def _unfix_versions() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS policy_versions_fixed")
        op.execute("DROP TRIGGER IF EXISTS policy_versions_kept")
    else:
        op.execute("DROP TRIGGER IF EXISTS policy_versions_fixed ON policy_versions")
        op.execute("DROP TRIGGER IF EXISTS policy_versions_kept ON policy_versions")
        op.execute("DROP FUNCTION IF EXISTS policy_versions_fixed()")


def downgrade() -> None:
    _unfix_versions()
    op.drop_index("ix_policy_comments_status", table_name="policy_comments")
    op.drop_index("ix_policy_comments_version_id", table_name="policy_comments")
    op.drop_table("policy_comments")
    op.drop_index("ix_policy_versions_status", table_name="policy_versions")
    op.drop_index("ix_policy_versions_name", table_name="policy_versions")
    op.drop_table("policy_versions")
