"""The auditor register: auditors, their areas, languages, unavailability, client relations
and the history of every change.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT = sqlmodel.sql.sqltypes.AutoString
INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "auditors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", TEXT(), nullable=False),
        sa.Column("registration", TEXT(), nullable=False),
        sa.Column("grade", TEXT(), nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("registration", name="uq_auditors_registration"),
    )
    op.create_index("ix_auditors_valid_until", "auditors", ["valid_until"])
    op.create_table(
        "auditor_areas",
        sa.Column("auditor_id", sa.Integer(), nullable=False),
        sa.Column("area", TEXT(), nullable=False),
        sa.ForeignKeyConstraint(["auditor_id"], ["auditors.id"]),
        sa.PrimaryKeyConstraint("auditor_id", "area"),
    )
    op.create_index("ix_auditor_areas_area", "auditor_areas", ["area"])
    op.create_table(
        "auditor_languages",
        sa.Column("auditor_id", sa.Integer(), nullable=False),
        sa.Column("language", TEXT(), nullable=False),
        sa.ForeignKeyConstraint(["auditor_id"], ["auditors.id"]),
        sa.PrimaryKeyConstraint("auditor_id", "language"),
    )
    op.create_table(
        "auditor_unavailability",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("auditor_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["auditor_id"], ["auditors.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_auditor_unavailability_auditor", "auditor_unavailability", ["auditor_id", "starts_on"]
    )
    op.create_table(
        "auditor_relations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("auditor_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("kind", TEXT(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["auditor_id"], ["auditors.id"]),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_auditor_relations_auditor", "auditor_relations", ["auditor_id"])
    op.create_index("ix_auditor_relations_organisation", "auditor_relations", ["organisation_id"])
    op.create_table(
        "auditor_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("auditor_id", sa.Integer(), nullable=False),
        sa.Column("at", INSTANT, nullable=False),
        sa.Column("by", TEXT(), nullable=False),
        sa.Column("action", TEXT(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["auditor_id"], ["auditors.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_auditor_changes_auditor", "auditor_changes", ["auditor_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_auditor_changes_auditor", table_name="auditor_changes")
    op.drop_table("auditor_changes")
    op.drop_index("ix_auditor_relations_organisation", table_name="auditor_relations")
    op.drop_index("ix_auditor_relations_auditor", table_name="auditor_relations")
    op.drop_table("auditor_relations")
    op.drop_index("ix_auditor_unavailability_auditor", table_name="auditor_unavailability")
    op.drop_table("auditor_unavailability")
    op.drop_table("auditor_languages")
    op.drop_index("ix_auditor_areas_area", table_name="auditor_areas")
    op.drop_table("auditor_areas")
    op.drop_index("ix_auditors_valid_until", table_name="auditors")
    op.drop_table("auditors")
