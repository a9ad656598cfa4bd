"""The host account that ran a CLI command is recorded beside the `--by` it declared.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

`--by` is what the operator says of themselves; the operating-system user is what the host says.
Rule versions and accounts written before this revision, and those written over the API (whose
actor is the token's account), have none recorded.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("rule_versions", "published_by_os_user"),
    ("accounts", "created_by_os_user"),
    ("accounts", "revoked_by_os_user"),
)


def upgrade() -> None:
    for table, column in COLUMNS:
        op.add_column(table, sa.Column(column, sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    for table, column in reversed(COLUMNS):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
