"""Audit assignments, alike on every backend: an accepted team comes back as stored, a new
accept replaces the one before and keeps it (marked with its replacement), a second replacement
of the same one loses the race, and an assignment naming no case or no auditor writes nothing.
Beside them, the migration that adds the table to a database in use."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.memory.memory_assignments import MemoryAssignments
from storage.memory.memory_auditors import MemoryAuditors
from storage.sql.engines import make_engine
from storage.sql.migrate import upgrade
from storage.sql.sql_assignments import SqlAssignments
from storage.sql.sql_auditors import SqlAuditors
from tests.storage.storage_backends import Backend, sqlite_url
from tests.storage.storage_builders import new_case
from workflows.assignments import Assignment
from workflows.auditors import Auditor, AuditorChange, Grade, Qualification
from workflows.errors import CaseNotFound, ConcurrencyConflict, NotFound
from workflows.ports import AssignmentStore, AuditorRegister

AT = datetime(2026, 11, 2, 1, 30, tzinfo=UTC)


def _stores(backend: Backend) -> tuple[AssignmentStore, AuditorRegister]:
    if backend.store is not None:
        return MemoryAssignments(backend.store), MemoryAuditors(backend.store)
    assert backend.engine is not None
    return SqlAssignments(backend.engine), SqlAuditors(backend.engine)


def _auditor(register: AuditorRegister, registration: str) -> int:
    q = Qualification(registration, Grade.SENIOR_AUDITOR, date(2021, 4, 1), date(2028, 3, 31))
    added = register.add(
        Auditor(None, f"审核员{registration}", q), AuditorChange(None, 0, AT, "li", "added", {})
    )
    assert added.id is not None
    return added.id


def _case(backend: Backend) -> int:
    with backend.new_uow() as uow:
        case = new_case(uow)
        uow.commit()
    assert case.id is not None
    return case.id


def _assignment(case_id: int, members: tuple[int, ...], **changes: object) -> Assignment:
    made = Assignment(
        None, case_id, "surveillance", date(2027, 3, 1), date(2027, 3, 2), members[0], members,
        "zhang", AT, "1",
    )  # fmt: skip
    return replace(made, **changes)  # type: ignore[arg-type]


def test_an_accepted_team_comes_back_and_a_replacement_keeps_the_old_one(
    backend: Backend,
) -> None:
    store, register = _stores(backend)
    case = _case(backend)
    wang, li = _auditor(register, "R-1"), _auditor(register, "R-2")
    first = store.add(_assignment(case, (wang, li)))
    assert first.id is not None and first.current
    assert store.for_case(case) == [first]
    assert _stores(backend)[0].current() == [first]  # a handle of its own sees the same
    second = store.add(_assignment(case, (li,), replaces=first.id, starts_on=date(2027, 3, 3),
                                   ends_on=date(2027, 3, 4), accepted_by="wu"))  # fmt: skip
    old, new = store.for_case(case)
    assert old == replace(first, replaced_by=second.id)
    assert new == second and new.replaces == first.id and new.member_ids == (li,)
    assert new.accepted_at == AT and new.accepted_by == "wu"
    assert store.current() == [second]
    other = _case(backend)
    assert store.for_case(other) == []


def test_replacing_a_replaced_assignment_loses_the_race_and_writes_nothing(
    backend: Backend,
) -> None:
    store, register = _stores(backend)
    case = _case(backend)
    wang = _auditor(register, "R-1")
    first = store.add(_assignment(case, (wang,)))
    store.add(_assignment(case, (wang,), replaces=first.id))
    before = store.for_case(case)
    with pytest.raises(ConcurrencyConflict, match=f"assignment {first.id} was replaced"):
        store.add(_assignment(case, (wang,), replaces=first.id))
    assert store.for_case(case) == before


def test_an_assignment_of_no_case_or_no_auditor_writes_nothing(backend: Backend) -> None:
    store, register = _stores(backend)
    case = _case(backend)
    wang = _auditor(register, "R-1")
    with pytest.raises(CaseNotFound):
        store.add(_assignment(case + 100, (wang,)))
    with pytest.raises(NotFound, match=f"auditor {wang + 7} not found"):
        store.add(_assignment(case, (wang, wang + 7)))
    assert store.current() == []


@pytest.mark.parametrize("name", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_upgrading_a_database_in_use_adds_assignments_beside_its_cases(
    request: pytest.FixtureRequest, tmp_path: Path, name: str
) -> None:
    url = sqlite_url(tmp_path) if name == "sqlite" else request.getfixturevalue("pg_schema_url")
    upgrade(url, "0012")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            for statement in (
                "INSERT INTO organisations (id, name, credit_code) VALUES (1, 'Org', 'code')",
                "INSERT INTO applications (id, organisation_id, submitted_on, "
                "service_system_since, scope, has_service_documents, has_dedicated_manager, "
                "has_dedicated_funds, has_trained_staff, is_prc_legal_entity, area) VALUES "
                "(1, 1, '2025-01-01', '2024-01-01', 's', true, true, true, true, true, 'x')",
                "INSERT INTO cases (id, organisation_id, application_id, state, holder, scope,"
                " version) VALUES (1, 1, 1, 'active', 'Org', 's', 2)",
                "INSERT INTO auditors (id, name, registration, grade, registered_on, "
                "valid_until, version) VALUES (1, 'W', 'R-1', 'senior_auditor', '2021-04-01', "
                "'2028-03-31', 0)",
            ):
                conn.execute(text(statement))
        upgrade(url)
        store = SqlAssignments(engine)
        assert store.current() == []  # no audit of before the upgrade has a team
        stored = store.add(_assignment(1, (1,)))
        assert store.for_case(1) == [stored]
        with engine.connect() as conn:
            assert conn.execute(text("SELECT state FROM cases")).scalar() == "active"
    finally:
        engine.dispose()
