"""Initial schema: organisations, applications, cases, audits, deadlines, append-only events,
published rule versions, the notification outbox, API accounts and daemon heartbeats.

Revision ID: 0001
Revises:
Create Date: 2026-11-23

Frozen: later changes go in new revisions. Column types are spelled out here (no imports from
storage.tables) so this script keeps meaning what it meant when it was written.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT = sqlmodel.sql.sqltypes.AutoString
INSTANT = sa.DateTime(timezone=True)  # storage.tables.UtcDateTime stores into this

APPEND_ONLY_MESSAGE = "events are append-only"

SQLITE_GUARDS = [
    f"""CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}: UPDATE refused'); END""",
    f"""CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}: DELETE refused'); END""",
]

POSTGRES_GUARDS = [
    f"""CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}: % refused', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END $$""",
    """CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON events
        FOR EACH ROW EXECUTE FUNCTION events_append_only()""",
    """CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
        FOR EACH STATEMENT EXECUTE FUNCTION events_append_only()""",
]


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", TEXT(), nullable=False),
        sa.Column("credit_code", TEXT(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("credit_code", name="uq_organisations_credit_code"),
    )
    op.create_table(
        "applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("service_system_since", sa.Date(), nullable=False),
        sa.Column("scope", TEXT(), nullable=False),
        sa.Column("has_service_documents", sa.Boolean(), nullable=False),
        sa.Column("has_dedicated_manager", sa.Boolean(), nullable=False),
        sa.Column("has_dedicated_funds", sa.Boolean(), nullable=False),
        sa.Column("last_major_failure", sa.Date(), nullable=True),
        sa.Column("has_trained_staff", sa.Boolean(), nullable=False),
        sa.Column("is_prc_legal_entity", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_applications_organisation", "applications", ["organisation_id"])

    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("state", TEXT(), nullable=False),
        sa.Column("holder", TEXT(), nullable=False),
        sa.Column("scope", TEXT(), nullable=False),
        sa.Column("number", TEXT(), nullable=True),
        sa.Column("star_level", TEXT(), nullable=True),
        sa.Column("final_score", TEXT(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("last_surveillance_on", sa.Date(), nullable=True),
        sa.Column("suspended_on", sa.Date(), nullable=True),
        sa.Column("suspension_cause", TEXT(), nullable=True),
        sa.Column("rule_version", TEXT(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["application_id"], ["applications.id"]),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number", name="uq_cases_number"),
    )
    op.create_index("ix_cases_organisation", "cases", ["organisation_id"])
    op.create_index("ix_cases_star_level", "cases", ["star_level"])
    op.create_index("ix_cases_state", "cases", ["state"])

    op.create_table(
        "audits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", TEXT(), nullable=False),
        sa.Column("audit_date", sa.Date(), nullable=False),
        sa.Column("auditor", TEXT(), nullable=False),
        sa.Column("sheet", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audits_case", "audits", ["case_id"])

    op.create_table(
        "deadlines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", TEXT(), nullable=False),
        sa.Column("due_at", INSTANT, nullable=False),
        sa.Column("claimed_by", TEXT(), nullable=True),
        sa.Column("claimed_until", INSTANT, nullable=True),
        sa.Column("done_at", INSTANT, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", TEXT(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_deadlines_case", "deadlines", ["case_id"])
    open_rows = sa.text("done_at IS NULL")
    op.create_index(
        "ix_deadlines_open_due",
        "deadlines",
        ["due_at", "id"],
        sqlite_where=open_rows,
        postgresql_where=open_rows,
    )
    leased = sa.text("done_at IS NULL AND claimed_until IS NOT NULL")
    op.create_index(
        "ix_deadlines_open_leased",
        "deadlines",
        ["claimed_until"],
        sqlite_where=leased,
        postgresql_where=leased,
    )

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", INSTANT, nullable=False),
        sa.Column("actor", TEXT(), nullable=False),
        sa.Column("trigger", TEXT(), nullable=False),
        sa.Column("from_state", TEXT(), nullable=True),
        sa.Column("to_state", TEXT(), nullable=False),
        sa.Column("reason", TEXT(), nullable=True),
        sa.Column("rule_version", TEXT(), nullable=True),
        sa.Column("rule_hash", TEXT(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("prev_hash", TEXT(), nullable=False),
        sa.Column("hash", TEXT(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "seq", name="uq_events_case_seq"),
    )
    op.create_table(
        "rule_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ruleset", TEXT(), nullable=False),
        sa.Column("version", TEXT(), nullable=False),
        sa.Column("content_hash", TEXT(), nullable=False),
        sa.Column("content", TEXT(), nullable=False),
        sa.Column("source_name", TEXT(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("published_at", INSTANT, nullable=False),
        sa.Column("published_by", TEXT(), nullable=False),
        sa.Column("backdate_reason", TEXT(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ruleset", "version", name="uq_rule_versions_ruleset_version"),
    )
    op.create_index("ix_rule_versions_effective", "rule_versions", ["ruleset", "effective_from"])

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("kind", TEXT(), nullable=False),
        sa.Column("channel", TEXT(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("deliver_after", INSTANT, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", TEXT(), nullable=True),
        sa.Column("claimed_by", TEXT(), nullable=True),
        sa.Column("claimed_until", INSTANT, nullable=True),
        sa.Column("delivered_at", INSTANT, nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    pending = sa.text("delivered_at IS NULL")
    op.create_index(
        "ix_notifications_pending",
        "notifications",
        ["deliver_after", "id"],
        sqlite_where=pending,
        postgresql_where=pending,
    )

    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", TEXT(), nullable=False),
        sa.Column("role", TEXT(), nullable=False),
        sa.Column("token_hash", TEXT(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("created_by", TEXT(), nullable=False),
        sa.Column("revoked_at", INSTANT, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", name="uq_accounts_name"),
        sa.UniqueConstraint("token_hash", name="uq_accounts_token_hash"),
    )

    op.create_table(
        "daemon_status",
        sa.Column("worker", TEXT(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("host", TEXT(), nullable=False),
        sa.Column("state", TEXT(), nullable=False),
        sa.Column("started_at", INSTANT, nullable=False),
        sa.Column("last_tick_at", INSTANT, nullable=True),
        sa.Column("clock_at", INSTANT, nullable=True),
        sa.Column("fired_total", sa.Integer(), nullable=False),
        sa.Column("failed_total", sa.Integer(), nullable=False),
        sa.Column("last_error", TEXT(), nullable=True),
        sa.PrimaryKeyConstraint("worker"),
    )

    guards = POSTGRES_GUARDS if op.get_bind().dialect.name == "postgresql" else SQLITE_GUARDS
    for statement in guards:
        op.execute(statement)


def downgrade() -> None:
    # Dropping the table drops its triggers too.
    op.drop_table("events")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS events_append_only()")
    op.drop_table("daemon_status")
    op.drop_table("accounts")
    op.drop_table("notifications")
    op.drop_table("rule_versions")
    op.drop_table("deadlines")
    op.drop_table("audits")
    op.drop_table("cases")
    op.drop_table("applications")
    op.drop_table("organisations")
