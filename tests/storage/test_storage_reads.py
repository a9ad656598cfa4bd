"""The reads beyond the repositories give the same answers on every backend: memory, SQLite,
PostgreSQL (workflows.read_ports, served by storage.sql and storage.memory)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from storage_backends import sqlite_url
from storage_builders import SHEET, T0, new_case

from storage.database import Database, case_holding, open_database
from storage.memory.memory_database import MemoryDatabase
from storage.sql.migrate import upgrade
from workflows.errors import CaseNotFound
from workflows.model import (
    Audit,
    AuditKind,
    Case,
    Deadline,
    DeadlineKind,
    Event,
    StarLevel,
    State,
)
from workflows.ports import Notification
from workflows.read_ports import Heartbeat, LeaseHolder


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "memory":
        found: Database = MemoryDatabase()
    else:
        url = (
            sqlite_url(tmp_path)
            if request.param == "sqlite"
            else request.getfixturevalue("pg_schema_url")
        )
        upgrade(url)
        found = open_database(url)
        found.require_current()
    try:
        yield found
    finally:
        found.close()


def _event(case_id: int, seq: int, trigger: str, data: dict[str, object]) -> Event:
    return Event(
        case_id, seq, T0 + timedelta(minutes=seq), "tester", trigger, None, State.ACTIVE,
        None, None, None, data, "", f"h{case_id}-{seq}",
    )  # fmt: skip


def _certified(database: Database) -> tuple[Case, Case]:
    """A case certified and since renewed under a new number, and one still applying."""
    with database.unit_of_work() as uow:
        certified = new_case(uow, "甲服务公司")
        applying = new_case(uow, "乙服务公司")
        assert certified.id is not None and applying.id is not None
        first = f"ASC-2024-{certified.id:06d}"
        renewed = f"ASC-2027-{certified.id:06d}-R1"
        score = {"star_level": "four_star"}
        uow.events.append(
            _event(certified.id, 1, "certify", {"number": first, "decided_on": "2024-03-01",
                                                "score": score})
        )  # fmt: skip
        uow.events.append(_event(certified.id, 2, "suspend", {}))
        uow.events.append(
            _event(certified.id, 3, "recertify", {"number": renewed, "decided_on": "2027-02-01",
                                                  "score": {"star_level": "five_star"}})
        )  # fmt: skip
        case = uow.cases.get(certified.id)
        case.state = State.ACTIVE
        case.star_level = StarLevel.FIVE
        case.number = renewed
        case.issued_on = date(2027, 2, 1)
        case.expires_on = date(2030, 2, 1)
        uow.cases.save(case)
        uow.audits.add(Audit(None, certified.id, AuditKind.STAGE2, date(2024, 2, 20), "a", SHEET))
        uow.deadlines.add(Deadline(None, certified.id, DeadlineKind.SURVEILLANCE_DUE, T0))
        uow.deadlines.add(
            Deadline(None, certified.id, DeadlineKind.EXPIRY, T0 + timedelta(days=30))
        )
        uow.deadlines.add(
            Deadline(
                None, certified.id, DeadlineKind.RECERT_REMINDER, T0 - timedelta(days=1),
                claimed_by="w1", claimed_until=T0 + timedelta(hours=1),
            )
        )  # fmt: skip
        uow.notifications.add(
            Notification(None, certified.id, "reminder", "webhook", {"n": 1}, T0, T0)
        )
        uow.commit()
        return uow.cases.get(certified.id), uow.cases.get(applying.id)


def test_case_reads_agree_across_backends(database: Database) -> None:
    certified, applying = _certified(database)
    assert certified.id is not None and applying.id is not None
    with database.unit_of_work() as uow:
        reads = uow.reads
        found, total = reads.search_cases(text="甲服务")
        assert total == 1 and [c.id for c in found] == [certified.id]
        found, total = reads.search_cases(text=certified.number)
        assert [c.id for c in found] == [certified.id]
        found, total = reads.search_cases(state=State.APPLIED)
        assert [c.id for c in found] == [applying.id]
        found, total = reads.search_cases(only_ids=[applying.id, certified.id], limit=1)
        assert total == 2 and [c.id for c in found] == [certified.id]
        assert [c.id for c in reads.cases_of_organisation(applying.organisation_id)] == [
            applying.id
        ]
        [entry] = reads.register()
        assert entry.case.id == certified.id and entry.first_issued_on == date(2024, 3, 1)
        assert entry.organisation.id == certified.organisation_id
        events = reads.recent_events(["certify", "recertify"], 10)
        assert [(e.event.seq, e.number, e.star_level) for e in events] == [
            (3, certified.number, StarLevel.FIVE),
            (1, f"ASC-2024-{certified.id:06d}", StarLevel.FOUR),
        ]
        assert reads.recent_events(["certify"], 10, since=T0 + timedelta(hours=1)) == []
        due = reads.open_deadlines_between(None, T0, 10)
        assert [d.deadline.kind for d in due] == [
            DeadlineKind.RECERT_REMINDER,
            DeadlineKind.SURVEILLANCE_DUE,
        ]
        assert due[0].number == certified.number and due[0].state is State.ACTIVE
        later = reads.open_deadlines_between(T0, T0 + timedelta(days=30), 10)
        assert [d.deadline.kind for d in later] == [DeadlineKind.EXPIRY]


def test_the_console_filters_agree_across_backends(database: Database) -> None:
    certified, applying = _certified(database)
    with database.unit_of_work() as uow:
        late = new_case(uow, "丙服务公司 Bing Service")
        assert late.id is not None
        uow.deadlines.add(
            Deadline(None, late.id, DeadlineKind.EXPIRY, T0 + timedelta(days=5), done_at=T0)
        )  # fired already: due no more
        uow.commit()
    with database.unit_of_work() as uow:
        reads = uow.reads

        def ids(**filters: object) -> list[int | None]:
            found, total = reads.search_cases(**filters)  # type: ignore[arg-type]
            assert total == len(found)
            return [c.id for c in found]

        assert ids(holder="服务公司") == [certified.id, applying.id, late.id]
        assert ids(holder=" BING service ") == [late.id]  # trimmed, any case
        assert ids(holder="100%_") == []  # LIKE's wildcards are the characters themselves
        assert ids(holder="乙", state=State.APPLIED) == [applying.id]
        assert ids(holder="甲", state=State.APPLIED) == []
        assert ids(star_level=StarLevel.FIVE) == [certified.id]
        assert ids(star_level=StarLevel.THREE) == []
        # due within: an open deadline due after the start, at or before the end
        assert ids(due_between=(T0, T0 + timedelta(days=30))) == [certified.id]
        assert ids(due_between=(T0, T0 + timedelta(days=29))) == []
        assert ids(due_between=(T0 - timedelta(days=2), T0)) == [certified.id]
        assert ids(due_between=(T0 + timedelta(days=1), T0 + timedelta(days=9))) == []
        assert ids(due_between=(T0, T0 + timedelta(days=30)), holder="乙") == []
        assert ids(due_between=(T0, T0 + timedelta(days=30)), only_ids=[applying.id]) == []


def test_public_lookups_and_renumbered_certificates(database: Database) -> None:
    certified, _ = _certified(database)
    assert certified.id is not None and certified.number is not None
    first = f"ASC-2024-{certified.id:06d}"
    lookups = database.public_lookups()
    try:
        shown = lookups.verify(certified.number)
        assert shown is not None and shown.holder == "甲服务公司"
        assert shown.star_level is StarLevel.FIVE and shown.expires_on == date(2030, 2, 1)
        assert lookups.verify(first) is None
        replaced = lookups.replaced_number(first)
        assert replaced is not None and replaced.current == certified.number
        assert replaced.replaced_on == date(2027, 2, 1)
        assert lookups.replaced_number(certified.number) is None
    finally:
        lookups.close()
    assert database.reads.replaced_number(first) == replaced
    assert case_holding(database, first).id == certified.id
    with pytest.raises(CaseNotFound):
        case_holding(database, "ASC-2024-999999")


def test_database_reads_agree_across_backends(database: Database) -> None:
    certified, applying = _certified(database)
    assert certified.id is not None
    reads = database.reads
    watch = reads.deadline_watch(T0, limit=10, max_attempts=8)
    assert watch.overdue == 2 and watch.oldest_overdue == T0 - timedelta(days=1)
    assert [d.kind for d in watch.upcoming] == [DeadlineKind.EXPIRY]
    assert watch.lease_holders == [LeaseHolder("w1", 1, T0 + timedelta(hours=1))]
    assert watch.incidents == [] and (watch.outbox_pending, watch.outbox_given_up) == (1, 0)
    assert reads.deadline_watch(T0, limit=10, max_attempts=0).outbox_given_up == 1
    assert reads.register_counts() == {("active", "five_star"): 1, ("applied", None): 1}
    assert reads.notifications_written() == 1
    assert sorted(reads.case_states()) == ["active", "applied"]
    assert [c.id for c in reads.cases([State.ACTIVE])] == [certified.id]
    assert reads.latest_sheets() == {certified.id: SHEET}
    assert reads.latest_sheets_plain() == {
        certified.id: {
            "results": {
                "organisation": {"points": "5.50"},
                "repair": {"conforming": 17, "sampled": 20},
                "complaint_handling": {"points": "12.125"},
                "quality_guarantee": {
                    "items": {
                        "returns": {"points": "2"},
                        "exchanges": {"points": "1.5"},
                        "warranty": {"points": "3"},
                    }
                },
            },
            "excluded": ["delivery", "recycling"],
            "special_deductions": ["late complaint reply", "missing record"],
            "special_bonus": "national service award",
        }
    }
    applications = reads.applications({applying.application_id})
    assert list(applications) == [applying.application_id]
    open_rows = reads.deadlines_by_case()
    assert sorted(d.kind for d in open_rows[certified.id]) == sorted(
        [DeadlineKind.SURVEILLANCE_DUE, DeadlineKind.EXPIRY, DeadlineKind.RECERT_REMINDER]
    )
    assert reads.deadlines_by_case(done_of_kinds={DeadlineKind.RECERT_REMINDER}) == {}


def test_heartbeats_keep_each_workers_last_beat(database: Database) -> None:
    beat = Heartbeat("w1", 7, "host", "running", T0, T0, T0, T0, 1, 0, None)
    database.heartbeats.put(beat)
    database.heartbeats.put(replace(beat, fired_total=2, state="stopped"))
    database.heartbeats.put(replace(beat, worker="w0"))
    assert [(b.worker, b.fired_total, b.state) for b in database.heartbeats.all()] == [
        ("w0", 1, "running"),
        ("w1", 2, "stopped"),
    ]


def test_operations_counts_agree_across_backends(database: Database) -> None:
    _certified(database)
    now = T0 + timedelta(hours=12)
    counts = database.reads.operations_counts(
        now, late_before=now - timedelta(days=1), max_attempts=3
    )
    # Due: the surveillance (T0) and the claimed reminder (T0 - 1 day); only the latter is late.
    assert (counts.deadlines_due, counts.deadlines_late, counts.deadlines_in_incident) == (2, 1, 0)
    assert counts.outbox == {("webhook", "pending"): 1}
    given_up = database.reads.operations_counts(now, late_before=now, max_attempts=0)
    assert given_up.outbox == {("webhook", "given_up"): 1}
