"""A daemon's heartbeat records when it last beat, apart from when its last tick ended.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

A long catch-up tick beats while it fires, so `starcert health` can tell a daemon busy firing
from one that stopped ticking. Rows written before this revision have no beat recorded.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("daemon_status", sa.Column("beat_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE daemon_status DROP COLUMN beat_at")
