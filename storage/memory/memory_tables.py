"""The in-memory backend's tables and transaction: the storage contract without a database, for tests and trials.

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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any, Self, TypeVar

from workflows.errors import CaseNotFound, ConcurrencyConflict, InvalidInput
from workflows.model import Application, Audit, Case, Deadline, Event, Organisation
from workflows.ports import Account, Notification, PublishedRules

T = TypeVar("T")
Key = tuple[str, Any]  # (table, primary key)


@dataclass
class Tables:
    organisations: dict[int, Organisation] = field(default_factory=dict)
    applications: dict[int, Application] = field(default_factory=dict)
    audits: dict[int, Audit] = field(default_factory=dict)
    cases: dict[int, Case] = field(default_factory=dict)
    deadlines: dict[int, Deadline] = field(default_factory=dict)
    events: dict[tuple[int, int], Event] = field(default_factory=dict)
    accounts: dict[int, Account] = field(default_factory=dict)
    notifications: dict[int, Notification] = field(default_factory=dict)
    rule_versions: dict[int, PublishedRules] = field(default_factory=dict)

    def copy(self) -> Tables:
        return Tables(
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


class SharedTables:
    """The shared committed data, with a change stamp per row for first-committer-wins checks."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tables = Tables()
        self.stamps: dict[Key, int] = {}
        self._stamp = itertools.count(1)
        self._ids: dict[str, Iterator[int]] = {}

    def next_id(self, table: str) -> int:
        """A fresh id, never reused, even when the unit of work that took it rolls back."""
        with self.lock:
            return next(self._ids.setdefault(table, itertools.count(1)))

    def next_stamp(self) -> int:
        return next(self._stamp)


class MemoryTransaction:
    """One transaction over shared tables; see the module docstring for its isolation."""

    def __init__(self, store: SharedTables) -> None:
        self.store = store
        self._data: Tables | None = None
        self._seen: dict[Key, int] = {}
        # Dicts used as ordered sets: commit applies the writes in the order they were made, so
        # the committed tables keep each transaction's rows (a case's events) in that order.
        self._written: dict[Key, None] = {}
        self._deleted: dict[Key, None] = {}

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
            changed = [*self._written, *self._deleted]
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

    def _check_unique(self, data: Tables) -> None:
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
    def data(self) -> Tables:
        if self._data is None:
            raise RuntimeError("use the unit of work inside `with uow:`")
        return self._data

    def put(self, table: str, pk: Any, value: Any) -> None:
        self.data.table(table)[pk] = value
        self._written[(table, pk)] = None
        self._deleted.pop((table, pk), None)

    def delete(self, table: str, pk: Any) -> None:
        self.data.table(table).pop(pk, None)
        self._written.pop((table, pk), None)
        self._deleted[(table, pk)] = None

    def next_id(self, table: str) -> int:
        return self.store.next_id(table)


def sorted_by(items: Iterable[T], key: Callable[[T], Any]) -> list[T]:
    return sorted(items, key=key)


def _sorted(items: Iterable[T], key: Callable[[T], Any]) -> list[T]:
    return sorted(items, key=key)


class MemoryRepository:
    def __init__(self, uow: MemoryTransaction) -> None:
        self._uow = uow

    def _case(self, case_id: int) -> Case:
        case = self._uow.data.cases.get(case_id)
        if case is None:
            raise CaseNotFound(f"case {case_id} not found")
        return case
