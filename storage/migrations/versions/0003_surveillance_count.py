"""Each case counts the passing surveillances of its current validity period.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

The k-th surveillance of a period is due on the decision's k-th anniversary (but no more than one
interval after the last); which one is next is a count, not something its last date can tell
(an early audit would otherwise not count for the anniversary it was done for). The count is
rebuilt from each case's trail: a period starts at certify, recertify or restore_after_expiry;
a passing surveillance is a `surveil` event, or a `restore` that a surveillance cleared (its
event carries the audit's score).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PERIOD_STARTS = ("certify", "recertify", "restore_after_expiry")


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(
            sa.Column("surveillances", sa.Integer(), nullable=False, server_default="0")
        )
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT case_id, \"trigger\", data FROM events WHERE \"trigger\" IN"
            " ('certify', 'recertify', 'restore_after_expiry', 'surveil', 'restore')"
            " ORDER BY case_id, seq"
        )
    )
    counts: dict[int, int] = {}
    for case_id, trigger, data in rows:
        if trigger in PERIOD_STARTS:
            counts[case_id] = 0
        elif trigger == "surveil" or "score" in _plain(data):
            counts[case_id] = counts.get(case_id, 0) + 1
    updates = [{"n": n, "id": case_id} for case_id, n in counts.items() if n]
    if updates:
        conn.execute(sa.text("UPDATE cases SET surveillances = :n WHERE id = :id"), updates)


def downgrade() -> None:
    # Not a batch (copy and rename) on SQLite: the events trigger names the cases table.
    op.execute("ALTER TABLE cases DROP COLUMN surveillances")


def _plain(data: Any) -> dict[str, Any]:
    """Event data as stored: JSON text on SQLite, already decoded on PostgreSQL."""
    found = json.loads(data) if isinstance(data, str) else data
    return found if isinstance(found, dict) else {}
