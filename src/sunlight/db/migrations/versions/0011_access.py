"""access: agencies as tenants, units, users, roles, second factors, sessions, tokens,
shares; complaints and officers' initial statements

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 13:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sunlight.db.base import BigId, UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agencies") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(20), nullable=False, server_default="investigator")
        )
    agencies = sa.table(
        "agencies",
        sa.column("name", sa.String),
        sa.column("short_name", sa.String),
        sa.column("is_default", sa.Boolean),
        sa.column("kind", sa.String),
        sa.column("created_at", UTCDateTime),
    )
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    op.bulk_insert(
        agencies,
        [
            {
                "name": "Kansas City Police Department",
                "short_name": "KCPD",
                "is_default": False,
                "kind": "department",
                "created_at": now,
            },
            {
                "name": "Jackson County Prosecutor's Office",
                "short_name": "JCPO",
                "is_default": False,
                "kind": "prosecutor",
                "created_at": now,
            },
            {
                "name": "Office of Community Complaints",
                "short_name": "OCC",
                "is_default": False,
                "kind": "oversight",
                "created_at": now,
            },
        ],
    )

    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_units_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
        sa.UniqueConstraint("agency_id", "name", name=op.f("uq_units_agency_id")),
    )
    op.create_index(op.f("ix_units_agency_id"), "units", ["agency_id"])

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(100), nullable=True),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("password_changed_at", UTCDateTime(), nullable=True),
        sa.Column("failed_sign_ins", sa.Integer(), nullable=False),
        sa.Column("locked_at", UTCDateTime(), nullable=True),
        sa.Column("disabled_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_users_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officers.id"], name=op.f("fk_users_officer_id_officers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_index(op.f("ix_users_agency_id"), "users", ["agency_id"])
    op.create_index(op.f("ix_users_officer_id"), "users", ["officer_id"])

    op.create_table(
        "user_roles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("granted_by", sa.String(100), nullable=False),
        sa.Column("granted_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_roles_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_roles")),
        sa.UniqueConstraint("user_id", "role", name=op.f("uq_user_roles_user_id")),
    )
    op.create_index(op.f("ix_user_roles_user_id"), "user_roles", ["user_id"])

    op.create_table(
        "totp_credentials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(64), nullable=False),
        sa.Column("confirmed_at", UTCDateTime(), nullable=True),
        sa.Column("last_step", BigId, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_totp_credentials_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_totp_credentials")),
    )
    op.create_index(op.f("ix_totp_credentials_user_id"), "totp_credentials", ["user_id"])

    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_sha256", sa.String(64), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_recovery_codes_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
    )
    op.create_index(op.f("ix_recovery_codes_user_id"), "recovery_codes", ["user_id"])

    op.create_table(
        "webauthn_credentials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.LargeBinary(), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", BigId, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_webauthn_credentials_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webauthn_credentials")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_webauthn_credentials_credential_id")),
    )
    op.create_index(op.f("ix_webauthn_credentials_user_id"), "webauthn_credentials", ["user_id"])

    op.create_table(
        "auth_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.Column("mfa_at", UTCDateTime(), nullable=True),
        sa.Column("mfa_method", sa.String(20), nullable=True),
        sa.Column("reauth_at", UTCDateTime(), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("end_reason", sa.String(40), nullable=True),
        sa.Column("user_agent", sa.String(300), nullable=True),
        sa.Column("pending", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_auth_sessions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_sessions")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_auth_sessions_token_sha256")),
    )
    op.create_index(op.f("ix_auth_sessions_user_id"), "auth_sessions", ["user_id"])

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("permissions", sa.JSON(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_by", sa.String(100), nullable=True),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_api_tokens_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_api_tokens_token_sha256")),
    )

    op.create_table(
        "shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recording_id", BigId, nullable=False),
        sa.Column("recipient", sa.String(200), nullable=False),
        sa.Column("recipient_kind", sa.String(30), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("link_sha256", sa.String(64), nullable=True),
        sa.Column("can_download", sa.Boolean(), nullable=False),
        sa.Column("can_reshare", sa.Boolean(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_by", sa.String(100), nullable=True),
        sa.ForeignKeyConstraint(
            ["recording_id"], ["recordings.id"], name=op.f("fk_shares_recording_id_recordings")
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_shares_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["shares.id"], name=op.f("fk_shares_parent_id_shares")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shares")),
        sa.UniqueConstraint("link_sha256", name=op.f("uq_shares_link_sha256")),
    )
    op.create_index(op.f("ix_shares_recording_id"), "shares", ["recording_id"])
    op.create_index(op.f("ix_shares_agency_id"), "shares", ["agency_id"])

    with op.batch_alter_table("incident_officers") as batch:
        batch.add_column(sa.Column("statement_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("statement_by", sa.String(100), nullable=True))

    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(40), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("complainant", sa.String(200), nullable=False),
        sa.Column("filed_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_complaints_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_complaints_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
        sa.UniqueConstraint("number", name=op.f("uq_complaints_number")),
    )
    op.create_index(op.f("ix_complaints_incident_id"), "complaints", ["incident_id"])
    op.create_index(op.f("ix_complaints_agency_id"), "complaints", ["agency_id"])


def downgrade() -> None:
    op.drop_table("complaints")
    with op.batch_alter_table("incident_officers") as batch:
        batch.drop_column("statement_by")
        batch.drop_column("statement_at")
    for table in (
        "shares",
        "api_tokens",
        "auth_sessions",
        "webauthn_credentials",
        "recovery_codes",
        "totp_credentials",
        "user_roles",
        "users",
        "units",
    ):
        op.drop_table(table)
    op.execute("DELETE FROM agencies WHERE kind IN ('department', 'prosecutor', 'oversight')")
    with op.batch_alter_table("agencies") as batch:
        batch.drop_column("kind")
