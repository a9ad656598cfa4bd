"""The memory store's rows as committed, and one transaction's view of them.

`Tables` holds the committed rows and the indexes a command's reads go through (a case's audits,
deadlines and events; certificate numbers; credit codes; the open deadlines in due order, so a
claim reads the rows due and no others). A transaction reads them through its `View`: each table
an `Overlay` of its own writes over the committed rows, so nothing is copied when it begins. How commits keep the committed rows still for the transactions reading them is
told in storage.memory.memory_tables.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, insort
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any, Generic, Self, TypeVar, overload

from workflows.findings import Finding
from workflows.model import Application, Audit, Case, Deadline, Event, Organisation
from workflows.ports import Account, Notification, PublishedRules

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")
T_co = TypeVar("T_co", covariant=True)
PER_CASE = ("audits", "deadlines", "events", "findings")
"""Tables whose rows belong to one case, indexed by it: a command reads its own case's rows."""
INDEXED = frozenset({*PER_CASE, "cases", "organisations"})
"""Tables with an index beside their rows (`Tables.reindex`)."""


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
    findings: dict[int, Finding] = field(default_factory=dict)
    by_case: dict[str, dict[int, set[Any]]] = field(
        default_factory=lambda: {name: {} for name in PER_CASE}
    )
    numbers: dict[str, int] = field(default_factory=dict)  # certificate number -> case id
    codes: dict[str, int] = field(default_factory=dict)  # credit code -> organisation id
    open_due: list[tuple[datetime, int]] = field(default_factory=list)
    """(due_at, id) of every open deadline, sorted: the order claims and due reads take."""

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
            dict(self.findings),
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
        due = list(self.open_due) if "deadlines" in names else self.open_due
        return Tables(**rows, by_case=by_case, numbers=numbers, codes=codes, open_due=due)

    def table(self, name: str) -> dict[Any, Any]:
        table: dict[Any, Any] = getattr(self, name)
        return table

    def reindex(self, name: str, pk: Any, old: Any, new: Any) -> None:
        """Row `pk` of table `name` goes from `old` to `new` (None: absent) in the indexes."""
        if name == "deadlines":
            before = None if old is None or old.done_at is not None else (old.due_at, pk)
            after = None if new is None or new.done_at is not None else (new.due_at, pk)
            if before != after:  # a lease taken or given back leaves the due order as it is
                due = self.open_due
                if before is not None:
                    at = bisect_left(due, before)
                    if at < len(due) and due[at] == before:
                        del due[at]
                if after is not None:
                    insort(due, after)
        if name in PER_CASE:
            if old is not None and new is not None and old.case_id == new.case_id:
                return  # still the same case's row: its per-case index holds it already
            index = self.by_case[name]  # `unindex` and `index`, inline: every row comes here
            if old is not None:
                keys = index.get(old.case_id)
                if keys is not None:
                    keys.discard(pk)
            if new is not None:
                keys = index.get(new.case_id)
                if keys is None:
                    index[new.case_id] = {pk}
                else:
                    keys.add(pk)
            return
        if name == "cases" and old is not None and new is not None and old.number == new.number:
            return  # the number index holds it already
        if old is not None:
            self.unindex(name, pk, old)
        if new is not None:
            self.index(name, pk, new)

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
            index = self.by_case[name]
            keys = index.get(row.case_id)
            if keys is None:
                index[row.case_id] = {pk}
            else:
                keys.add(pk)
        elif name == "cases" and row.number is not None:
            self.numbers[row.number] = pk
        elif name == "organisations":
            self.codes[row.credit_code] = pk


def due_order(d: Deadline) -> tuple[datetime, int]:
    return (d.due_at, d.id or 0)


_ROW_TABLES = (
    "organisations", "applications", "audits", "cases", "deadlines", "events", "accounts",
    "notifications", "rule_versions", "findings",
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
        found = self.new.pop(key, _GONE)
        if found is _GONE:
            if key in self.gone:
                return default
            found = self.base.get(key, _GONE)
            if found is _GONE:
                return default
        if key in self.base:
            self.gone.add(key)
        return found

    def __delitem__(self, key: K) -> None:
        if key not in self:
            raise KeyError(key)
        self.new.pop(key, None)
        if key in self.base:
            self.gone.add(key)


class Made(Generic[T_co]):
    """An attribute made on first use, then a plain one: a unit of work that reads two tables
    pays for two, not for all nine."""

    def __init__(self, make: Callable[[Any, str], T_co]) -> None:
        self.make = make
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type) -> Self: ...
    @overload
    def __get__(self, obj: object, owner: type) -> T_co: ...
    def __get__(self, obj: object, owner: type) -> T_co | Self:
        if obj is None:
            return self
        made = obj.__dict__[self.name] = self.make(obj, self.name)
        return made


def _overlay(view: View, name: str) -> Overlay[Any, Any]:
    return Overlay(getattr(view.base, name))


class View:
    """What one transaction reads: each committed table under the transaction's own writes."""

    organisations: Made[Overlay[int, Organisation]] = Made(_overlay)
    applications: Made[Overlay[int, Application]] = Made(_overlay)
    audits: Made[Overlay[int, Audit]] = Made(_overlay)
    cases: Made[Overlay[int, Case]] = Made(_overlay)
    deadlines: Made[Overlay[int, Deadline]] = Made(_overlay)
    events: Made[Overlay[tuple[int, int], Event]] = Made(_overlay)
    accounts: Made[Overlay[int, Account]] = Made(_overlay)
    notifications: Made[Overlay[int, Notification]] = Made(_overlay)
    rule_versions: Made[Overlay[int, PublishedRules]] = Made(_overlay)
    findings: Made[Overlay[int, Finding]] = Made(_overlay)

    def __init__(self, base: Tables) -> None:
        self.base = base

    def table(self, name: str) -> Overlay[Any, Any]:
        table: Overlay[Any, Any] = getattr(self, name)
        return table

    def of_case(self, name: str, case_id: int) -> list[Any]:
        """The rows of a per-case table that belong to `case_id` (in no particular order)."""
        table = self.__dict__.get(name)  # made on first use (`table`)
        if table is None:
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

    def head(self, case_id: int) -> Event | None:
        """The case's newest event, as this transaction sees it (events are keyed (case, seq))."""
        table = self.events
        new, gone = table.new, table.gone
        keys: Iterable[tuple[int, int]] = self.base.by_case["events"].get(case_id, ())
        if gone:
            keys = [k for k in keys if k not in gone]
        newest = max(keys, default=None)
        for key in new:
            if key[0] == case_id and (newest is None or key > newest):
                newest = key
        return None if newest is None else table[newest]

    def open_deadlines(self) -> Iterator[Deadline]:
        """The open deadlines in due order ((due_at, id)), as this transaction sees them: the
        committed ones from the due index, merged with those this transaction wrote."""
        table = self.deadlines
        new, gone, base = table.new, table.gone, table.base
        committed = (base[pk] for _, pk in self.base.open_due if pk not in new and pk not in gone)
        if not new:
            return committed
        mine = sorted((d for d in new.values() if d.done_at is None), key=due_order)
        return heapq.merge(committed, mine, key=due_order)

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
