"""Who revoked an account is recorded beside when.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

Accounts revoked before this revision keep an empty `revoked_by`: nothing recorded who.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("accounts", sa.Column("revoked_by", sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE accounts DROP COLUMN revoked_by")
