"""A real in-memory backend: the storage contract without a database, for tests and trials.

Several `MemoryUnitOfWork`s share one `MemoryStore`, the way several processes share a database.
A unit of work reads a snapshot taken when it is entered and keeps its writes to itself; `commit`
publishes them at once, and fails with ConcurrencyConflict (publishing nothing) when another unit
of work committed a change to any row this one changed since the snapshot: first committer wins.
Leaving the `with` block without commit discards the writes. Values are normalised exactly as the
SQL backend stores them (aware UTC instants, exact decimals, plain-JSON event data).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from types import TracebackType
from typing import Any, Self, TypeVar

from storage import checks
from storage.accounts import MemoryAccounts
from storage.formats import (
    decimal_from_text,
    decimal_text,
    plain_json,
    sheet_from_json,
    sheet_to_json,
    utc,
    utc_or_none,
)
from storage.outbox import MemoryOutbox
from storage.rule_versions import MemoryRuleVersions
from workflows.errors import (
    ApplicationNotFound,
    CaseNotFound,
    ConcurrencyConflict,
    InvalidInput,
    NotFound,
    OrganisationNotFound,
)
from workflows.model import (
    Application,
    Audit,
    AuditKind,
    Case,
    ChainHead,
    Deadline,
    DeadlineKind,
    Event,
    Organisation,
    StarLevel,
    State,
    SuspensionCause,
)
from workflows.ports import (
    Account,
    AccountRepository,
    ApplicationRepository,
    AuditRepository,
    CaseRepository,
    DeadlineRepository,
    EventLog,
    Notification,
    NotificationOutbox,
    OrganisationRepository,
    PublishedRules,
    RuleVersionRepository,
)

T = TypeVar("T")
Key = tuple[str, Any]  # (table, primary key)


@dataclass
class _Tables:
    organisations: dict[int, Organisation] = field(default_factory=dict)
    applications: dict[int, Application] = field(default_factory=dict)
    audits: dict[int, Audit] = field(default_factory=dict)
    cases: dict[int, Case] = field(default_factory=dict)
    deadlines: dict[int, Deadline] = field(default_factory=dict)
    events: dict[tuple[int, int], Event] = field(default_factory=dict)
    accounts: dict[int, Account] = field(default_factory=dict)
    notifications: dict[int, Notification] = field(default_factory=dict)
    rule_versions: dict[int, PublishedRules] = field(default_factory=dict)

    def copy(self) -> _Tables:
        return _Tables(
            dict(self.organisations),
            dict(self.applications),
            dict(self.audits),
            {k: replace(v) for k, v in self.cases.items()},  # Case is mutable
            dict(self.deadlines),
            dict(self.events),
            dict(self.accounts),
            dict(self.notifications),
            dict(self.rule_versions),
        )

    def table(self, name: str) -> dict[Any, Any]:
        table: dict[Any, Any] = getattr(self, name)
        return table


class MemoryStore:
    """The shared committed data, with a change stamp per row for first-committer-wins checks."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tables = _Tables()
        self.stamps: dict[Key, int] = {}
        self._stamp = itertools.count(1)
        self._ids: dict[str, Iterator[int]] = {}

    def next_id(self, table: str) -> int:
        """A fresh id, never reused, even when the unit of work that took it rolls back."""
        with self.lock:
            return next(self._ids.setdefault(table, itertools.count(1)))

    def next_stamp(self) -> int:
        return next(self._stamp)

    def uow(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self)


class MemoryUnitOfWork:
    """One transaction over a MemoryStore; see the module docstring for its isolation."""

    def __init__(self, store: MemoryStore | None = None) -> None:
        self.store = store if store is not None else MemoryStore()
        self._data: _Tables | None = None
        self._seen: dict[Key, int] = {}
        self._written: set[Key] = set()
        self._deleted: set[Key] = set()
        self.organisations: OrganisationRepository = MemoryOrganisations(self)
        self.applications: ApplicationRepository = MemoryApplications(self)
        self.audits: AuditRepository = MemoryAudits(self)
        self.cases: CaseRepository = MemoryCases(self)
        self.deadlines: DeadlineRepository = MemoryDeadlines(self)
        self.events: EventLog = MemoryEventLog(self)
        self.accounts: AccountRepository = MemoryAccounts(self)
        self.notifications: NotificationOutbox = MemoryOutbox(self)
        self.rule_versions: RuleVersionRepository = MemoryRuleVersions(self)

    # --- transaction ---------------------------------------------------------------------------

    def __enter__(self) -> Self:
        self._begin()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._data = None
        self._written.clear()
        self._deleted.clear()

    def _begin(self) -> None:
        with self.store.lock:
            self._data = self.store.tables.copy()
            self._seen = dict(self.store.stamps)
        self._written.clear()
        self._deleted.clear()

    def commit(self) -> None:
        data = self.data
        with self.store.lock:
            changed = self._written | self._deleted
            for key in sorted(changed, key=repr):
                if self.store.stamps.get(key, 0) != self._seen.get(key, 0):
                    raise ConcurrencyConflict(
                        f"{key[0]} {key[1]} was changed by another writer since this unit of work "
                        "began; retry"
                    )
            self._check_unique(data)
            for key in changed:
                table, pk = key
                target = self.store.tables.table(table)
                if key in self._deleted:
                    target.pop(pk, None)
                else:
                    value = data.table(table)[pk]
                    target[pk] = replace(value) if isinstance(value, Case) else value
                stamp = self.store.next_stamp()
                self.store.stamps[key] = stamp
                self._seen[key] = stamp
        self._written.clear()
        self._deleted.clear()

    def _check_unique(self, data: _Tables) -> None:
        committed = self.store.tables
        for key in self._written:
            table, pk = key
            if table == "organisations":
                code = data.organisations[pk].credit_code
                for other in committed.organisations.values():
                    if other.credit_code == code and other.id != pk:
                        raise InvalidInput(
                            "credit_code", f"{code} is already registered (organisation {other.id})"
                        )
            elif table == "accounts":
                name = data.accounts[pk].name
                if any(a.name == name and a.id != pk for a in committed.accounts.values()):
                    raise InvalidInput("name", f"account name {name!r} is taken")
            elif table == "rule_versions":
                ruleset = data.rule_versions[pk].ruleset
                unseen = [
                    p
                    for p in committed.rule_versions.values()
                    if p.ruleset == ruleset and ("rule_versions", p.id) not in self._seen
                ]
                if unseen:
                    raise ConcurrencyConflict(
                        f"another publisher stored {ruleset} {unseen[0].version} first; retry"
                    )
            elif table == "cases":
                number = data.cases[pk].number
                for case in committed.cases.values():
                    if number is not None and case.number == number and case.id != pk:
                        raise InvalidInput(
                            "number", f"certificate {number} is already held by case {case.id}"
                        )

    def rollback(self) -> None:
        """Discard uncommitted writes and start again from the store's current data."""
        self._begin()

    # --- used by the repositories --------------------------------------------------------------

    @property
    def data(self) -> _Tables:
        if self._data is None:
            raise RuntimeError("use the unit of work inside `with uow:`")
        return self._data

    def put(self, table: str, pk: Any, value: Any) -> None:
        self.data.table(table)[pk] = value
        self._written.add((table, pk))
        self._deleted.discard((table, pk))

    def delete(self, table: str, pk: Any) -> None:
        self.data.table(table).pop(pk, None)
        self._written.discard((table, pk))
        self._deleted.add((table, pk))


def _sorted(items: Iterable[T], key: Callable[[T], Any]) -> list[T]:
    return sorted(items, key=key)


class _Repo:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    def _case(self, case_id: int) -> Case:
        case = self._uow.data.cases.get(case_id)
        if case is None:
            raise CaseNotFound(f"case {case_id} not found")
        return case


class MemoryOrganisations(_Repo):
    def add(self, organisation: Organisation) -> Organisation:
        checks.new_row(organisation.id, "organisation")
        checks.text(organisation.name, "organisation.name")
        checks.text(organisation.credit_code, "organisation.credit_code")
        existing = self.by_credit_code(organisation.credit_code)
        if existing is not None:
            raise InvalidInput(
                "credit_code",
                f"{organisation.credit_code} is already registered (organisation {existing.id})",
            )
        stored = replace(organisation, id=self._uow.store.next_id("organisations"))
        self._uow.put("organisations", stored.id, stored)
        return stored

    def get(self, organisation_id: int) -> Organisation:
        found = self._uow.data.organisations.get(organisation_id)
        if found is None:
            raise OrganisationNotFound(f"organisation {organisation_id} not found")
        return found

    def by_credit_code(self, credit_code: str) -> Organisation | None:
        return next(
            (o for o in self._uow.data.organisations.values() if o.credit_code == credit_code),
            None,
        )


class MemoryApplications(_Repo):
    def add(self, application: Application) -> Application:
        checks.new_row(application.id, "application")
        checks.text(application.scope, "application.scope")
        if application.organisation_id not in self._uow.data.organisations:
            raise OrganisationNotFound(f"organisation {application.organisation_id} not found")
        stored = replace(application, id=self._uow.store.next_id("applications"))
        self._uow.put("applications", stored.id, stored)
        return stored

    def get(self, application_id: int) -> Application:
        found = self._uow.data.applications.get(application_id)
        if found is None:
            raise ApplicationNotFound(f"application {application_id} not found")
        return found


class MemoryAudits(_Repo):
    def add(self, audit: Audit) -> Audit:
        checks.new_row(audit.id, "audit")
        checks.member(audit.kind, AuditKind, "audit.kind")
        checks.text(audit.auditor, "audit.auditor")
        self._case(audit.case_id)
        sheet = None if audit.sheet is None else sheet_from_json(sheet_to_json(audit.sheet))
        stored = replace(audit, id=self._uow.store.next_id("audits"), sheet=sheet)
        self._uow.put("audits", stored.id, stored)
        return stored

    def for_case(self, case_id: int) -> Sequence[Audit]:
        """The case's audits in the order they were recorded."""
        return _sorted(
            (a for a in self._uow.data.audits.values() if a.case_id == case_id),
            key=lambda a: a.id,
        )

    def latest_date(self, case_id: int) -> date | None:
        return max((a.audit_date for a in self.for_case(case_id)), default=None)


def _normal_case(case: Case) -> Case:
    checks.member(case.state, State, "case.state")
    checks.text(case.holder, "case.holder")
    checks.text(case.scope, "case.scope")
    if case.star_level is not None:
        checks.member(case.star_level, StarLevel, "case.star_level")
    if case.suspension_cause is not None:
        checks.member(case.suspension_cause, SuspensionCause, "case.suspension_cause")
    score = decimal_from_text(decimal_text(case.final_score, "case.final_score"))
    return replace(case, final_score=score)


class MemoryCases(_Repo):
    def add(self, case: Case) -> Case:
        checks.new_row(case.id, "case")
        if case.organisation_id not in self._uow.data.organisations:
            raise OrganisationNotFound(f"organisation {case.organisation_id} not found")
        if case.application_id not in self._uow.data.applications:
            raise ApplicationNotFound(f"application {case.application_id} not found")
        stored = _normal_case(case)
        stored.id = self._uow.store.next_id("cases")
        self._unique_number(stored)
        self._uow.put("cases", stored.id, stored)
        return replace(stored)

    def get(self, case_id: int) -> Case:
        return replace(self._case(case_id))

    def by_number(self, number: str) -> Case:
        for case in self._uow.data.cases.values():
            if case.number == number:
                return replace(case)
        raise CaseNotFound(f"no case holds certificate {number}")

    def save(self, case: Case) -> None:
        """Write `case` if its stored version is still `case.version`; bumps `case.version`."""
        if case.id is None:
            raise InvalidInput("case.id", "a case must be added before it is saved")
        stored = self._case(case.id)
        if stored.version != case.version:
            raise ConcurrencyConflict(
                f"case {case.id} was changed by another writer (expected version {case.version}, "
                f"stored {stored.version}); retry"
            )
        updated = _normal_case(replace(case, version=case.version + 1))
        self._unique_number(updated)
        self._uow.put("cases", case.id, updated)
        case.version += 1

    def _unique_number(self, case: Case) -> None:
        if case.number is None:
            return
        for other in self._uow.data.cases.values():
            if other.number == case.number and other.id != case.id:
                raise InvalidInput(
                    "number", f"certificate {case.number} is already held by case {other.id}"
                )

    def list(
        self,
        *,
        state: State | None = None,
        star_level: StarLevel | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> Sequence[Case]:
        """Cases in id order, optionally only one state and/or star level; `limit`/`offset` page."""
        checks.page(limit, offset)
        found = [
            replace(c)
            for c in _sorted(self._uow.data.cases.values(), key=lambda c: c.id)
            if (state is None or c.state == state)
            and (star_level is None or c.star_level == star_level)
        ]
        end = None if limit is None else offset + limit
        return found[offset:end]


def _open(d: Deadline) -> bool:
    return d.done_at is None


def _due_order(d: Deadline) -> tuple[datetime, int]:
    return (d.due_at, d.id or 0)


class MemoryDeadlines(_Repo):
    def add(self, deadline: Deadline) -> Deadline:
        checks.new_row(deadline.id, "deadline")
        checks.member(deadline.kind, DeadlineKind, "deadline.kind")
        self._case(deadline.case_id)
        stored = replace(
            deadline,
            id=self._uow.store.next_id("deadlines"),
            due_at=utc(deadline.due_at, "deadline.due_at"),
            claimed_until=utc_or_none(deadline.claimed_until, "deadline.claimed_until"),
            done_at=utc_or_none(deadline.done_at, "deadline.done_at"),
        )
        self._put(stored)
        return stored

    def _put(self, deadline: Deadline) -> None:
        self._uow.put("deadlines", deadline.id, deadline)

    def _rows(self) -> list[Deadline]:
        return _sorted(self._uow.data.deadlines.values(), key=_due_order)

    def get(self, deadline_id: int) -> Deadline:
        found = self._uow.data.deadlines.get(deadline_id)
        if found is None:
            raise NotFound(f"deadline {deadline_id} not found")
        return found

    def open_for_case(self, case_id: int) -> Sequence[Deadline]:
        """The case's open deadlines in due order."""
        return [d for d in self._rows() if d.case_id == case_id and _open(d)]

    def done_for_case(self, case_id: int) -> Sequence[Deadline]:
        """The case's deadlines already fired (or found obsolete), in due order."""
        rows = [d for d in self._rows() if d.case_id == case_id and not _open(d)]
        return sorted(rows, key=lambda d: (d.due_at, d.id or 0))

    def cancel_open(self, case_id: int, kinds: frozenset[DeadlineKind] | None = None) -> int:
        """Delete the case's open deadlines (of `kinds`, or all); returns how many."""
        gone = [d for d in self.open_for_case(case_id) if kinds is None or d.kind in kinds]
        for d in gone:
            self._uow.delete("deadlines", d.id)
        return len(gone)

    def mark_done(self, deadline_id: int, at: datetime) -> None:
        row = self.get(deadline_id)
        self._put(replace(row, done_at=utc(at, "done_at"), claimed_until=None))

    def due(self, now: datetime, limit: int) -> Sequence[Deadline]:
        """Open rows due at or before `now`, in due order, leased or not; claims nothing."""
        now = utc(now, "now")
        checks.batch(limit)
        return [d for d in self._rows() if _open(d) and d.due_at <= now][:limit]

    def claim_due(
        self, now: datetime, worker: str, lease_until: datetime, limit: int
    ) -> Sequence[Deadline]:
        """Lease up to `limit` open rows due by `now` whose lease is free or expired, due order."""
        now = utc(now, "now")
        lease_until = utc(lease_until, "lease_until")
        checks.text(worker, "worker")
        checks.batch(limit)
        claimed: list[Deadline] = []
        for d in self._rows():
            if len(claimed) >= limit:
                break
            free = d.claimed_until is None or d.claimed_until <= now
            if _open(d) and d.due_at <= now and free:
                row = replace(d, claimed_by=worker, claimed_until=lease_until)
                self._put(row)
                claimed.append(row)
        return claimed

    def overdue_case_ids(self, now: datetime) -> Sequence[int]:
        """Ids of cases with an open deadline due at or before `now` (not yet fired), ascending."""
        now = utc(now, "now")
        return sorted(
            {d.case_id for d in self._uow.data.deadlines.values() if _open(d) and d.due_at <= now}
        )

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
        """When the next open row may be claimed: its due time, or its lease end if later."""
        times = [
            max(d.due_at, d.claimed_until) if d.claimed_until is not None else d.due_at
            for d in self._uow.data.deadlines.values()
            if _open(d)
        ]
        return min(times, default=None)

    def incidents(self) -> Sequence[Deadline]:
        """Open rows whose last firing failed, in due order."""
        return [d for d in self._rows() if _open(d) and d.last_error is not None]


class MemoryEventLog(_Repo):
    def append(self, event: Event) -> Event:
        """Add the next event of a case; a (case, seq) already taken is a ConcurrencyConflict."""
        self._case(event.case_id)
        checks.member(event.to_state, State, "event.to_state")
        if event.from_state is not None:
            checks.member(event.from_state, State, "event.from_state")
        if event.seq < 1:
            raise InvalidInput("event.seq", f"must be 1 or more (got {event.seq})")
        key = (event.case_id, event.seq)
        if key in self._uow.data.events:
            raise ConcurrencyConflict(
                f"case {event.case_id} already has event {event.seq}: another writer appended first"
            )
        stored = replace(
            event, at=utc(event.at, "event.at"), data=plain_json(event.data, "event.data")
        )
        self._uow.put("events", key, stored)
        return stored

    def head(self, case_id: int) -> ChainHead | None:
        events = self.for_case(case_id)
        return ChainHead(events[-1].seq, events[-1].hash) if events else None

    def for_case(self, case_id: int) -> Sequence[Event]:
        """The case's events in sequence order."""
        return _sorted(
            (e for (cid, _), e in self._uow.data.events.items() if cid == case_id),
            key=lambda e: e.seq,
        )

    def all_case_ids(self) -> Iterator[int]:
        """Ids of every case on record or named by an event, ascending."""
        return iter(sorted({cid for cid, _ in self._uow.data.events} | set(self._uow.data.cases)))


__all__ = ["MemoryStore", "MemoryUnitOfWork"]
