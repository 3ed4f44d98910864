"""redaction: plan versions and detection/render jobs

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 05:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sunlight.db.base

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "redaction_plans",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("recording_id", BIG_ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("parent_id", BIG_ID, nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sunlight.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("track_count", sa.Integer(), nullable=False),
        sa.Column("mute_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["redaction_plans.id"],
            name=op.f("fk_redaction_plans_parent_id_redaction_plans"),
        ),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recordings.id"],
            name=op.f("fk_redaction_plans_recording_id_recordings"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_redaction_plans")),
        sa.UniqueConstraint(
            "recording_id", "version", name=op.f("uq_redaction_plans_recording_id")
        ),
    )
    with op.batch_alter_table("redaction_plans", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_redaction_plans_recording_id"), ["recording_id"], unique=False
        )

    op.create_table(
        "redaction_jobs",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("recording_id", BIG_ID, nullable=False),
        sa.Column("plan_id", BIG_ID, nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("result_plan_id", BIG_ID, nullable=True),
        sa.Column("result_recording_id", BIG_ID, nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sunlight.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sunlight.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["redaction_plans.id"],
            name=op.f("fk_redaction_jobs_plan_id_redaction_plans"),
        ),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recordings.id"],
            name=op.f("fk_redaction_jobs_recording_id_recordings"),
        ),
        sa.ForeignKeyConstraint(
            ["result_plan_id"],
            ["redaction_plans.id"],
            name=op.f("fk_redaction_jobs_result_plan_id_redaction_plans"),
        ),
        sa.ForeignKeyConstraint(
            ["result_recording_id"],
            ["recordings.id"],
            name=op.f("fk_redaction_jobs_result_recording_id_recordings"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_redaction_jobs")),
        sa.UniqueConstraint("key", name=op.f("uq_redaction_jobs_key")),
    )
    with op.batch_alter_table("redaction_jobs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_redaction_jobs_recording_id"), ["recording_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("redaction_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_redaction_jobs_recording_id"))
    op.drop_table("redaction_jobs")
    with op.batch_alter_table("redaction_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_redaction_plans_recording_id"))
    op.drop_table("redaction_plans")
