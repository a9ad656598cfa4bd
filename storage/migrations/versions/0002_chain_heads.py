"""Each case keeps the head of its event chain (newest seq and hash), moved by a trigger.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

Appending an event needs the previous event's seq and hash. Read with the case (which every
transition reads anyway), they cost no query of their own; and a trigger on the events table
moves them, so no writer can append without moving the head. The head also makes the chain's
end verifiable: a missing newest event no longer looks like a shorter, intact chain.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT = sqlmodel.sql.sqltypes.AutoString

MOVE_HEAD = "UPDATE cases SET head_seq = NEW.seq, head_hash = NEW.hash WHERE id = NEW.case_id"
BACKFILL = """UPDATE cases SET
    head_seq = COALESCE((SELECT max(e.seq) FROM events e WHERE e.case_id = cases.id), 0),
    head_hash = COALESCE((SELECT e.hash FROM events e WHERE e.case_id = cases.id
                          ORDER BY e.seq DESC LIMIT 1), '')"""

SQLITE_TRIGGER = [
    f"CREATE TRIGGER events_move_head AFTER INSERT ON events BEGIN {MOVE_HEAD}; END",
]
POSTGRES_TRIGGER = [
    f"""CREATE FUNCTION events_move_head() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN {MOVE_HEAD}; RETURN NULL; END $$""",
    """CREATE TRIGGER events_move_head AFTER INSERT ON events
        FOR EACH ROW EXECUTE FUNCTION events_move_head()""",
]


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("head_seq", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("head_hash", TEXT(), nullable=False, server_default=""))
    op.execute(BACKFILL)
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_TRIGGER if postgres else SQLITE_TRIGGER:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS events_move_head" + (" ON events" if _pg() else ""))
    if _pg():
        op.execute("DROP FUNCTION IF EXISTS events_move_head()")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("head_hash")
        batch.drop_column("head_seq")


def _pg() -> bool:
    return op.get_bind().dialect.name == "postgresql"
