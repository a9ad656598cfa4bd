"""Audit findings and their corrective actions: one row per finding, as it now stands.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03

A database upgraded to this revision holds no findings: audits recorded before it raised none
on record.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("audit_date", sa.Date(), nullable=False),
        sa.Column("severity", TEXT(), nullable=False),
        sa.Column("indicator", TEXT(), nullable=False),
        sa.Column("evidence", TEXT(), nullable=False),
        sa.Column("recorded_by", TEXT(), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", TEXT(), nullable=False),
        sa.Column("cause", TEXT(), nullable=True),
        sa.Column("correction", TEXT(), nullable=True),
        sa.Column("corrective_action", TEXT(), nullable=True),
        sa.Column("responded_on", sa.Date(), nullable=True),
        sa.Column("responded_by", TEXT(), nullable=True),
        sa.Column("rejected_reason", TEXT(), nullable=True),
        sa.Column("rejected_on", sa.Date(), nullable=True),
        sa.Column("rejected_by", TEXT(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("closed_by", TEXT(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["audit_id"], ["audits.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "number", name="uq_findings_case_number"),
    )
    op.create_index("ix_findings_case", "findings", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_findings_case", table_name="findings")
    op.drop_table("findings")
