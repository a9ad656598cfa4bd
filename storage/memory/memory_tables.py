"""The in-memory backend's tables and transaction: the storage contract without a database, for tests and trials.

Several `MemoryUnitOfWork`s share one `MemoryStore`, the way several processes share a database.
A unit of work reads a snapshot taken when it is entered and keeps its writes to itself; `commit`
publishes them at once, and fails with ConcurrencyConflict (publishing nothing) when another unit
of work committed a change to any row this one changed since the snapshot: first committer wins.
Leaving the `with` block without commit discards the writes (storage.memory.memory_snapshot
holds the tables and a transaction's view of them); a `savepoint()` block that raises discards
its own (an undo log of the rows it changed). Values are normalised exactly as the
SQL backend stores them (aware UTC instants, exact decimals, plain-JSON event data).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Self, TypeVar, cast

from storage.memory.memory_snapshot import INDEXED, Tables, View
from workflows.errors import CaseNotFound, ConcurrencyConflict, InvalidInput
from workflows.model import Case

T = TypeVar("T")
Key = tuple[str, Any]  # (table, primary key)
_ABSENT = object()
_UNIQUE = frozenset({"organisations", "accounts", "rule_versions", "cases"})
"""Tables with a value unique across rows, checked at commit (`_check_unique`)."""


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
            ids = self._ids.get(table)
            if ids is None:
                ids = self._ids[table] = itertools.count(1)
            return next(ids)


class MemoryTransaction:
    """One transaction over shared tables; see the module docstring for its isolation.

    It reads the committed tables it began with through its own `View` (nothing is copied to
    begin). A commit writes the committed tables in place when no other transaction is open,
    and otherwise writes a new generation of them, so that the others keep their snapshot.
    """

    def __init__(self, store: SharedTables) -> None:
        self.store = store
        # What the transaction reads: a plain attribute (the repositories read it at every
        # step), the closed view outside `with`, whose every use raises.
        self.data: View = _CLOSED
        self._since = 0  # the latest stamp when the snapshot was taken
        self._open = False
        # Dicts used as ordered sets: commit applies the writes in the order they were made, so
        # the committed tables keep each transaction's rows (a case's events) in that order.
        self._written: dict[Key, None] = {}
        self._deleted: dict[Key, None] = {}
        # One undo log per open savepoint, innermost last: each changed row as it was before.
        self._undo: list[dict[Key, tuple[Any, bool, bool]]] = []

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
        self.data = _CLOSED
        self._written.clear()
        self._deleted.clear()
        self._undo = []
        if self._open:
            with self.store.lock:
                self.store.readers -= 1
            self._open = False

    def _begin(self) -> None:
        with self.store.lock:
            self.data = View(self.store.tables)
            self._since = self.store.stamped
            if not self._open:
                self.store.readers += 1
                self._open = True
        self._written.clear()
        self._deleted.clear()
        self._undo = []

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """The block's writes undone alone if it raises (workflows.ports.UnitOfWork)."""
        undo: dict[Key, tuple[Any, bool, bool]] = {}
        self._undo.append(undo)
        try:
            yield
        except BaseException:
            if self._undo and self._undo[-1] is undo:  # else the transaction already ended
                self._undo.pop()
                for (table, pk), (value, written, deleted) in undo.items():
                    rows = self.data.table(table)
                    if value is _ABSENT:
                        rows.pop(pk, None)
                    else:
                        rows[pk] = value
                    self._written.pop((table, pk), None)
                    self._deleted.pop((table, pk), None)
                    if written:
                        self._written[(table, pk)] = None
                    if deleted:
                        self._deleted[(table, pk)] = None
                self._undone()
            raise
        if self._undo and self._undo[-1] is undo:
            self._undo.pop()
            if self._undo:  # kept, but still undone with the savepoint around it
                for key, before in undo.items():
                    self._undo[-1].setdefault(key, before)

    def _undone(self) -> None:
        """A savepoint's writes were just undone (stores that hand out ids take theirs back)."""

    def _remember(self, key: Key) -> None:
        undo = self._undo[-1] if self._undo else None
        if undo is not None and key not in undo:
            before = self.data.table(key[0]).get(key[1], _ABSENT)
            undo[key] = (before, key in self._written, key in self._deleted)

    def commit(self) -> None:
        data = self.data
        if data is _CLOSED:
            raise RuntimeError("use the unit of work inside `with uow:`")
        store = self.store
        with store.lock:
            changed = [*self._written, *self._deleted]
            stamps, since = store.stamps, self._since
            # Nothing committed since the snapshot (store.stamped unmoved): no row can clash.
            if store.stamped != since and any(stamps.get(key, 0) > since for key in changed):
                key = min((k for k in changed if stamps.get(k, 0) > since), key=repr)
                raise ConcurrencyConflict(
                    f"{key[0]} {key[1]} was changed by another writer since this unit of work "
                    "began; retry"
                )
            self._check_unique(data)
            committed = store.tables
            if store.readers > 1:  # others read this generation: write a new one
                committed = committed.next_generation({table for table, _ in changed})
            deleted = self._deleted
            stamped = store.stamped
            places: dict[str, tuple[dict[Any, Any], dict[Any, Any]]] = {}  # committed, written
            for key in changed:
                table, pk = key
                place = places.get(table)
                if place is None:
                    place = places[table] = (getattr(committed, table), getattr(data, table).new)
                target = place[0]
                old = target.get(pk)
                if key in deleted:
                    target.pop(pk, None)
                    value = None
                else:
                    value = place[1][pk]  # a case written here is no one else's
                    target[pk] = value
                if table in INDEXED:
                    committed.reindex(table, pk, old, value)
                stamped += 1
                stamps[key] = stamped
            store.stamped = stamped
            store.tables = committed
            self.data = View(committed)
            self._since = store.stamped
        self._written.clear()
        self._deleted.clear()
        self._undo = []

    def _check_unique(self, data: View) -> None:
        committed = self.store.tables
        for key in self._written:
            table, pk = key
            if table not in _UNIQUE:
                continue
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

    def put(self, table: str, pk: Any, value: Any) -> None:
        key = (table, pk)
        if self._undo:
            self._remember(key)
        data = self.data
        rows = data.__dict__.get(table)  # the table's overlay once made (View.table, inline)
        if rows is None:
            rows = data.table(table)
        rows.new[pk] = value  # Overlay.__setitem__, inline: every write of a command comes here
        if rows.gone:
            rows.gone.discard(pk)
        self._written[key] = None
        if self._deleted:
            self._deleted.pop(key, None)

    def delete(self, table: str, pk: Any) -> None:
        key = (table, pk)
        if self._undo:
            self._remember(key)
        self.data.table(table).pop(pk, None)
        self._written.pop(key, None)
        self._deleted[key] = None

    def next_id(self, table: str) -> int:
        return self.store.next_id(table)


class _Closed:
    """The view of a transaction not entered: any use says how to use one."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError("use the unit of work inside `with uow:`")


_CLOSED = cast(View, _Closed())


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
