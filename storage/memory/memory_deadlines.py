"""The in-memory deadline repository: due rows, leases, incidents, as the SQL one keeps them.

Due rows are read from the store's due index (storage.memory.memory_snapshot), in due order, up
to the first row not due yet: a claim costs what it takes, not the size of the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from operator import attrgetter

from storage import checks
from storage.formats import utc
from storage.memory.memory_tables import MemoryRepository
from workflows.errors import NotFound
from workflows.model import Deadline, DeadlineKind

_DUE_ORDER = attrgetter("due_at", "id")
"""`due_order` for stored rows (their ids are set), read in C."""


def _open(d: Deadline) -> bool:
    return d.done_at is None


def _leased(d: Deadline, worker: str, until: datetime) -> Deadline:
    """`d` leased to `worker` (the fields as dataclasses.replace would, in one call)."""
    return Deadline(d.id, d.case_id, d.kind, d.due_at, worker, until, d.done_at, d.attempts,
                    d.last_error)  # fmt: skip


class MemoryDeadlines(MemoryRepository):
    def add(self, deadline: Deadline) -> Deadline:
        return self.add_many((deadline,))[0]

    def add_many(self, deadlines: Sequence[Deadline]) -> Sequence[Deadline]:
        uow = self._uow
        cases = uow.data.cases
        added = []
        known = None  # the case last found: a command adds its own case's deadlines
        for deadline in deadlines:
            checks.new_row(deadline.id, "deadline")
            if deadline.kind.__class__ is not DeadlineKind:
                checks.member(deadline.kind, DeadlineKind, "deadline.kind")
            if deadline.case_id != known:
                if deadline.case_id not in cases:
                    self._case(deadline.case_id)  # raises CaseNotFound
                known = deadline.case_id
            lease, done = deadline.claimed_until, deadline.done_at
            stored = Deadline(
                uow.store.next_id("deadlines"), deadline.case_id, deadline.kind,
                utc(deadline.due_at, "deadline.due_at"), deadline.claimed_by,
                None if lease is None else utc(lease, "deadline.claimed_until"),
                None if done is None else utc(done, "deadline.done_at"), deadline.attempts,
                deadline.last_error,
            )  # fmt: skip
            uow.put("deadlines", stored.id, stored)
            added.append(stored)
        return added

    def _put(self, deadline: Deadline) -> None:
        self._uow.put("deadlines", deadline.id, deadline)

    def get(self, deadline_id: int) -> Deadline:
        found = self._uow.data.deadlines.get(deadline_id)
        if found is None:
            raise NotFound(f"deadline {deadline_id} not found")
        return found

    def open_for_case(self, case_id: int) -> Sequence[Deadline]:
        """The case's open deadlines in due order."""
        rows = self._uow.data.of_case("deadlines", case_id)
        return sorted([d for d in rows if d.done_at is None], key=_DUE_ORDER)

    def done_for_case(self, case_id: int) -> Sequence[Deadline]:
        """The case's deadlines already fired (or found obsolete), in due order."""
        rows = self._uow.data.of_case("deadlines", case_id)
        return sorted([d for d in rows if d.done_at is not None], key=_DUE_ORDER)

    def cancel_open(self, case_id: int, kinds: frozenset[DeadlineKind] | None = None) -> int:
        """Delete the case's open deadlines (of `kinds`, or all); returns how many."""
        gone = [
            d.id
            for d in self._uow.data.of_case("deadlines", case_id)
            if d.done_at is None and (kinds is None or d.kind in kinds)
        ]
        for deadline_id in sorted(gone):  # in the order the rows were made
            self._uow.delete("deadlines", deadline_id)
        return len(gone)

    def mark_done(self, deadline_id: int, at: datetime) -> None:
        row = self.get(deadline_id)
        done = utc(at, "done_at")
        d = row
        fired = Deadline(
            d.id, d.case_id, d.kind, d.due_at, d.claimed_by, None, done, d.attempts, d.last_error
        )
        self._put(fired)

    def due(self, now: datetime, limit: int) -> Sequence[Deadline]:
        """Open rows due at or before `now`, in due order, leased or not; claims nothing."""
        now = utc(now, "now")
        checks.batch(limit)
        found: list[Deadline] = []
        for d in self._uow.data.open_deadlines():
            if d.due_at > now or len(found) >= limit:
                break
            found.append(d)
        return found

    def claim_due(
        self, now: datetime, worker: str, lease_until: datetime, limit: int
    ) -> Sequence[Deadline]:
        """Lease up to `limit` open rows due by `now` whose lease is free or expired, due order."""
        now = utc(now, "now")
        lease_until = utc(lease_until, "lease_until")
        checks.text(worker, "worker")
        checks.batch(limit)
        free: list[Deadline] = []
        for d in self._uow.data.open_deadlines():
            if d.due_at > now or len(free) >= limit:
                break
            if d.claimed_until is None or d.claimed_until <= now:
                free.append(d)
        claimed = [_leased(d, worker, lease_until) for d in free]
        for row in claimed:
            self._put(row)
        return claimed

    def overdue_case_ids(self, now: datetime) -> Sequence[int]:
        """Ids of cases with an open deadline due at or before `now` (not yet fired), ascending."""
        now = utc(now, "now")
        found: set[int] = set()
        for d in self._uow.data.open_deadlines():
            if d.due_at > now:
                break
            found.add(d.case_id)
        return sorted(found)

    def release(self, deadline_id: int, worker: str) -> None:
        """Clear `worker`'s lease; a row gone, done or leased by another is left alone."""
        row = self._uow.data.deadlines.get(deadline_id)
        if row is not None and _open(row) and row.claimed_by == worker:
            self._put(replace(row, claimed_by=None, claimed_until=None))

    def record_failure(self, deadline_id: int, error: str, retry_at: datetime) -> None:
        """Count a failed firing and lease the row until `retry_at`; a row gone or already fired
        (by another daemon whose lease outlived ours) is left alone."""
        retry_at = utc(retry_at, "retry_at")
        row = self._uow.data.deadlines.get(deadline_id)
        if row is not None and _open(row):
            self._put(
                replace(row, attempts=row.attempts + 1, last_error=error, claimed_until=retry_at)
            )

    def next_due_at(self) -> datetime | None:
        """When the next open row may be claimed: its due time, or its lease end if later.

        Only the first open row of each case counts: a later one waits for it (see the SQL
        repository)."""
        best: datetime | None = None
        seen: set[int] = set()
        for d in self._uow.data.open_deadlines():
            if best is not None and d.due_at >= best:
                break  # every row after this one is ready no sooner than its due time
            if d.case_id in seen:
                continue  # waits behind an earlier row of its case
            seen.add(d.case_id)
            ready = d.due_at if d.claimed_until is None else max(d.due_at, d.claimed_until)
            if best is None or ready < best:
                best = ready
        return best

    def incidents(self) -> Sequence[Deadline]:
        """Open rows whose last firing failed, in due order."""
        return [d for d in self._uow.data.open_deadlines() if d.last_error is not None]
