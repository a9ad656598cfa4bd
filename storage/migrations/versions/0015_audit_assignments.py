"""Audit assignments: the team an operator accepted for one audit of a case, with the planned
dates, who accepted it and when, and the assignment that replaced it, if any; and the planning
warnings the daemon sent, each once.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03

No assignment exists before this revision: audits recorded before it are held to none.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "audit_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", TEXT(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("leader_id", sa.Integer(), nullable=False),
        sa.Column("member_ids", sa.JSON(), nullable=False),
        sa.Column("accepted_by", TEXT(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rules_version", TEXT(), nullable=False),
        sa.Column("replaces", sa.Integer(), nullable=True),
        sa.Column("replaced_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["leader_id"], ["auditors.id"]),
        sa.ForeignKeyConstraint(["replaces"], ["audit_assignments.id"]),
        sa.ForeignKeyConstraint(["replaced_by"], ["audit_assignments.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_assignments_case", "audit_assignments", ["case_id", "kind"])
    op.create_index("ix_audit_assignments_current", "audit_assignments", ["replaced_by"])
    op.create_table(
        "planning_warnings",
        sa.Column("key", TEXT(), nullable=False),
        sa.Column("text", TEXT(), nullable=False),
        sa.Column("warned_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("planning_warnings")
    op.drop_index("ix_audit_assignments_current", table_name="audit_assignments")
    op.drop_index("ix_audit_assignments_case", table_name="audit_assignments")
    op.drop_table("audit_assignments")
