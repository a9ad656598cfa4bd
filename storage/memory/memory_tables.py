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
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from dataclasses import dataclass, field, fields, replace
from types import TracebackType
from typing import Any, Generic, Self, TypeVar, overload

from workflows.errors import CaseNotFound, ConcurrencyConflict, InvalidInput
from workflows.model import Application, Audit, Case, Deadline, Event, Organisation
from workflows.ports import Account, Notification, PublishedRules

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")
Key = tuple[str, Any]  # (table, primary key)
PER_CASE = ("audits", "deadlines", "events")
"""Tables whose rows belong to one case, indexed by it: a command reads its own case's rows."""


@dataclass
class Tables:
    """Committed rows, with the indexes a command's reads go through (kept by `commit` alone)."""

    organisations: dict[int, Organisation] = field(default_factory=dict)
    applications: dict[int, Application] = field(default_factory=dict)
    audits: dict[int, Audit] = field(default_factory=dict)
    cases: dict[int, Case] = field(default_factory=dict)
    deadlines: dict[int, Deadline] = field(default_factory=dict)
    events: dict[tuple[int, int], Event] = field(default_factory=dict)
    accounts: dict[int, Account] = field(default_factory=dict)
    notifications: dict[int, Notification] = field(default_factory=dict)
    rule_versions: dict[int, PublishedRules] = field(default_factory=dict)
    by_case: dict[str, dict[int, set[Any]]] = field(
        default_factory=lambda: {name: {} for name in PER_CASE}
    )
    numbers: dict[str, int] = field(default_factory=dict)  # certificate number -> case id
    codes: dict[str, int] = field(default_factory=dict)  # credit code -> organisation id

    def copy(self) -> Tables:
        """A snapshot of the rows alone, its own to read at leisure (cases copied: mutable)."""
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

    def next_generation(self, changed: Iterable[str]) -> Tables:
        """These tables, the `changed` ones (and their indexes) copied so that writing to them
        leaves this generation as it is for the transactions still reading it."""
        names = set(changed)
        rows = {f.name: getattr(self, f.name) for f in fields(self) if f.name in _ROW_TABLES}
        for name in names:
            rows[name] = dict(rows[name])
        by_case = {
            name: ({k: set(v) for k, v in index.items()} if name in names else index)
            for name, index in self.by_case.items()
        }
        numbers = dict(self.numbers) if "cases" in names else self.numbers
        codes = dict(self.codes) if "organisations" in names else self.codes
        return Tables(**rows, by_case=by_case, numbers=numbers, codes=codes)

    def table(self, name: str) -> dict[Any, Any]:
        table: dict[Any, Any] = getattr(self, name)
        return table

    def unindex(self, name: str, pk: Any, row: Any) -> None:
        if name in PER_CASE:
            keys = self.by_case[name].get(row.case_id)
            if keys is not None:
                keys.discard(pk)
        elif name == "cases" and row.number is not None and self.numbers.get(row.number) == pk:
            del self.numbers[row.number]
        elif name == "organisations" and self.codes.get(row.credit_code) == pk:
            del self.codes[row.credit_code]

    def index(self, name: str, pk: Any, row: Any) -> None:
        if name in PER_CASE:
            self.by_case[name].setdefault(row.case_id, set()).add(pk)
        elif name == "cases" and row.number is not None:
            self.numbers[row.number] = pk
        elif name == "organisations":
            self.codes[row.credit_code] = pk


_ROW_TABLES = (
    "organisations", "applications", "audits", "cases", "deadlines", "events", "accounts",
    "notifications", "rule_versions",
)  # fmt: skip
_GONE: Any = object()


class Overlay(MutableMapping[K, V], Generic[K, V]):
    """One table as a transaction sees it: the committed rows it began with, under its own
    writes. The committed rows are never changed while a transaction reads them (see commit)."""

    __slots__ = ("base", "gone", "new")

    def __init__(self, base: dict[K, V]) -> None:
        self.base = base
        self.new: dict[K, V] = {}
        self.gone: set[K] = set()

    def __getitem__(self, key: K) -> V:
        found = self.new.get(key, _GONE)
        if found is not _GONE:
            return found  # type: ignore[no-any-return]
        if key in self.gone:
            raise KeyError(key)
        return self.base[key]

    @overload
    def get(self, key: K, /) -> V | None: ...
    @overload
    def get(self, key: K, /, default: V | T) -> V | T: ...
    def get(self, key: K, /, default: Any = None) -> Any:
        found = self.new.get(key, _GONE)
        if found is not _GONE:
            return found
        if key in self.gone:
            return default
        return self.base.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self.new or (key not in self.gone and key in self.base)

    def __iter__(self) -> Iterator[K]:
        gone, base = self.gone, self.base
        for key in base:  # a row rewritten here keeps its place, as in a dict
            if key not in gone:
                yield key
        for key in self.new:
            if key not in base:
                yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __setitem__(self, key: K, value: V) -> None:
        self.new[key] = value
        self.gone.discard(key)

    def pop(self, key: K, default: Any = None) -> Any:
        found = self.get(key)
        if found is None:
            return default
        self.new.pop(key, None)
        if key in self.base:
            self.gone.add(key)
        return found

    def __delitem__(self, key: K) -> None:
        if key not in self:
            raise KeyError(key)
        self.new.pop(key, None)
        if key in self.base:
            self.gone.add(key)


class View:
    """What one transaction reads: each committed table under the transaction's own writes."""

    def __init__(self, base: Tables) -> None:
        self.base = base
        self.organisations: Overlay[int, Organisation] = Overlay(base.organisations)
        self.applications: Overlay[int, Application] = Overlay(base.applications)
        self.audits: Overlay[int, Audit] = Overlay(base.audits)
        self.cases: Overlay[int, Case] = Overlay(base.cases)
        self.deadlines: Overlay[int, Deadline] = Overlay(base.deadlines)
        self.events: Overlay[tuple[int, int], Event] = Overlay(base.events)
        self.accounts: Overlay[int, Account] = Overlay(base.accounts)
        self.notifications: Overlay[int, Notification] = Overlay(base.notifications)
        self.rule_versions: Overlay[int, PublishedRules] = Overlay(base.rule_versions)

    def table(self, name: str) -> Overlay[Any, Any]:
        table: Overlay[Any, Any] = getattr(self, name)
        return table

    def of_case(self, name: str, case_id: int) -> list[Any]:
        """The rows of a per-case table that belong to `case_id` (in no particular order)."""
        table = self.table(name)
        new, gone, base = table.new, table.gone, table.base
        rows = [
            new[pk] if pk in new else base[pk]
            for pk in self.base.by_case[name].get(case_id, ())
            if pk not in gone
        ]
        if new:
            rows += [row for pk, row in new.items() if row.case_id == case_id and pk not in base]
        return rows

    def case_numbered(self, number: str) -> Case | None:
        """The case holding certificate `number`, as this transaction sees it."""
        for case in self.cases.new.values():
            if case.number == number:
                return case
        pk = self.base.numbers.get(number)
        if pk is None or pk in self.cases.new or pk in self.cases.gone:
            return None
        return self.base.cases[pk]

    def organisation_coded(self, credit_code: str) -> Organisation | None:
        """The organisation registered under `credit_code`, as this transaction sees it."""
        for organisation in self.organisations.new.values():
            if organisation.credit_code == credit_code:
                return organisation
        pk = self.base.codes.get(credit_code)
        if pk is None or pk in self.organisations.new or pk in self.organisations.gone:
            return None
        return self.base.organisations[pk]


class SharedTables:
    """The shared committed data, with a change stamp per row for first-committer-wins checks."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tables = Tables()
        self.stamps: dict[Key, int] = {}
        self.stamped = 0  # the latest stamp given
        self.readers = 0  # transactions open on `tables` (or an earlier generation)
        self._ids: dict[str, Iterator[int]] = {}

    def next_id(self, table: str) -> int:
        """A fresh id, never reused, even when the unit of work that took it rolls back."""
        with self.lock:
            return next(self._ids.setdefault(table, itertools.count(1)))

    def next_stamp(self) -> int:
        self.stamped += 1
        return self.stamped


class MemoryTransaction:
    """One transaction over shared tables; see the module docstring for its isolation.

    It reads the committed tables it began with through its own `View` (nothing is copied to
    begin). A commit writes the committed tables in place when no other transaction is open,
    and otherwise writes a new generation of them, so that the others keep their snapshot.
    """

    def __init__(self, store: SharedTables) -> None:
        self.store = store
        self._data: View | None = None
        self._since = 0  # the latest stamp when the snapshot was taken
        self._open = False
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
        if self._open:
            with self.store.lock:
                self.store.readers -= 1
            self._open = False

    def _begin(self) -> None:
        with self.store.lock:
            self._data = View(self.store.tables)
            self._since = self.store.stamped
            if not self._open:
                self.store.readers += 1
                self._open = True
        self._written.clear()
        self._deleted.clear()

    def commit(self) -> None:
        data = self.data
        store = self.store
        with store.lock:
            changed = [*self._written, *self._deleted]
            stamps, since = store.stamps, self._since
            if any(stamps.get(key, 0) > since for key in changed):
                key = min((k for k in changed if stamps.get(k, 0) > since), key=repr)
                raise ConcurrencyConflict(
                    f"{key[0]} {key[1]} was changed by another writer since this unit of work "
                    "began; retry"
                )
            self._check_unique(data)
            committed = store.tables
            if store.readers > 1:  # others read this generation: write a new one
                committed = committed.next_generation({table for table, _ in changed})
            for key in changed:
                table, pk = key
                target = committed.table(table)
                old = target.get(pk)
                if old is not None:
                    committed.unindex(table, pk, old)
                if key in self._deleted:
                    target.pop(pk, None)
                else:
                    value = data.table(table)[pk]  # a case written here is no one else's
                    target[pk] = value
                    committed.index(table, pk, value)
                store.stamps[key] = store.next_stamp()
            store.tables = committed
            self._data = View(committed)
            self._since = store.stamped
        self._written.clear()
        self._deleted.clear()

    def _check_unique(self, data: View) -> None:
        committed = self.store.tables
        for key in self._written:
            table, pk = key
            if table == "organisations":
                code = data.organisations[pk].credit_code
                other = committed.codes.get(code)
                if other is not None and other != pk:
                    raise InvalidInput(
                        "credit_code", f"{code} is already registered (organisation {other})"
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
                    if p.ruleset == ruleset
                    and self.store.stamps.get(("rule_versions", p.id), 0) > self._since
                ]
                if unseen:
                    raise ConcurrencyConflict(
                        f"another publisher stored {ruleset} {unseen[0].version} first; retry"
                    )
            elif table == "cases":
                number = data.cases[pk].number
                holder = None if number is None else committed.numbers.get(number)
                if holder is not None and holder != pk:
                    raise InvalidInput(
                        "number", f"certificate {number} is already held by case {holder}"
                    )

    def rollback(self) -> None:
        """Discard uncommitted writes and start again from the store's current data."""
        self._begin()

    # --- used by the repositories --------------------------------------------------------------

    @property
    def data(self) -> View:
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
