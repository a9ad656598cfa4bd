"""The lifecycle over the SQL backends: hash chains survive the round trip through a database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from lifecycle_doubles import SHANGHAI, START, PlainRules, sheet_scoring
from lifecycle_steps import OPERATOR, Office
from sqlalchemy import create_engine, event
from sqlalchemy.engine import make_url

from storage.sql.engines import default_sqlite_url, make_engine
from storage.sql.migrate import upgrade
from storage.sql.sql_unit_of_work import SqlUnitOfWork
from workflows import commands as c
from workflows.audit_trail import event_hash, verify_log
from workflows.case_service import CaseService
from workflows.deadline_runner import DeadlineRunner
from workflows.errors import IllegalTransition
from workflows.fake_clock import FakeClock
from workflows.model import State


@pytest.fixture
def pg_schema_url(pg_server_url: str) -> Iterator[str]:
    schema = f"wf_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = make_url(pg_server_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def sql_office(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Office]:
    if request.param == "sqlite":
        url = default_sqlite_url(tmp_path)
    else:
        url = request.getfixturevalue("pg_schema_url")
    upgrade(url)
    engine = make_engine(url)
    clock = FakeClock(START)

    def new_uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(engine)

    case_service = CaseService(new_uow, PlainRules(), clock, SHANGHAI, number_prefix="ASC")
    try:
        yield Office(case_service, new_uow, clock)
    finally:
        engine.dispose()


def test_a_full_cycle_verifies_after_the_database_round_trip(sql_office: Office) -> None:
    office = sql_office
    case_id = office.certify(score=91)
    office.clock.set(datetime(2025, 3, 1, 3, 0, tzinfo=UTC))
    office.fire_due()  # late: reminder, then suspension for the overdue surveillance
    office.case_service.handle(
        c.RecordSurveillance(case_id, office.today, "zhao.lei", sheet_scoring(96), OPERATOR)
    )
    office.case_service.handle(c.Restore(case_id, "surveillance done", OPERATOR))
    snap = office.snapshot(case_id)
    assert snap.case.state is State.ACTIVE
    assert office.open_deadlines(case_id)["surveillance_due"] == date(2026, 2, 14)
    assert [e.trigger for e in snap.events][-4:] == ["remind", "suspend", "note_audit", "restore"]
    assert all(event_hash(e) == e.hash for e in snap.events)
    with office.new_uow() as uow:
        report = verify_log(uow.events)
    assert report.ok and report.events_checked == len(snap.events)

    before = office.snapshot(case_id)
    with pytest.raises(IllegalTransition, match="is active: restore refused"):
        office.case_service.handle(c.Restore(case_id, "again", OPERATOR))
    assert office.snapshot(case_id) == before


def _traced_office(tmp_path: Path) -> tuple[Office, list[str]]:
    """An office on SQLite whose every statement (pragmas aside) is written down."""
    url = default_sqlite_url(tmp_path)
    upgrade(url)
    engine = make_engine(url)
    seen: list[str] = []

    @event.listens_for(engine, "connect")
    def _traced(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_trace_callback(
            lambda sql: None if sql.lstrip().upper().startswith("PRAGMA") else seen.append(sql)
        )

    clock = FakeClock(START)

    def new_uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(engine)

    service = CaseService(new_uow, PlainRules(), clock, SHANGHAI, number_prefix="ASC")
    return Office(service, new_uow, clock), seen


def _reads_of(table: str, seen: list[str]) -> list[str]:
    return [s for s in seen if s.lstrip().upper().startswith("SELECT") and f"FROM {table} " in s]


def test_a_restore_reads_its_case_s_deadlines_once(tmp_path: Path) -> None:
    """Restoring plans a surveillance reminder again, so it asks which were already sent: the
    open and the done deadlines come from one read, not two."""
    office, seen = _traced_office(tmp_path)
    case_id = office.certify(score=91)
    office.case_service.handle(c.Suspend(case_id, "client_request", "asked", OPERATOR))
    seen.clear()
    restored = office.case_service.handle(c.Restore(case_id, "resumed", OPERATOR))
    assert len(_reads_of("deadlines", seen)) == 1, "\n".join(seen)
    assert restored.state is State.ACTIVE
    assert "surveillance_window_opens" in office.open_deadlines(case_id)


def test_a_stage_1_audit_is_recorded_without_reading_the_case_s_audits(tmp_path: Path) -> None:
    """The command brings the stage 1 audit the guard asks for: only the date check reads."""
    office, seen = _traced_office(tmp_path)
    case_id = office.apply()
    office.case_service.handle(c.ReviewApplication(case_id, OPERATOR))
    seen.clear()
    recorded = office.case_service.handle(
        c.RecordStage1(case_id, office.today, "zhao.lei", OPERATOR)
    )
    assert [s for s in _reads_of("audits", seen) if "max(" not in s] == [], "\n".join(seen)
    assert recorded.state is State.STAGE2


def _fired_in_batches(tmp_path: Path, per_commit: int | None) -> tuple[list[str], list[Any], int]:
    """Three certificates a year and more on, their due deadlines fired by one runner tick:
    the statements run, each case's history afterwards, and how many fired."""
    office, seen = _traced_office(tmp_path)
    ids = [office.certify(score=91) for _ in range(3)]
    office.days(400)  # each has its surveillance window and its surveillance due behind it
    runner = DeadlineRunner(
        case_service=office.case_service, uow_factory=office.new_uow, clock=office.clock,
        worker="w", lease=timedelta(minutes=5), batch_size=50, per_commit=per_commit,
    )  # fmt: skip
    seen.clear()
    report = runner.tick()
    statements = list(seen)
    assert report.fired >= 6 and report.failed == 0, report.counts()
    with office.new_uow() as uow:
        histories = [[(e.trigger, e.to_state) for e in uow.events.for_case(i)] for i in ids]
        assert verify_log(uow.events).ok
    return statements, histories, report.fired


def test_a_batch_of_firings_reads_its_cases_and_deadlines_ahead(tmp_path: Path) -> None:
    """Group commit reads the claimed batch's cases and deadlines in two statements, not two a
    firing; the cases end as when each firing reads for itself."""
    ahead, batched, fired = _fired_in_batches(tmp_path / "batch", None)
    alone, one_by_one, _ = _fired_in_batches(tmp_path / "one", 1)
    assert batched == one_by_one

    def case_reads(seen: list[str]) -> int:
        return len([s for s in _reads_of("cases", seen) if "cases.organisation_id" in s])

    # One read for the three; a case's later firings in the batch read what the first wrote.
    assert case_reads(ahead) == 1 + fired - 3, "\n".join(_reads_of("cases", ahead))
    assert case_reads(alone) == fired
    assert len(_reads_of("deadlines", ahead)) <= len(_reads_of("deadlines", alone)) - 2
