"""Console sessions kept by the server, and rate-limit buckets shared by every server process.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

A console cookie now holds a random session id (its hash stored here, with its account, idle and
absolute ends, and revocation) instead of the API token itself; cookies of the old kind no
longer open the console, so everyone logs in once more. The /verify limit's token buckets move
from each process's memory into `rate_limit_buckets`, so several servers share one limit.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT = sqlmodel.sql.sqltypes.AutoString
INSTANT = sa.DateTime(timezone=True)  # storage.sql.tables.UtcDateTime stores into this


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("id_hash", TEXT(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", TEXT(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("idle_until", INSTANT, nullable=False),
        sa.Column("expires_at", INSTANT, nullable=False),
        sa.Column("revoked_at", INSTANT, nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id_hash"),
    )
    op.create_index("ix_console_sessions_account", "console_sessions", ["account_id"])
    op.create_table(
        "rate_limit_buckets",
        sa.Column("key", TEXT(), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("rate_limit_buckets")
    op.drop_index("ix_console_sessions_account", table_name="console_sessions")
    op.drop_table("console_sessions")
