"""An organisation's contact e-mail, where reminders before the surveillance window and before
expiry are written.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

Organisations registered before this revision have none: they get no e-mail until an operator
sets one (`starcert org update REF --contact-email ADDRESS`).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("organisations", sa.Column("contact_email", sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE organisations DROP COLUMN contact_email")
