"""Signed checkpoints over every case's chain head, and the public keys that signed them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

A checkpoint keeps the heads it was made over (case id, seq, hash) beside their Merkle root and
the Ed25519 signature, so it can be exported and checked against the trail later. Public keys
stay as long as checkpoints they signed do: a rotated key's old checkpoints still verify.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT = sqlmodel.sql.sqltypes.AutoString
INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "checkpoint_keys",
        sa.Column("key_id", TEXT(), nullable=False),
        sa.Column("public_key", TEXT(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("key_id"),
    )
    op.create_table(
        "checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_id", TEXT(), nullable=False),
        sa.Column("tree_size", sa.Integer(), nullable=False),
        sa.Column("root", TEXT(), nullable=False),
        sa.Column("signed_at", INSTANT, nullable=False),
        sa.Column("signature", TEXT(), nullable=False),
        sa.Column("heads", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["key_id"], ["checkpoint_keys.key_id"]),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("checkpoints")
    op.drop_table("checkpoint_keys")
