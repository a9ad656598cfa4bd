"""What an application says of the client's size and field, for the audit time and the team
rules: the professional area (of the body's list), effective personnel and number of sites.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03

Applications made before this revision have none of the three: nothing is guessed for them.
`starcert team check` asks for them on the command line (--area, --personnel, --sites) until
they are given.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("applications", sa.Column("area", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.add_column("applications", sa.Column("personnel", sa.Integer(), nullable=True))
    op.add_column("applications", sa.Column("sites", sa.Integer(), nullable=True))


def downgrade() -> None:
    for column in ("sites", "personnel", "area"):
        op.execute(f"ALTER TABLE applications DROP COLUMN {column}")
