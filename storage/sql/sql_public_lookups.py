"""The public verification's hot path on SQL: autocommit reads on an engine of their own.

`verify` is one indexed lookup by certificate number returning only public columns; it neither
waits for writers nor makes them wait (the unit-of-work engine opens every SQLite transaction
with BEGIN IMMEDIATE, the write lock).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import col, select

from storage.certificate_trail import ISSUING, replaced
from storage.sql.engines import SQLITE_BUSY_TIMEOUT_S, parse_url
from storage.sql.sql_errors import translated
from storage.sql.tables import EventRow
from workflows.model import StarLevel, State
from workflows.numbering import case_id_of
from workflows.read_ports import PublicCertificate, Replaced

_VERIFY = sa.text(
    "SELECT number, holder, scope, state, star_level, issued_on, expires_on, "
    "last_surveillance_on FROM cases WHERE number = :number LIMIT 1"
).columns(
    sa.column("number", sa.String),
    sa.column("holder", sa.String),
    sa.column("scope", sa.String),
    sa.column("state", sa.String),
    sa.column("star_level", sa.String),
    sa.column("issued_on", sa.Date),
    sa.column("expires_on", sa.Date),
    sa.column("last_surveillance_on", sa.Date),
)
"""Plain SQL on the uq_cases_number index: the hot path skips statement building and adaptation."""


_ISSUED = (
    select(EventRow.data)
    .where(col(EventRow.case_id) == sa.bindparam("case_id"), col(EventRow.trigger).in_(ISSUING))
    .order_by(col(EventRow.seq))
)
"""What each issuing event recorded (its `number`, `decided_on`), in the case's order."""


def replaced_number(engine: Engine, number: str) -> Replaced | None:
    """`number` if it was issued once and a renewal has since given its case another number.

    Numbers carry their case id (workflows.numbering), so this reads one case's trail, by index.
    """
    case_id = case_id_of(number)
    if case_id is None:
        return None
    with translated(), engine.connect() as conn:
        issued = [data or {} for data in conn.execute(_ISSUED, {"case_id": case_id}).scalars()]
        current = conn.execute(
            sa.text("SELECT number FROM cases WHERE id = :id"), {"id": case_id}
        ).scalar()
    return replaced(number, case_id, issued, current)


def make_read_engine(url: str) -> Engine:
    """An engine for single-statement reads: autocommit, so a read never opens a transaction.

    The unit-of-work engine opens every SQLite transaction with BEGIN IMMEDIATE (the write
    lock); public lookups must neither wait for writers nor make them wait.
    """
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        return sa.create_engine(
            parsed,
            isolation_level="AUTOCOMMIT",
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
        )
    # No pre-ping (it doubles the round trips); verify_row retries once on a dropped connection.
    return sa.create_engine(parsed, isolation_level="AUTOCOMMIT", pool_size=10)


def verify_row(engine: Engine, number: str) -> PublicCertificate | None:
    """The public fields of certificate `number`, or None; one indexed single-statement read."""
    with translated():
        try:
            with engine.connect() as conn:
                row = conn.execute(_VERIFY, {"number": number}).first()
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            with engine.connect() as conn:  # the pool dropped a dead connection: once more
                row = conn.execute(_VERIFY, {"number": number}).first()
    if row is None:
        return None
    return PublicCertificate(
        number=str(row[0]),
        holder=row[1],
        scope=row[2],
        state=State(row[3]),
        star_level=None if row[4] is None else StarLevel(row[4]),
        issued_on=row[5],
        expires_on=row[6],
        last_surveillance_on=row[7],
    )


class SqlPublicLookups:
    """`PublicLookups` on an autocommit engine of its own (connects on first use)."""

    def __init__(self, url: str) -> None:
        self.engine = make_read_engine(url)

    def verify(self, number: str) -> PublicCertificate | None:
        return verify_row(self.engine, number)

    def replaced_number(self, number: str) -> Replaced | None:
        return replaced_number(self.engine, number)

    def close(self) -> None:
        self.engine.dispose()
