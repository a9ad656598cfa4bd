"""What the database itself enforces, and the migrations that build it."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from storage_backends import Backend, sqlite_url
from storage_builders import T0, new_case

from starcert.daemon import is_database_down
from storage.sql.engines import make_engine, parse_url
from storage.sql.migrate import current, head, upgrade
from storage.sql.schema import SCHEMA_REVISION, require_current, stored_revision
from storage.sql.sql_unit_of_work import SqlUnitOfWork
from storage.sql.tables import UtcDateTime, metadata, utc_from_sqlite, utc_to_sqlite
from workflows.errors import DatabaseUnavailable, InvalidInput
from workflows.model import Event, State

REPO = Path(__file__).resolve().parents[2]


def _one_event(backend: Backend) -> int:
    with backend.new_uow() as uow:
        case = new_case(uow)
        assert case.id is not None
        uow.events.append(
            Event(
                case.id, 1, T0, "op", "submit", None, State.APPLIED, None, None, None, {}, "", "h1"
            )
        )
        uow.commit()
    return case.id


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE events SET actor = 'forger' WHERE case_id = :c",
        "UPDATE events SET hash = 'x'",
        "DELETE FROM events WHERE case_id = :c",
        "DELETE FROM events",
    ],
)
def test_the_database_refuses_to_change_or_delete_events(
    sql_backend: Backend, statement: str
) -> None:
    case_id = _one_event(sql_backend)
    assert sql_backend.engine is not None
    with pytest.raises(DBAPIError, match="append-only"), sql_backend.engine.begin() as conn:
        conn.execute(text(statement), {"c": case_id})
    with sql_backend.new_uow() as uow:
        [kept] = uow.events.for_case(case_id)
    assert (kept.actor, kept.hash) == ("op", "h1")


@pytest.mark.postgres
def test_postgres_refuses_truncate_of_events(pg_schema_url: str) -> None:
    upgrade(pg_schema_url)
    engine = make_engine(pg_schema_url)
    try:
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text("TRUNCATE events CASCADE"))
    finally:
        engine.dispose()


def _migrated_url(request: pytest.FixtureRequest, tmp_path: Path, name: str) -> str:
    if name == "sqlite":
        return sqlite_url(tmp_path)
    url: str = request.getfixturevalue("pg_schema_url")
    return url


@pytest.mark.parametrize("name", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_upgrade_from_nothing_matches_the_models(
    request: pytest.FixtureRequest, tmp_path: Path, name: str
) -> None:
    url = _migrated_url(request, tmp_path, name)
    assert current(url) is None
    upgrade(url)
    assert current(url) == head() == SCHEMA_REVISION
    upgrade(url)  # a second upgrade is a no-op
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            diffs = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), metadata
            )
            tables = set(inspect(conn).get_table_names())
    finally:
        engine.dispose()
    assert diffs == []
    assert tables == {
        "alembic_version",
        "organisations",
        "applications",
        "cases",
        "audits",
        "deadlines",
        "events",
        "rule_versions",
        "notifications",
        "accounts",
        "daemon_status",
        "checkpoint_keys",
        "checkpoints",
        "console_sessions",
        "rate_limit_buckets",
        "auditors",
        "auditor_areas",
        "auditor_languages",
        "auditor_unavailability",
        "auditor_relations",
        "auditor_changes",
        "findings",
        "audit_assignments",
        "planning_warnings",
    }


_V1_ROWS = [
    "INSERT INTO organisations (id, name, credit_code) VALUES (1, 'Org', 'code')",
    "INSERT INTO applications (id, organisation_id, submitted_on, service_system_since, scope,"
    " has_service_documents, has_dedicated_manager, has_dedicated_funds, has_trained_staff,"
    " is_prc_legal_entity) VALUES (1, 1, '2025-01-01', '2024-01-01', 's', true, true, true,"
    " true, true)",
    "INSERT INTO cases (id, organisation_id, application_id, state, holder, scope, version)"
    " VALUES (1, 1, 1, 'active', 'Org', 's', 2), (2, 1, 1, 'applied', 'Org', 's', 0)",
]


def _event(seq: int, trigger: str = "t", data: str = "{}") -> str:
    """An event row of case 1 (hash h<seq>), inserted as an older release would have."""
    return (
        'INSERT INTO events (case_id, seq, at, actor, "trigger", to_state, data, prev_hash, hash)'
        f" VALUES (1, {seq}, '2025-01-01 00:00:0{seq}', 'op', '{trigger}', 'active', '{data}',"
        f" '', 'h{seq}')"
    )


def _database_at(
    request: pytest.FixtureRequest, tmp_path: Path, name: str, revision: str, rows: list[str]
) -> tuple[str, Engine]:
    """A database migrated to `revision` only, holding `rows`."""
    url = _migrated_url(request, tmp_path, name)
    upgrade(url, revision)
    engine = make_engine(url)
    with engine.begin() as conn:
        for statement in rows:
            conn.execute(text(statement))
    return url, engine


@pytest.mark.parametrize("name", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_upgrading_a_database_in_use_records_each_cases_chain_head(
    request: pytest.FixtureRequest, tmp_path: Path, name: str
) -> None:
    url, engine = _database_at(request, tmp_path, name, "0001", [*_V1_ROWS, _event(1), _event(2)])
    try:
        upgrade(url)
        heads = "SELECT id, head_seq, head_hash FROM cases ORDER BY id"
        with engine.begin() as conn:
            assert [tuple(r) for r in conn.execute(text(heads))] == [(1, 2, "h2"), (2, 0, "")]
            conn.execute(text(_event(3)))  # the trigger moves the head from now on
            assert next(tuple(r) for r in conn.execute(text(heads))) == (1, 3, "h3")
    finally:
        engine.dispose()


@pytest.mark.parametrize("name", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_upgrading_counts_each_cases_passing_surveillances_since_its_period_began(
    request: pytest.FixtureRequest, tmp_path: Path, name: str
) -> None:
    trail = [
        _event(1, "certify"), _event(2, "surveil"), _event(3, "recertify"),
        _event(4, "surveil"), _event(5, "fail_surveillance"),
        _event(6, "restore", '{"cleared_cause": "failed_surveillance", "score": {}}'),
        _event(7, "suspend"), _event(8, "restore", '{"cleared_cause": "client_request"}'),
    ]  # fmt: skip
    url, engine = _database_at(request, tmp_path, name, "0002", [*_V1_ROWS, *trail])
    try:
        upgrade(url)
        counts = "SELECT id, surveillances FROM cases ORDER BY id"
        with engine.connect() as conn:
            # Since the re-certification: one surveillance, one restore a surveillance cleared.
            assert [tuple(r) for r in conn.execute(text(counts))] == [(1, 2), (2, 0)]
    finally:
        engine.dispose()


@pytest.mark.parametrize("name", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_upgrading_keeps_accounts_revoked_before_who_revoked_was_recorded(
    request: pytest.FixtureRequest, tmp_path: Path, name: str
) -> None:
    old = (
        "INSERT INTO accounts (name, role, token_hash, created_at, created_by, revoked_at)"
        f" VALUES ('gone', 'viewer', '{'a' * 64}', '2025-01-01 00:00:00', 'root',"
        " '2025-02-01 00:00:00')"
    )
    url, engine = _database_at(request, tmp_path, name, "0003", [old])
    try:
        upgrade(url)
        who = "SELECT name, revoked_at IS NOT NULL, revoked_by FROM accounts"
        with engine.connect() as conn:
            assert [tuple(r) for r in conn.execute(text(who))] == [("gone", True, None)]
    finally:
        engine.dispose()


@pytest.mark.parametrize("name", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_upgrading_puts_every_certificate_at_its_first_version(
    request: pytest.FixtureRequest, tmp_path: Path, name: str
) -> None:
    url, engine = _database_at(request, tmp_path, name, "0013", [*_V1_ROWS, _event(1, "certify")])
    try:
        upgrade(url)
        with engine.connect() as conn:
            found = conn.execute(text("SELECT id, amendments FROM cases ORDER BY id"))
            assert [tuple(r) for r in found] == [(1, 0), (2, 0)]
    finally:
        engine.dispose()


def test_sqlite_runs_in_wal_with_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path))
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    finally:
        engine.dispose()


def test_make_engine_connects_lazily_and_refuses_other_databases(tmp_path: Path) -> None:
    missing_dir = tmp_path / "not-yet"
    make_engine(f"sqlite:///{missing_dir}/x.db").dispose()  # no connection: no error
    assert not missing_dir.exists()
    assert parse_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    with pytest.raises(InvalidInput, match=r"database_url.*mysql"):
        make_engine("mysql://u@h/db")
    with pytest.raises(InvalidInput, match="psycopg"):
        make_engine("postgresql+psycopg2://u@h/db")
    with pytest.raises(InvalidInput, match="database_url"):
        make_engine("not a url")


def test_migrations_run_from_any_working_directory(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    script = (
        "import sys; from storage.sql.migrate import upgrade, current; "
        "upgrade(sys.argv[1]); print(current(sys.argv[1]))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", script, url],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == SCHEMA_REVISION


def test_the_schema_revision_the_code_needs_is_the_newest_migration(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'revision.db'}"
    engine = make_engine(url)
    try:
        assert stored_revision(engine) is None
        upgrade(url)
        assert stored_revision(engine) == head() == SCHEMA_REVISION
        require_current(engine)  # does not raise
    finally:
        engine.dispose()


def test_the_fused_sqlite_instant_conversions_match_sqlalchemys_own() -> None:
    dialect = sqlite_dialect()
    column_type = UtcDateTime().dialect_impl(dialect)  # what SQLAlchemy itself would run
    bind = column_type.bind_processor(dialect)
    result = column_type.result_processor(dialect, None)
    assert bind is not None and result is not None
    shanghai = timezone(timedelta(hours=8))
    for value in (
        datetime(2026, 12, 1, 0, 0, tzinfo=UTC),
        datetime(2026, 12, 1, 7, 59, 59, 999999, tzinfo=shanghai),
        datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        datetime(2024, 2, 29, 23, 0, tzinfo=timezone(timedelta(hours=-5))),
    ):
        text_form = bind(value)
        assert utc_to_sqlite(value) == text_form
        assert utc_from_sqlite(text_form) == result(text_form) == value
    assert utc_to_sqlite(None) is None and utc_from_sqlite(None) is None
    with pytest.raises(ValueError, match="naive"):
        utc_to_sqlite(datetime(2026, 1, 1))


@pytest.mark.postgres
def test_a_connection_lost_mid_transaction_is_database_unavailable_and_never_reused(
    pg_schema_url: str,
) -> None:
    upgrade(pg_schema_url)
    engine = make_engine(pg_schema_url)
    admin = make_engine(pg_schema_url)
    try:
        with SqlUnitOfWork(engine) as uow:
            case = new_case(uow)
            uow.commit()
        assert case.id is not None
        with pytest.raises(DatabaseUnavailable) as raised, SqlUnitOfWork(engine) as uow:
            pid = uow.core(text("SELECT pg_backend_pid()")).scalar()
            with admin.begin() as conn:  # the server drops the connection under the command
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            uow.cases.get(case.id)
        lost = raised.value.__cause__
        assert isinstance(lost, OperationalError) and lost.connection_invalidated
        assert is_database_down(raised.value)  # so the daemon backs off instead of an incident
        with SqlUnitOfWork(engine) as uow:  # the pool hands out a live connection
            assert uow.cases.get(case.id).id == case.id
    finally:
        engine.dispose()
        admin.dispose()


def test_driver_errors_of_prepared_statements_reach_callers_as_storage_errors(
    tmp_path: Path,
) -> None:
    url = sqlite_url(tmp_path)
    upgrade(url)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:  # a damaged database: the deadlines table is gone
            conn.execute(text("DROP TABLE deadlines"))
        missing = pytest.raises(DatabaseUnavailable, match="no such table: deadlines")
        with missing as raised, SqlUnitOfWork(engine) as uow:
            uow.deadlines.open_for_case(1)
        cause = raised.value.__cause__
        assert isinstance(cause, OperationalError)  # SQLAlchemy's type, as its own path raises
        assert isinstance(cause.orig, sqlite3.OperationalError)
    finally:
        engine.dispose()


@pytest.mark.parametrize("name", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_upgrading_keeps_applications_made_before_their_size_was_recorded(
    request: pytest.FixtureRequest, tmp_path: Path, name: str
) -> None:
    url, engine = _database_at(request, tmp_path, name, "0011", _V1_ROWS)
    try:
        upgrade(url)
        size = "SELECT id, scope, area, personnel, sites FROM applications ORDER BY id"
        with engine.connect() as conn:
            rows = [tuple(r) for r in conn.execute(text(size))]
        assert rows and all(r[2:] == (None, None, None) for r in rows)
        assert all(r[1] for r in rows)  # the rest of each application as it was
    finally:
        engine.dispose()
