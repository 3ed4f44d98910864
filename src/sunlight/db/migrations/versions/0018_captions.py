"""captions: caption tracks per recording and language, their versions, and speech jobs

Revision ID: 0018
Revises: 0017 (the lead re-chains at merge)
Create Date: 2026-12-03 18:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sunlight.db.base import UTCDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "caption_tracks",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("recording_id", BIG_ID, nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("approved_version", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(length=100), nullable=True),
        sa.Column("approved_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recordings.id"],
            name=op.f("fk_caption_tracks_recording_id_recordings"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_caption_tracks")),
        sa.UniqueConstraint(
            "recording_id", "language", name=op.f("uq_caption_tracks_recording_id")
        ),
    )
    op.create_index(
        op.f("ix_caption_tracks_recording_id"), "caption_tracks", ["recording_id"], unique=False
    )
    op.create_table(
        "caption_versions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("track_id", BIG_ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("cues", sa.JSON(), nullable=False),
        sa.Column("cue_count", sa.Integer(), nullable=False),
        sa.Column("vtt_sha256", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["track_id"],
            ["caption_tracks.id"],
            name=op.f("fk_caption_versions_track_id_caption_tracks"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_caption_versions")),
        sa.UniqueConstraint("track_id", "version", name=op.f("uq_caption_versions_track_id")),
    )
    op.create_index(
        op.f("ix_caption_versions_track_id"), "caption_versions", ["track_id"], unique=False
    )
    op.create_table(
        "caption_jobs",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("recording_id", BIG_ID, nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("result_version_id", BIG_ID, nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recordings.id"],
            name=op.f("fk_caption_jobs_recording_id_recordings"),
        ),
        sa.ForeignKeyConstraint(
            ["result_version_id"],
            ["caption_versions.id"],
            name=op.f("fk_caption_jobs_result_version_id_caption_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_caption_jobs")),
        sa.UniqueConstraint("key", name=op.f("uq_caption_jobs_key")),
    )
    op.create_index(
        op.f("ix_caption_jobs_recording_id"), "caption_jobs", ["recording_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_caption_jobs_recording_id"), table_name="caption_jobs")
    op.drop_table("caption_jobs")
    op.drop_index(op.f("ix_caption_versions_track_id"), table_name="caption_versions")
    op.drop_table("caption_versions")
    op.drop_index(op.f("ix_caption_tracks_recording_id"), table_name="caption_tracks")
    op.drop_table("caption_tracks")
