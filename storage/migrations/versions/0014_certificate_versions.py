"""Each case counts the changes made to its certificate since its number was issued.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03

The count is the version shown after the certificate number (-A1, -A2). No release before this
one recorded a change, so every existing certificate is at version 0, what the default gives.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("amendments", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    # Not a batch (copy and rename) on SQLite: the events trigger names the cases table.
    op.execute("ALTER TABLE cases DROP COLUMN amendments")
