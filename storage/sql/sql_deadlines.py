"""The SQL deadline repository: due rows, leases (`FOR UPDATE SKIP LOCKED`), incidents."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import case as sql_case
from sqlalchemy import func, tuple_, update
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from storage import checks
from storage.formats import from_stored, utc
from storage.sql import mapping
from storage.sql import statements as st
from storage.sql.sql_cases import SqlRepository
from storage.sql.tables import DeadlineRow
from workflows.errors import BrokenRecord, NotFound
from workflows.model import Deadline, DeadlineKind

_OPEN = col(DeadlineRow.done_at).is_(None)
_DUE_ORDER = (col(DeadlineRow.due_at), col(DeadlineRow.id))


class SqlDeadlines(SqlRepository):
    def add(self, deadline: Deadline) -> Deadline:
        values = mapping.deadline_values(deadline)
        self._need_case(deadline.case_id)
        self._uow.memo.forget_deadlines(case_id=deadline.case_id)
        new_id = self._uow.insert_row(st.INSERT_DEADLINE_P, values)
        return mapping.stored_deadline(deadline, values, new_id)

    def add_many(self, deadlines: Sequence[Deadline]) -> Sequence[Deadline]:
        """One multi-row INSERT ... RETURNING for all of them (a decision plans four or five).

        Rows come back in no promised order: each is known by its case and kind, so a batch
        holding one (case, kind) twice is added row by row."""
        keys = {(d.case_id, str(d.kind)) for d in deadlines}
        if len(deadlines) < 2 or len(keys) < len(deadlines):
            return [self.add(d) for d in deadlines]
        values = [mapping.deadline_values(d) for d in deadlines]
        for case_id in {d.case_id for d in deadlines}:
            self._need_case(case_id)
            self._uow.memo.forget_deadlines(case_id=case_id)
        params = {f"{k}_{i}": v for i, row in enumerate(values) for k, v in row.items()}
        returned = self._uow.insert_rows(st.insert_deadlines_p(len(values)), params)
        ids = {(int(case_id), str(kind)): int(new_id) for new_id, case_id, kind in returned}
        return [
            mapping.stored_deadline(d, row, ids[(d.case_id, row["kind"])])
            for d, row in zip(deadlines, values, strict=True)
        ]

    def get(self, deadline_id: int) -> Deadline:
        row = self._uow.first(select(DeadlineRow).where(DeadlineRow.id == deadline_id))
        if row is None:
            raise NotFound(f"deadline {deadline_id} not found")
        return mapping.deadline(row)

    def _list(self, stmt: SelectOfScalar[DeadlineRow]) -> list[Deadline]:
        return [mapping.deadline(r) for r in self._uow.rows(stmt)]

    def open_for_case(self, case_id: int) -> Sequence[Deadline]:
        """The case's open deadlines in due order."""
        memo = self._uow.memo
        found = memo.open_deadlines.get(case_id)
        if found is None:  # all of them in one statement: the done ones are asked for next
            rows = memo.ahead_deadlines.pop(case_id, None)
            if rows is None:
                rows = self._uow.fetch_all(st.DEADLINES_OF_CASE_P, {"b_case_id": case_id})
            found = memo.open_deadlines[case_id] = [
                mapping.deadline(r) for r in rows if r.done_at is None
            ]
            memo.done_deadlines[case_id] = [r for r in rows if r.done_at is not None]
        return list(found)

    def done_for_case(self, case_id: int) -> Sequence[Deadline]:
        """The case's deadlines already fired (or found obsolete), in due order."""
        rows = self._uow.memo.done_deadlines.get(case_id)
        if rows is None:
            rows = self._uow.fetch_all(st.DONE_DEADLINES_OF_CASE_P, {"b_case_id": case_id})
        return [mapping.deadline(r) for r in rows]

    def cancel_open(self, case_id: int, kinds: frozenset[DeadlineKind] | None = None) -> int:
        """Delete the case's open deadlines (of `kinds`, or all) in one statement; how many."""
        self._uow.memo.forget_deadlines(case_id=case_id)
        if kinds is None:
            return self._uow.write(st.CANCEL_OPEN_P, {"b_case_id": case_id})
        if not kinds:
            return 0
        params: dict[str, Any] = {"b_case_id": case_id}
        for i, kind in enumerate(sorted(str(k) for k in kinds)):
            params[f"b_kind{i}"] = kind
        return self._uow.write(st.cancel_open_of_kinds_p(len(kinds)), params)

    def mark_done(self, deadline_id: int, at: datetime) -> None:
        """Close the row (it never fires again) and drop its lease."""
        at = utc(at, "done_at")
        self._uow.memo.forget_deadlines(deadline_id=deadline_id)
        if self._uow.write(st.MARK_DEADLINE_DONE_P, {"b_id": deadline_id, "done_at": at}) != 1:
            raise NotFound(f"deadline {deadline_id} not found")

    def _update(self, deadline_id: int, *conditions: Any, **values: Any) -> None:
        stmt = (
            update(DeadlineRow)
            .where(col(DeadlineRow.id) == deadline_id, *conditions)
            .values(**values)
        )
        self._uow.memo.forget_deadlines(deadline_id=deadline_id)
        self._uow.core(stmt)

    def _due(self, now: datetime) -> SelectOfScalar[DeadlineRow]:
        return (
            select(DeadlineRow).where(_OPEN, col(DeadlineRow.due_at) <= now).order_by(*_DUE_ORDER)
        )

    def due(self, now: datetime, limit: int) -> Sequence[Deadline]:
        """Open rows due at or before `now`, in due order, leased or not; claims nothing."""
        now = utc(now, "now")
        checks.batch(limit)
        return self._list(self._due(now).limit(limit))

    def claim_due(
        self, now: datetime, worker: str, lease_until: datetime, limit: int
    ) -> Sequence[Deadline]:
        """Lease up to `limit` open rows due by `now` whose lease is free or expired, due order.

        PostgreSQL: `FOR UPDATE SKIP LOCKED`, so daemons claiming at once get disjoint rows.
        SQLite: the transaction holds the single write lock (BEGIN IMMEDIATE), same effect.
        The lease is only visible to others once the caller commits. One `UPDATE ... WHERE id
        IN (pick) RETURNING` leases and reads the rows (the pick, the lease and a read of the
        leased rows were three statements through SQLAlchemy); they are put in due order here.
        """
        now = utc(now, "now")
        lease_until = utc(lease_until, "lease_until")
        self._uow.memo.forget_deadlines()
        checks.text(worker, "worker")
        checks.batch(limit)
        if limit == 0:
            return []
        params = {"b_now": now, "b_limit": limit, "claimed_by": worker}
        params["claimed_until"] = lease_until
        rows = self._uow.fetch_all(st.CLAIM_DUE_P, params)
        rows.sort(key=_due_order)
        claimed = []
        for row in rows:
            try:
                claimed.append(mapping.deadline(row))
            except BrokenRecord as exc:  # an incident, not a stop for every other deadline
                assert row.id is not None
                self.record_failure(row.id, f"BrokenRecord: {exc}", lease_until)
        return claimed

    def overdue_case_ids(self, now: datetime) -> Sequence[int]:
        """Ids of cases with an open deadline due at or before `now` (not yet fired), ascending."""
        now = utc(now, "now")
        stmt = (
            select(DeadlineRow.case_id)
            .where(_OPEN, col(DeadlineRow.due_at) <= now)
            .distinct()
            .order_by(col(DeadlineRow.case_id))
        )
        return list(self._uow.session.exec(stmt).all())

    def release(self, deadline_id: int, worker: str) -> None:
        """Clear `worker`'s lease; a row gone, done or leased by another is left alone."""
        self._update(
            deadline_id,
            _OPEN,
            col(DeadlineRow.claimed_by) == worker,
            claimed_by=None,
            claimed_until=None,
        )

    def record_failure(self, deadline_id: int, error: str, retry_at: datetime) -> None:
        """Count a failed firing and lease the row until `retry_at`; a row gone or already fired
        (by another daemon whose lease outlived ours) is left alone."""
        retry_at = utc(retry_at, "retry_at")
        self._update(
            deadline_id,
            _OPEN,
            attempts=col(DeadlineRow.attempts) + 1,
            last_error=error,
            claimed_until=retry_at,
        )

    def next_due_at(self) -> datetime | None:
        """When the next open row may be claimed: its due time, or its lease end if later.

        A case's rows fire in due order, so only the first open row of each case counts: a later
        one waiting behind a leased row (another daemon's, a dead one's, an incident's back-off)
        is ready no sooner than that lease ends, and waking at its own past due time would only
        defer it again. Two index-served queries: the earliest unleased first row of its case
        (ix_deadlines_open_due, each candidate checked in ix_deadlines_open_case), and the (few)
        leased rows.
        """
        unleased_first, leased = _next_due_queries()
        unleased = self._uow.session.exec(unleased_first).first()
        ready = self._uow.session.exec(leased).first()
        times = [t for t in (unleased, _instant(ready)) if t is not None]
        return min(times, default=None)

    def incidents(self) -> Sequence[Deadline]:
        """Open rows whose last firing failed, in due order; a row this starcert cannot read
        is listed with its kind as stored, so that it can be seen and fixed."""
        rows = self._uow.rows(
            select(DeadlineRow)
            .where(_OPEN, col(DeadlineRow.last_error).is_not(None))
            .order_by(*_DUE_ORDER)
        )
        found = []
        for row in rows:
            try:
                found.append(mapping.deadline(row))
            except BrokenRecord:
                found.append(mapping.deadline(row, kind=cast(DeadlineKind, row.kind)))
        return found


def _due_order(row: Any) -> tuple[datetime, int]:
    return row.due_at, row.id


def _instant(value: Any) -> datetime | None:
    """A MIN(CASE ...) result: SQLite hands back text, PostgreSQL a datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return from_stored(value)


@functools.cache
def _next_due_queries() -> tuple[SelectOfScalar[datetime], SelectOfScalar[Any]]:
    """next_due_at's two statements, built once (building them costs more than running them)."""
    earlier = aliased(DeadlineRow, name="earlier")
    waits = (
        select(earlier.id)
        .where(
            col(earlier.case_id) == col(DeadlineRow.case_id),
            col(earlier.done_at).is_(None),
            tuple_(col(earlier.due_at), col(earlier.id))
            < tuple_(col(DeadlineRow.due_at), col(DeadlineRow.id)),
        )
        .exists()
    )
    unleased_first = (
        select(DeadlineRow.due_at)
        .where(_OPEN, col(DeadlineRow.claimed_until).is_(None), ~waits)
        .order_by(col(DeadlineRow.due_at))
        .limit(1)
    )
    until = col(DeadlineRow.claimed_until)
    due_at = col(DeadlineRow.due_at)
    leased = select(func.min(sql_case((until > due_at, until), else_=due_at))).where(
        _OPEN, until.is_not(None)
    )
    return unleased_first, leased
