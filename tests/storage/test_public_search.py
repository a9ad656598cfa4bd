"""The public query finds certificates alike on every backend (memory, SQLite, PostgreSQL): by
number, by a part of the holder's name in any case, by the holder's credit code; only numbered
cases in the states asked for, paged, with what dates their status and next surveillance."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from storage_backends import sqlite_url
from storage_builders import T0, new_case

from storage.database import Database, open_database
from storage.memory.memory_database import MemoryDatabase
from storage.sql.migrate import upgrade
from storage.sql.sql_public_lookups import public_cases
from workflows.model import Case, Deadline, DeadlineKind, Event, StarLevel, State

PUBLIC = (State.ACTIVE, State.SUSPENDED, State.WITHDRAWN, State.EXPIRED, State.CANCELLED)


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
    try:
        yield found
    finally:
        found.close()


def _event(case: Case, seq: int, trigger: str, to: State, data: dict[str, object]) -> Event:
    assert case.id is not None
    return Event(
        case.id, seq, T0 + timedelta(days=seq), "tester", trigger, None if seq == 1 else
        State.ACTIVE, to, None, None, None, data, "", f"h{case.id}-{seq}",
    )  # fmt: skip


def _register(database: Database) -> dict[str, Case]:
    """Four holders: two active (one with its surveillance deadline open), one withdrawn by a
    deadline that fired late, one still applying (no number); `ACME` mixed case; one name with
    LIKE's wildcards in it."""
    cases: dict[str, Case] = {}
    with database.unit_of_work() as uow:
        for key, name, state in (
            ("acme", "ACME 家电服务有限公司", State.ACTIVE),
            ("fuzhou", "福州家电服务有限公司", State.WITHDRAWN),
            ("wild", "100%_Service Co", State.ACTIVE),
            ("applying", "厦门家电服务有限公司", State.APPLIED),
        ):
            case = new_case(uow, name)
            assert case.id is not None
            if state is not State.APPLIED:
                case.state, case.star_level = state, StarLevel.FOUR
                case.number = f"ASC-2024-{case.id:06d}"
                case.issued_on, case.expires_on = date(2024, 3, 1), date(2027, 2, 28)
                case.suspended_on = date(2024, 6, 1) if state is State.WITHDRAWN else None
                uow.cases.save(case)
                uow.events.append(_event(case, 1, "certify", State.ACTIVE, {}))
            cases[key] = case
        uow.events.append(_event(cases["fuzhou"], 2, "suspend", State.SUSPENDED, {}))
        late = {"deadline": {"kind": "suspension_limit", "due_on": "2024-12-01"}}
        uow.events.append(_event(cases["fuzhou"], 3, "withdraw", State.WITHDRAWN, late))
        acme = cases["acme"].id
        assert acme is not None
        uow.deadlines.add(Deadline(None, acme, DeadlineKind.SURVEILLANCE_DUE, T0))
        uow.deadlines.add(Deadline(None, acme, DeadlineKind.EXPIRY, T0 - timedelta(days=9)))
        uow.commit()
    return cases


def test_the_public_query_finds_by_each_key_alike_on_every_backend(database: Database) -> None:
    cases = _register(database)
    acme, fuzhou, wild = cases["acme"], cases["fuzhou"], cases["wild"]
    lookups = database.public_lookups()
    try:
        search = lookups.search
        found, total = search(holder="家电服务", states=PUBLIC, limit=20)
        assert total == 2 and [r.certificate.number for r in found] == [acme.number, fuzhou.number]
        lower = search(holder="acme", states=PUBLIC, limit=20)[0]
        assert [r.certificate.holder for r in lower] == ["ACME 家电服务有限公司"]
        assert search(holder="Acme 家电", states=PUBLIC, limit=20)[1] == 1  # any case
        assert search(holder="厦门", states=PUBLIC, limit=20) == ([], 0)  # no number yet
        assert search(holder="家电服务", states=[State.ACTIVE], limit=20)[1] == 1
        literal, _ = search(holder="0%_s", states=PUBLIC, limit=20)  # wildcards taken literally
        assert [r.certificate.number for r in literal] == [wild.number]
        assert search(holder="0_%s", states=PUBLIC, limit=20) == ([], 0)

        page, total = search(holder="c", states=PUBLIC, limit=1, offset=1)
        assert total == 2 and [r.certificate.number for r in page] == [wild.number]

        code = _credit_code(database, fuzhou)
        [withdrawn], total = search(credit_code=code, states=PUBLIC, limit=20)
        assert total == 1 and withdrawn.certificate.state is State.WITHDRAWN
        assert withdrawn.status_entered_at == T0 + timedelta(days=3)
        assert withdrawn.status_effective_on == date(2024, 12, 2)  # the day after its due day
        assert withdrawn.suspended_on == date(2024, 6, 1)
        assert withdrawn.surveillance_due_at is None
        assert search(credit_code="91350100MA00000000", states=PUBLIC, limit=20) == ([], 0)

        assert acme.number is not None
        [active], total = search(number=acme.number, states=PUBLIC, limit=20)
        assert active.certificate.holder == "ACME 家电服务有限公司"
        assert active.certificate.star_level is StarLevel.FOUR
        assert active.surveillance_due_at == T0  # the open surveillance deadline, not expiry
        assert active.status_entered_at == T0 + timedelta(days=1)
        assert active.status_effective_on is None
        with pytest.raises(ValueError, match="exactly one"):
            search(number=acme.number, holder="ACME", states=PUBLIC, limit=20)
    finally:
        lookups.close()


def _credit_code(database: Database, case: Case) -> str:
    with database.unit_of_work() as uow:
        return uow.organisations.get(case.organisation_id).credit_code


def test_number_and_credit_code_are_found_by_index(tmp_path: Path) -> None:
    """On SQLite's plan: the number by uq_cases_number, the credit code by the organisations'
    unique index and then the organisation's cases by ix_cases_organisation; no table scan."""
    url = sqlite_url(tmp_path)
    upgrade(url)
    engine = sa.create_engine(url)
    try:
        plans = {}
        for key, value in (("number", "ASC-2024-000001"), ("credit_code", "91350100MA00000000")):
            query = public_cases(**{"number": None, "holder": None, "credit_code": None, key: value},
                           states=PUBLIC)  # fmt: skip
            sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
            with engine.connect() as conn:
                plans[key] = [r[-1] for r in conn.execute(sa.text(f"EXPLAIN QUERY PLAN {sql}"))]
    finally:
        engine.dispose()
    assert plans["number"] == ["SEARCH cases USING INDEX sqlite_autoindex_cases_1 (number=?)"]
    organisations, cases = plans["credit_code"]
    assert organisations.startswith("SEARCH organisations USING COVERING INDEX")
    assert "(credit_code=?)" in organisations
    assert cases == "SEARCH cases USING INDEX ix_cases_organisation (organisation_id=?)"


def test_verification_and_the_query_give_the_certificates_version(database: Database) -> None:
    cases = _register(database)
    acme = cases["acme"]
    assert acme.number is not None
    with database.unit_of_work() as uow:
        changed = uow.cases.get(acme.id or 0)
        changed.amendments = 2
        uow.cases.save(changed)
        uow.commit()
    lookups = database.public_lookups()
    try:
        verified = lookups.verify(acme.number)
        assert verified is not None and verified.amendments == 2
        [found], _ = lookups.search(number=acme.number, states=PUBLIC, limit=20)
        assert found.certificate.amendments == 2
        [other], _ = lookups.search(number=cases["wild"].number, states=PUBLIC, limit=20)
        assert other.certificate.amendments == 0
    finally:
        lookups.close()
