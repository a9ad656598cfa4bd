"""SQLite units of work take turns on one kept connection; no transaction outlives its unit.

A transaction begun on the driver and one SQLAlchemy's session begins must be the same one,
committed or rolled back together; a connection handed on must carry no open transaction; a
second thread must never share the connection the first is using.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from storage_builders import new_case

from storage.sql import statements as st
from storage.sql.engines import make_engine
from storage.sql.kept_connection import KeptConnection, keep_for
from storage.sql.migrate import upgrade
from storage.sql.sql_unit_of_work import SqlUnitOfWork
from workflows.model import Organisation

# A deferred foreign key fails at COMMIT, and SQLite then keeps the transaction open.
DEFER_FOREIGN_KEYS = "PRAGMA defer_foreign_keys = ON"
ORPHAN_AUDIT = (
    "INSERT INTO audits (case_id, kind, audit_date, auditor)"
    " VALUES (999, 'special', '2024-03-01', 'auditor')"
)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'kept.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def kept(engine: Engine) -> Iterator[KeptConnection]:
    kept = keep_for(engine)
    assert kept is not None
    yield kept
    kept.close()


def _driver_of(uow: SqlUnitOfWork) -> object:
    return uow.connection.connection.driver_connection


def _organisations(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM organisations")).scalar_one())


def test_units_in_turn_use_the_kept_connection_and_see_what_the_last_committed(
    engine: Engine, kept: KeptConnection
) -> None:
    with SqlUnitOfWork(engine, kept) as uow:
        first = _driver_of(uow)
        case = new_case(uow)
        uow.commit()
    with SqlUnitOfWork(engine, kept) as uow:
        assert _driver_of(uow) is first
        assert case.id is not None and uow.cases.get(case.id).holder == case.holder


def test_a_unit_left_by_an_exception_hands_on_no_open_transaction(
    engine: Engine, kept: KeptConnection
) -> None:
    with pytest.raises(RuntimeError, match="midway"), SqlUnitOfWork(engine, kept) as uow:
        new_case(uow, "never stored")
        raise RuntimeError("midway")
    with SqlUnitOfWork(engine, kept) as uow:
        new_case(uow, "stored")  # BEGIN IMMEDIATE again: it would fail inside an open one
        uow.commit()
    assert _organisations(engine) == 1


def test_driver_statements_and_session_queries_commit_and_roll_back_as_one(
    engine: Engine, kept: KeptConnection
) -> None:
    with SqlUnitOfWork(engine, kept) as uow:
        new_case(uow, "driver first")  # begins the transaction on the driver
        assert len(uow.cases.list()) == 1  # the session joins it and sees the row
        uow.rollback()
        assert uow.cases.list() == []
        new_case(uow, "kept")
        uow.cases.list()
        uow.commit()
    assert _organisations(engine) == 1


def test_a_second_thread_gets_its_own_connection_while_the_kept_one_is_lent(
    engine: Engine, kept: KeptConnection
) -> None:
    held = kept.lend()  # as a unit of work on this thread has it
    seen: dict[str, object] = {}

    def other() -> None:
        with SqlUnitOfWork(engine, kept) as uow:
            seen["driver"] = _driver_of(uow)
            new_case(uow, "written from the other thread")
            uow.commit()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(10)
    assert seen["driver"] is not held.connection.driver_connection
    assert _organisations(engine) == 1
    kept.give_back(held)
    with SqlUnitOfWork(engine, kept) as uow:
        assert _driver_of(uow) is held.connection.driver_connection  # the kept one is back


def test_an_invalidated_kept_connection_is_replaced_on_the_next_lend(
    engine: Engine, kept: KeptConnection
) -> None:
    with SqlUnitOfWork(engine, kept) as uow:
        broken = _driver_of(uow)
        uow.connection.invalidate()
    with SqlUnitOfWork(engine, kept) as uow:
        assert _driver_of(uow) is not broken
        uow.organisations.add(Organisation(None, "after", "91350100M99999999X"))
        uow.commit()
    assert _organisations(engine) == 1


def test_postgresql_keeps_no_connection() -> None:
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")  # never connected
    try:
        assert keep_for(engine) is None
    finally:
        engine.dispose()


def test_a_commit_the_database_refuses_leaves_nothing_open_or_stored(
    engine: Engine, kept: KeptConnection
) -> None:
    with SqlUnitOfWork(engine, kept) as uow:
        uow.organisations.add(Organisation(None, "in the refused commit", "91350100M88888888X"))
        uow.write(st.Prepared(text(DEFER_FOREIGN_KEYS)), {})  # on the driver, as a transition
        uow.write(st.Prepared(text(ORPHAN_AUDIT)), {})
        with pytest.raises(IntegrityError, match="FOREIGN KEY"):
            uow.commit()
    with SqlUnitOfWork(engine, kept) as uow:
        new_case(uow, "after")  # BEGIN IMMEDIATE: it would fail inside the refused transaction
        uow.commit()
    assert _organisations(engine) == 1


def test_closing_while_lent_closes_it_when_given_back(engine: Engine, kept: KeptConnection) -> None:
    held = kept.lend()
    kept.close()  # does not wait for the holder
    assert not held.closed
    kept.give_back(held)
    assert held.closed
    with SqlUnitOfWork(engine, kept) as uow:  # a new kept connection
        new_case(uow)
        uow.commit()
    assert _organisations(engine) == 1


def test_a_refused_commit_of_a_transaction_the_session_began_is_rolled_back_too(
    engine: Engine, kept: KeptConnection
) -> None:
    with SqlUnitOfWork(engine, kept) as uow:
        assert uow.cases.list() == []  # the session begins the transaction
        uow.organisations.add(Organisation(None, "in the refused commit", "91350100M77777777X"))
        uow.core(text(DEFER_FOREIGN_KEYS))
        uow.core(text(ORPHAN_AUDIT))
        with pytest.raises(IntegrityError, match="FOREIGN KEY"):
            uow.commit()
    for before in range(2):  # neither path joins what was refused
        with SqlUnitOfWork(engine, kept) as uow:
            assert len(uow.cases.list()) == before
            new_case(uow, "after")
            uow.commit()
    assert _organisations(engine) == 2
