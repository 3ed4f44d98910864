"""records requests: requests, their append-only timeline, pauses, linked footage,
verifications of depicted persons and deliveries (RSMo 610.023, 610.100.3)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sunlight.db.append_only import protect, unprotect
from sunlight.db.base import BigId, UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "records_requests",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tracking_number", sa.String(20), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("requester_name", sa.String(200), nullable=False),
        sa.Column("requester_email", sa.String(254), nullable=False),
        sa.Column("requester_phone", sa.String(40)),
        sa.Column("requester_type", sa.String(20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("date_from", sa.Date()),
        sa.Column("date_to", sa.Date()),
        sa.Column("location", sa.String(300)),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("received_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("status_at", UTCDateTime(), nullable=False),
        sa.Column("clock_from", UTCDateTime(), nullable=False),
        sa.Column("available_at", UTCDateTime()),
        sa.Column("denial_provision", sa.String(40)),
        sa.Column("denial_reason", sa.Text()),
        sa.Column("grounds_requested_at", UTCDateTime()),
        sa.Column("grounds_given_at", UTCDateTime()),
        sa.Column("fee_estimate_cents", sa.Integer()),
        sa.Column("fee_details", sa.JSON(), nullable=False),
        sa.Column("prepayment_required", sa.Boolean(), nullable=False),
        sa.Column("prepayment_received_at", UTCDateTime()),
        sa.Column("source", sa.String(10), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_records_requests")),
        sa.UniqueConstraint("tracking_number", name=op.f("uq_records_requests_tracking_number")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_records_requests_token_sha256")),
    )
    op.create_index("ix_records_requests_received_at", "records_requests", ["received_at"])
    op.create_index("ix_records_requests_received_date", "records_requests", ["received_date"])
    op.create_index("ix_records_requests_status", "records_requests", ["status"])

    op.create_table(
        "request_events",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("public_text", sa.Text()),
        sa.Column("staff_text", sa.Text()),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["records_requests.id"],
            name=op.f("fk_request_events_request_id_records_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_events")),
    )
    op.create_index("ix_request_events_request_id", "request_events", ["request_id"])
    protect("request_events")

    op.create_table(
        "request_pauses",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("start", UTCDateTime(), nullable=False),
        sa.Column("end", UTCDateTime()),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["records_requests.id"],
            name=op.f("fk_request_pauses_request_id_records_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_pauses")),
    )
    op.create_index("ix_request_pauses_request_id", "request_pauses", ["request_id"])

    op.create_table(
        "request_items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer()),
        sa.Column("recording_id", BigId),
        sa.Column("nonpublic_location", sa.Boolean(), nullable=False),
        sa.Column("linked_by", sa.String(100), nullable=False),
        sa.Column("linked_at", UTCDateTime(), nullable=False),
        sa.Column("why", sa.String(2000), nullable=False),
        sa.Column("removed_at", UTCDateTime()),
        sa.Column("removed_by", sa.String(100)),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["records_requests.id"],
            name=op.f("fk_request_items_request_id_records_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_request_items_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recordings.id"],
            name=op.f("fk_request_items_recording_id_recordings"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_items")),
    )
    op.create_index("ix_request_items_request_id", "request_items", ["request_id"])
    op.create_index("ix_request_items_incident_id", "request_items", ["incident_id"])
    op.create_index("ix_request_items_recording_id", "request_items", ["recording_id"])

    op.create_table(
        "request_verifications",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("verified_by", sa.String(100), nullable=False),
        sa.Column("verified_at", UTCDateTime(), nullable=False),
        sa.Column("document_type", sa.String(60), nullable=False),
        sa.Column("relation", sa.String(40), nullable=False),
        sa.Column("depicted_person", sa.String(200), nullable=False),
        sa.Column("notes", sa.String(2000)),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["records_requests.id"],
            name=op.f("fk_request_verifications_request_id_records_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_verifications")),
    )
    op.create_index("ix_request_verifications_request_id", "request_verifications", ["request_id"])

    op.create_table(
        "request_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("recording_id", BigId, nullable=False),
        sa.Column("share_id", sa.Integer(), nullable=False),
        sa.Column("basis", sa.String(20), nullable=False),
        sa.Column("verification_id", sa.Integer()),
        sa.Column("notice_text", sa.Text()),
        sa.Column("delivered_by", sa.String(100), nullable=False),
        sa.Column("delivered_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("acknowledged_at", UTCDateTime()),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["records_requests.id"],
            name=op.f("fk_request_deliveries_request_id_records_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recordings.id"],
            name=op.f("fk_request_deliveries_recording_id_recordings"),
        ),
        sa.ForeignKeyConstraint(
            ["share_id"], ["shares.id"], name=op.f("fk_request_deliveries_share_id_shares")
        ),
        sa.ForeignKeyConstraint(
            ["verification_id"],
            ["request_verifications.id"],
            name=op.f("fk_request_deliveries_verification_id_request_verifications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_deliveries")),
    )
    op.create_index("ix_request_deliveries_request_id", "request_deliveries", ["request_id"])
    op.create_index("ix_request_deliveries_recording_id", "request_deliveries", ["recording_id"])


def downgrade() -> None:
    op.drop_table("request_deliveries")
    op.drop_table("request_verifications")
    op.drop_table("request_items")
    op.drop_table("request_pauses")
    unprotect("request_events")
    op.drop_table("request_events")
    op.drop_table("records_requests")
