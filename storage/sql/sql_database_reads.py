"""`DatabaseReads` on SQL: whole-database views for operators, each a read of committed rows.

Daemon status (the deadline table and outbox at a glance), the simulation's summary, and the bulk
reads of a rule impact: the whole register in a few queries, so 100,000 certificates take
seconds (bench/bench_impact.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.engine import Engine

from storage.formats import from_stored, from_stored_or_none, sheet_from_json, sheet_plain
from storage.sql import mapping
from storage.sql.sql_errors import translated
from storage.sql.sql_public_lookups import replaced_number
from storage.sql.tables import metadata
from workflows.errors import BrokenRecord
from workflows.model import Application, Case, Deadline, DeadlineKind, ScoreSheet, State
from workflows.read_ports import DeadlineWatch, LeaseHolder, OperationsCounts, Replaced

TABLES = metadata.tables
_CASES = TABLES["cases"]
_DEADLINES = TABLES["deadlines"].c
_NOTIFICATIONS = TABLES["notifications"].c


def _instant(value: Any) -> datetime | None:
    """An aggregate's instant: SQLite hands back text, PostgreSQL a datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return from_stored_or_none(value)


def _listed(row: Any) -> Deadline:
    """A deadline as listed for operators: one whose kind this starcert cannot read keeps it."""
    try:
        return mapping.deadline(row)
    except BrokenRecord:
        return mapping.deadline(row, kind=cast(DeadlineKind, row.kind))


class SqlDatabaseReads:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def replaced_number(self, number: str) -> Replaced | None:
        return replaced_number(self.engine, number)

    def deadline_watch(self, now: datetime, *, limit: int, max_attempts: int) -> DeadlineWatch:
        d = _DEADLINES
        open_ = d.done_at.is_(None)
        healthy = d.last_error.is_(None)
        order = (d.due_at, d.id)
        pending = _NOTIFICATIONS.delivered_at.is_(None)
        attempts = _NOTIFICATIONS.attempts
        with translated(), self.engine.connect() as conn:
            due = conn.execute(
                select(func.count(), func.min(d.due_at)).where(open_, healthy, d.due_at <= now)
            ).one()
            upcoming = conn.execute(
                select(TABLES["deadlines"]).where(open_, d.due_at > now).order_by(*order)
                .limit(limit)
            ).all()  # fmt: skip
            leased = conn.execute(
                select(d.claimed_by, func.count(), func.max(d.claimed_until))
                .where(open_, healthy, d.claimed_until > now)
                .group_by(d.claimed_by)
                .order_by(d.claimed_by)
            ).all()
            incidents = conn.execute(
                select(TABLES["deadlines"]).where(open_, d.last_error.is_not(None)).order_by(*order)
            ).all()
            waiting = conn.execute(
                select(func.count()).where(pending, attempts < max_attempts)
            ).scalar_one()
            given_up = conn.execute(
                select(func.count()).where(pending, attempts >= max_attempts)
            ).scalar_one()
        holders = []
        for worker, count, until in leased:
            stored = _instant(until)
            assert stored is not None
            holders.append(LeaseHolder(str(worker), int(count), stored))
        return DeadlineWatch(
            overdue=int(due[0]),
            oldest_overdue=_instant(due[1]),
            upcoming=[_listed(r) for r in upcoming],
            lease_holders=holders,
            incidents=[_listed(r) for r in incidents],
            outbox_pending=int(waiting),
            outbox_given_up=int(given_up),
        )

    def operations_counts(
        self, now: datetime, *, late_before: datetime, max_attempts: int
    ) -> OperationsCounts:
        d = _DEADLINES
        n = _NOTIFICATIONS
        open_ = d.done_at.is_(None)
        failing = d.last_error.is_not(None)
        given_up = n.attempts >= max_attempts
        with translated(), self.engine.connect() as conn:
            due, late, incidents = conn.execute(
                select(
                    func.count().filter(~failing, d.due_at <= now),
                    func.count().filter(~failing, d.due_at <= late_before),
                    func.count().filter(failing),
                ).where(open_)
            ).one()
            outbox = conn.execute(
                select(n.channel, given_up, func.count())
                .where(n.delivered_at.is_(None))
                .group_by(n.channel, given_up)
            ).all()
        return OperationsCounts(
            deadlines_due=int(due),
            deadlines_late=int(late),
            deadlines_in_incident=int(incidents),
            outbox={
                (str(channel), "given_up" if gave_up else "pending"): int(count)
                for channel, gave_up, count in outbox
            },
        )

    def register_counts(self) -> dict[tuple[str, str | None], int]:
        c = _CASES.c
        stmt = (
            select(c.state, c.star_level, func.count())
            .group_by(c.state, c.star_level)
            .order_by(c.state, c.star_level)
        )
        with translated(), self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        return {(str(state), star): int(n) for state, star, n in rows}

    def notifications_written(self) -> int:
        with translated(), self.engine.connect() as conn:
            found = conn.execute(select(func.count()).select_from(TABLES["notifications"]))
            return int(found.scalar_one())

    def case_states(self) -> list[str]:
        with translated(), self.engine.connect() as conn:
            return [str(state) for (state,) in conn.execute(select(_CASES.c.state))]

    def cases(self, states: Collection[State] | None = None) -> list[Case]:
        stmt = select(_CASES).order_by(_CASES.c.id)
        if states is not None:
            stmt = stmt.where(_CASES.c.state.in_(sorted(str(s) for s in states)))
        with translated(), self.engine.connect() as conn:
            return [mapping.case(cast(Any, r)) for r in conn.execute(stmt)]

    def latest_sheets(self) -> dict[int, ScoreSheet]:
        return {case_id: sheet_from_json(sheet) for case_id, sheet in self._latest_sheets().items()}

    def latest_sheets_plain(self) -> dict[int, dict[str, Any]]:
        return {case_id: sheet_plain(sheet) for case_id, sheet in self._latest_sheets().items()}

    def _latest_sheets(self) -> dict[int, Any]:
        """Each case's latest scored sheet, as its stored document."""
        t = TABLES["audits"].c
        stmt = (
            select(t.case_id, t.sheet)
            .where(t.sheet.is_not(None))
            .order_by(t.case_id, t.audit_date, t.id)
        )
        raw: dict[int, Any] = {}
        with translated(), self.engine.connect() as conn:
            for case_id, sheet in conn.execute(stmt):
                if sheet is not None:  # an unscored audit's sheet is stored as JSON null
                    raw[case_id] = sheet
        return raw

    def applications(self, ids: Collection[int]) -> dict[int, Application]:
        if not ids:
            return {}
        wanted = set(ids)
        with translated(), self.engine.connect() as conn:
            rows = conn.execute(select(TABLES["applications"])).all()
        return {r.id: mapping.application(cast(Any, r)) for r in rows if r.id in wanted}

    def deadlines_by_case(
        self, *, done_of_kinds: Collection[DeadlineKind] | None = None
    ) -> dict[int, list[Deadline]]:
        d = _DEADLINES
        which: ColumnElement[bool]
        if done_of_kinds is None:
            which = d.done_at.is_(None)
        else:
            which = d.done_at.is_not(None) & d.kind.in_(sorted(str(k) for k in done_of_kinds))
        found: dict[int, list[Deadline]] = defaultdict(list)
        stmt = select(d.id, d.case_id, d.kind, d.due_at).where(which)
        with translated(), self.engine.connect() as conn:
            for deadline_id, case_id, kind, due in conn.execute(stmt):
                found[case_id].append(
                    Deadline(deadline_id, case_id, DeadlineKind(kind), from_stored(due))
                )
        return found
