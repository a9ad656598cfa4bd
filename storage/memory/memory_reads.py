"""The reads beyond the repositories on the memory backend, as storage.sql serves them.

`MemoryRegisterReads` reads a unit of work's snapshot; `MemoryDatabaseReads` and
`MemoryPublicLookups` read what is committed; `MemoryHeartbeats` keeps each daemon's last beat.
Events are kept in the order they were committed, which is what "newest first" follows.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from storage import checks
from storage.certificate_trail import ISSUING, after_each_event, first_issued, replaced
from storage.formats import sheet_plain, sheet_to_json, utc
from storage.memory.memory_snapshot import Tables, View
from storage.memory.memory_tables import SharedTables
from storage.public_records import one_key, status_entry
from workflows.model import Application, Case, Deadline, DeadlineKind, ScoreSheet, StarLevel, State
from workflows.numbering import case_id_of
from workflows.read_ports import (
    CaseDeadline,
    CaseEvent,
    DeadlineWatch,
    Heartbeat,
    LeaseHolder,
    OperationsCounts,
    PublicCertificate,
    PublicRecord,
    RegisterEntry,
    Replaced,
)


def _by_id(tables: Tables | View) -> list[Case]:
    return [replace(c) for c in sorted(tables.cases.values(), key=lambda c: c.id or 0)]


class MemoryRegisterReads:
    """`RegisterReads` on one memory unit of work's snapshot."""

    def __init__(self, tables: Tables | View) -> None:
        self._tables = tables

    def search_cases(
        self,
        *,
        text: str | None = None,
        state: State | None = None,
        star_level: StarLevel | None = None,
        only_ids: Sequence[int] | None = None,
        holder: str | None = None,
        due_between: tuple[datetime, datetime] | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[Case], int]:
        checks.page(limit, offset)
        wanted = None if only_ids is None else set(only_ids)
        needle = text.strip() if text else None
        named = holder.strip().lower() if holder and holder.strip() else None
        if due_between is not None:
            start, end = utc(due_between[0], "due_between"), utc(due_between[1], "due_between")
            due = {
                d.case_id
                for d in self._tables.deadlines.values()
                if d.done_at is None and start < d.due_at <= end
            }
            wanted = due if wanted is None else wanted & due

        def matches(c: Case) -> bool:
            if needle is not None:
                low = needle.lower()
                number = c.number or ""
                if not (number == needle or low in c.holder.lower() or low in number.lower()):
                    return False
            if named is not None and named not in c.holder.lower():
                return False
            return (
                (state is None or c.state == state)
                and (star_level is None or c.star_level == star_level)
                and (wanted is None or c.id in wanted)
            )

        found = [c for c in _by_id(self._tables) if matches(c)]
        return found[offset : offset + limit], len(found)

    def recent_events(
        self, triggers: Sequence[str], limit: int, since: datetime | None = None
    ) -> list[CaseEvent]:
        checks.page(limit, 0)
        after = None if since is None else utc(since, "since")
        tables = self._tables
        newest = [
            e
            for e in reversed(list(tables.events.values()))
            if e.trigger in triggers and (after is None or e.at >= after)
        ][:limit]
        involved = {e.case_id for e in newest}
        trail = sorted(
            (e.case_id, e.seq, e.trigger, e.data)
            for e in tables.events.values()
            if e.case_id in involved
        )
        then = after_each_event(trail)
        found = []
        for e in newest:
            case = tables.cases[e.case_id]
            number, star = then.get((e.case_id, e.seq), (None, None))
            found.append(
                CaseEvent(
                    event=e,
                    number=number,
                    holder=case.holder,
                    scope=case.scope,
                    star_level=None if star is None else StarLevel(star),
                )
            )
        return found

    def open_deadlines_between(
        self, start: datetime | None, end: datetime, limit: int
    ) -> list[CaseDeadline]:
        checks.page(limit, 0)
        end = utc(end, "end")
        begin = None if start is None else utc(start, "start")
        due = sorted(
            (
                d
                for d in self._tables.deadlines.values()
                if d.done_at is None and d.due_at <= end and (begin is None or d.due_at > begin)
            ),
            key=lambda d: (d.due_at, d.id or 0),
        )[:limit]
        cases = self._tables.cases
        return [
            CaseDeadline(
                deadline=d,
                number=cases[d.case_id].number,
                holder=cases[d.case_id].holder,
                state=cases[d.case_id].state,
            )
            for d in due
        ]

    def cases_of_organisation(self, organisation_id: int) -> list[Case]:
        return [c for c in _by_id(self._tables) if c.organisation_id == organisation_id]

    def register(self) -> list[RegisterEntry]:
        tables = self._tables
        certified: dict[int, list[dict[str, object]]] = defaultdict(list)
        for e in tables.events.values():
            if e.trigger == "certify":
                certified[e.case_id].append(dict(e.data))
        return [
            RegisterEntry(
                c,
                tables.organisations[c.organisation_id],
                first_issued(certified.get(c.id or 0, [])) or c.issued_on,
            )
            for c in _by_id(tables)
            if c.number is not None
        ]


def _committed(store: SharedTables) -> Tables:
    with store.lock:
        return store.tables.copy()


def _replaced_number(tables: Tables | View, number: str) -> Replaced | None:
    case_id = case_id_of(number)
    if case_id is None:
        return None
    issued = [
        dict(e.data)
        for (cid, _seq), e in sorted(tables.events.items())
        if cid == case_id and e.trigger in ISSUING
    ]
    case = tables.cases.get(case_id)
    return replaced(number, case_id, issued, None if case is None else case.number)


class MemoryPublicLookups:
    def __init__(self, store: SharedTables) -> None:
        self._store = store

    def verify(self, number: str) -> PublicCertificate | None:
        with self._store.lock:
            case = next((c for c in self._store.tables.cases.values() if c.number == number), None)
            if case is None or case.number is None:
                return None
            return _public(case, case.number)

    def replaced_number(self, number: str) -> Replaced | None:
        return _replaced_number(_committed(self._store), number)

    def search(
        self,
        *,
        number: str | None = None,
        holder: str | None = None,
        credit_code: str | None = None,
        states: Collection[State],
        limit: int,
        offset: int = 0,
    ) -> tuple[list[PublicRecord], int]:
        key, value = one_key(number, holder, credit_code)
        with self._store.lock:  # the committed generation, with its indexes
            return _search(self._store.tables, key, value, states, limit, offset)

    def close(self) -> None:
        return None


def _search(
    tables: Tables, key: str, value: str, states: Collection[State], limit: int, offset: int
) -> tuple[list[PublicRecord], int]:
    if key == "number":
        ids = [tables.numbers[value]] if value in tables.numbers else []
    elif key == "credit_code":
        org = tables.codes.get(value)
        ids = [c.id for c in tables.cases.values() if c.organisation_id == org and c.id]
    else:
        part = value.lower()
        ids = [c.id for c in tables.cases.values() if part in c.holder.lower() and c.id]
    found = sorted((tables.cases[i] for i in ids), key=lambda c: c.number or "")
    public = [c for c in found if c.number is not None and c.state in states]
    return [_public_record(tables, c) for c in public[offset : offset + limit]], len(public)


def _public_record(tables: Tables, case: Case) -> PublicRecord:
    assert case.id is not None and case.number is not None
    events = (tables.events[k] for k in sorted(tables.by_case["events"].get(case.id, ())))
    trail = [(str(e.to_state), e.at, e.data) for e in events if e.from_state != e.to_state]
    entered_at, effective_on = status_entry(trail, str(case.state))
    deadlines = (tables.deadlines[k] for k in tables.by_case["deadlines"].get(case.id, ()))
    due = [
        d.due_at for d in deadlines if d.done_at is None and d.kind is DeadlineKind.SURVEILLANCE_DUE
    ]
    certificate = _public(case, case.number)
    return PublicRecord(
        certificate, case.suspended_on, entered_at, effective_on, min(due, default=None)
    )


class MemoryDatabaseReads:
    def __init__(self, store: SharedTables) -> None:
        self._store = store

    def replaced_number(self, number: str) -> Replaced | None:
        return _replaced_number(_committed(self._store), number)

    def deadline_watch(self, now: datetime, *, limit: int, max_attempts: int) -> DeadlineWatch:
        tables = _committed(self._store)
        in_order = sorted(
            (d for d in tables.deadlines.values() if d.done_at is None),
            key=lambda d: (d.due_at, d.id or 0),
        )
        due = [d for d in in_order if d.last_error is None and d.due_at <= now]
        leases: dict[str, list[datetime]] = defaultdict(list)
        for d in in_order:
            if d.last_error is None and d.claimed_until is not None and d.claimed_until > now:
                leases[str(d.claimed_by)].append(d.claimed_until)
        pending = [m for m in tables.notifications.values() if m.delivered_at is None]
        return DeadlineWatch(
            overdue=len(due),
            oldest_overdue=min((d.due_at for d in due), default=None),
            upcoming=[d for d in in_order if d.due_at > now][:limit],
            lease_holders=[
                LeaseHolder(worker, len(until), max(until))
                for worker, until in sorted(leases.items())
            ],
            incidents=[d for d in in_order if d.last_error is not None],
            outbox_pending=sum(m.attempts < max_attempts for m in pending),
            outbox_given_up=sum(m.attempts >= max_attempts for m in pending),
        )

    def operations_counts(
        self, now: datetime, *, late_before: datetime, max_attempts: int
    ) -> OperationsCounts:
        tables = _committed(self._store)
        open_ = [d for d in tables.deadlines.values() if d.done_at is None]
        healthy = [d for d in open_ if d.last_error is None]
        outbox: dict[tuple[str, str], int] = defaultdict(int)
        for m in tables.notifications.values():
            if m.delivered_at is None:
                outbox[(m.channel, "given_up" if m.attempts >= max_attempts else "pending")] += 1
        return OperationsCounts(
            deadlines_due=sum(d.due_at <= now for d in healthy),
            deadlines_late=sum(d.due_at <= late_before for d in healthy),
            deadlines_in_incident=len(open_) - len(healthy),
            outbox=dict(outbox),
        )

    def register_counts(self) -> dict[tuple[str, str | None], int]:
        counts: dict[tuple[str, str | None], int] = defaultdict(int)
        for c in _committed(self._store).cases.values():
            counts[(str(c.state), None if c.star_level is None else str(c.star_level))] += 1
        return dict(sorted(counts.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")))

    def notifications_written(self) -> int:
        return len(_committed(self._store).notifications)

    def case_states(self) -> list[str]:
        return [str(c.state) for c in _by_id(_committed(self._store))]

    def cases(self, states: Collection[State] | None = None) -> list[Case]:
        found = _by_id(_committed(self._store))
        return found if states is None else [c for c in found if c.state in states]

    def latest_sheets(self) -> dict[int, ScoreSheet]:
        latest: dict[int, ScoreSheet] = {}
        audits = sorted(
            _committed(self._store).audits.values(), key=lambda a: (a.case_id, a.audit_date, a.id)
        )
        for audit in audits:
            if audit.sheet is not None:
                latest[audit.case_id] = audit.sheet
        return latest

    def latest_sheets_plain(self) -> dict[int, dict[str, Any]]:
        return {i: sheet_plain(sheet_to_json(s)) for i, s in self.latest_sheets().items()}

    def applications(self, ids: Collection[int]) -> dict[int, Application]:
        stored = _committed(self._store).applications
        return {i: stored[i] for i in ids if i in stored}

    def deadlines_by_case(
        self, *, done_of_kinds: Collection[DeadlineKind] | None = None
    ) -> dict[int, list[Deadline]]:
        found: dict[int, list[Deadline]] = defaultdict(list)
        for d in _committed(self._store).deadlines.values():
            if (done_of_kinds is None and d.done_at is None) or (
                done_of_kinds is not None and d.done_at is not None and d.kind in done_of_kinds
            ):
                found[d.case_id].append(d)
        return found


class MemoryHeartbeats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._beats: dict[str, Heartbeat] = {}

    def put(self, beat: Heartbeat) -> None:
        stored = replace(beat, started_at=utc(beat.started_at, "started_at"))
        with self._lock:
            self._beats[beat.worker] = stored

    def all(self) -> Sequence[Heartbeat]:
        with self._lock:
            return [self._beats[w] for w in sorted(self._beats)]


def _public(case: Case, number: str) -> PublicCertificate:
    """What the public may see of a certificate (its number given: a case may hold none)."""
    return PublicCertificate(
        number=number,
        holder=case.holder,
        scope=case.scope,
        state=case.state,
        star_level=case.star_level,
        issued_on=case.issued_on,
        expires_on=case.expires_on,
        last_surveillance_on=case.last_surveillance_on,
        amendments=case.amendments,
    )
