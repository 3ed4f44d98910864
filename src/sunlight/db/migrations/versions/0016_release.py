"""release governance: release cases per incident, their transitions, extensions,
candidates with review sign-off, releases (embargoed or published), court petitions and orders

Revision ID: 0016
Revises: 0014 (0013 on the release branch; chained after the outbox when clock was merged)
Create Date: 2026-12-03 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sunlight.db.base import BigId, UTCDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "release_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("rule_id", sa.String(length=40), nullable=False),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.Column("policy_sha256", sa.String(length=64), nullable=False),
        sa.Column("opened_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.String(length=100), nullable=False),
        sa.Column("withheld_statute", sa.String(length=200), nullable=True),
        sa.Column("withheld_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_release_cases_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_cases")),
        sa.UniqueConstraint("incident_id", name=op.f("uq_release_cases_incident_id")),
    )
    op.create_table(
        "court_petitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("court", sa.String(length=200), nullable=False),
        sa.Column("case_number", sa.String(length=100), nullable=False),
        sa.Column("petitioner", sa.String(length=200), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["release_cases.id"], name=op.f("fk_court_petitions_case_id_release_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_court_petitions")),
    )
    op.create_index(
        op.f("ix_court_petitions_case_id"), "court_petitions", ["case_id"], unique=False
    )
    op.create_table(
        "release_extensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("estimated_release", sa.Date(), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("rule_id", sa.String(length=40), nullable=False),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.Column("policy_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["release_cases.id"],
            name=op.f("fk_release_extensions_case_id_release_cases"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_extensions")),
    )
    op.create_index(
        op.f("ix_release_extensions_case_id"), "release_extensions", ["case_id"], unique=False
    )
    op.create_table(
        "release_transitions",
        sa.Column("id", BigId, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("from_state", sa.String(length=30), nullable=True),
        sa.Column("to_state", sa.String(length=30), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("statute", sa.String(length=200), nullable=True),
        sa.Column("rule_id", sa.String(length=40), nullable=False),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.Column("policy_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["release_cases.id"],
            name=op.f("fk_release_transitions_case_id_release_cases"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_transitions")),
    )
    op.create_index(
        op.f("ix_release_transitions_case_id"), "release_transitions", ["case_id"], unique=False
    )
    op.create_table(
        "court_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("petition_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("conditions", sa.Text(), nullable=True),
        sa.Column("ordered_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["petition_id"],
            ["court_petitions.id"],
            name=op.f("fk_court_orders_petition_id_court_petitions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_court_orders")),
    )
    op.create_index(
        op.f("ix_court_orders_petition_id"), "court_orders", ["petition_id"], unique=False
    )
    op.create_table(
        "release_candidates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("derived_recording_id", BigId, nullable=False),
        sa.Column("original_recording_id", BigId, nullable=False),
        sa.Column("job_id", BigId, nullable=False),
        sa.Column("plan_id", BigId, nullable=False),
        sa.Column("plan_version", sa.Integer(), nullable=False),
        sa.Column("plan_sha256", sa.String(length=64), nullable=False),
        sa.Column("provenance", sa.JSON(), nullable=False),
        sa.Column("added_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(length=100), nullable=False),
        sa.Column("reviewed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by", sa.String(length=100), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["release_cases.id"],
            name=op.f("fk_release_candidates_case_id_release_cases"),
        ),
        sa.ForeignKeyConstraint(
            ["derived_recording_id"],
            ["recordings.id"],
            name=op.f("fk_release_candidates_derived_recording_id_recordings"),
        ),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["redaction_jobs.id"],
            name=op.f("fk_release_candidates_job_id_redaction_jobs"),
        ),
        sa.ForeignKeyConstraint(
            ["original_recording_id"],
            ["recordings.id"],
            name=op.f("fk_release_candidates_original_recording_id_recordings"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["redaction_plans.id"],
            name=op.f("fk_release_candidates_plan_id_redaction_plans"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_candidates")),
    )
    op.create_index(
        op.f("ix_release_candidates_case_id"), "release_candidates", ["case_id"], unique=False
    )
    op.create_index(
        op.f("ix_release_candidates_derived_recording_id"),
        "release_candidates",
        ["derived_recording_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_release_candidates_original_recording_id"),
        "release_candidates",
        ["original_recording_id"],
        unique=False,
    )
    op.create_table(
        "releases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("derived_recording_id", BigId, nullable=False),
        sa.Column("original_recording_id", BigId, nullable=False),
        sa.Column("decided_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=False),
        sa.Column("scheduled_for", UTCDateTime(timezone=True), nullable=False),
        sa.Column("warned_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("released_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("court_order_id", sa.Integer(), nullable=True),
        sa.Column("rule_id", sa.String(length=40), nullable=False),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.Column("policy_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["release_candidates.id"],
            name=op.f("fk_releases_candidate_id_release_candidates"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["release_cases.id"], name=op.f("fk_releases_case_id_release_cases")
        ),
        sa.ForeignKeyConstraint(
            ["court_order_id"],
            ["court_orders.id"],
            name=op.f("fk_releases_court_order_id_court_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["derived_recording_id"],
            ["recordings.id"],
            name=op.f("fk_releases_derived_recording_id_recordings"),
        ),
        sa.ForeignKeyConstraint(
            ["original_recording_id"],
            ["recordings.id"],
            name=op.f("fk_releases_original_recording_id_recordings"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_releases")),
    )
    op.create_index(op.f("ix_releases_case_id"), "releases", ["case_id"], unique=False)
    op.create_index(
        op.f("ix_releases_derived_recording_id"), "releases", ["derived_recording_id"], unique=False
    )
    op.create_index(
        op.f("ix_releases_original_recording_id"),
        "releases",
        ["original_recording_id"],
        unique=False,
    )
    op.create_index(op.f("ix_releases_released_at"), "releases", ["released_at"], unique=False)
    op.create_index(op.f("ix_releases_scheduled_for"), "releases", ["scheduled_for"], unique=False)


def downgrade() -> None:
    for table in (
        "releases",
        "release_candidates",
        "court_orders",
        "release_transitions",
        "release_extensions",
        "court_petitions",
        "release_cases",
    ):
        op.drop_table(table)
