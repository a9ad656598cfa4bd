"""A case's open deadlines in due order, as an index.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

The daemon's next wake-up asks, for the earliest unleased open deadline, whether an earlier open
one of the same case holds it back; reading a case's open deadlines (every command does) no
longer passes over its fired ones either.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("done_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_deadlines_open_case",
        "deadlines",
        ["case_id", "due_at", "id"],
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index("ix_deadlines_open_case", table_name="deadlines")
