"""The findings store keeps its promises on every backend: memory, SQLite and PostgreSQL; and a
database upgraded from the revision before findings keeps its audits and takes findings on them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from storage_backends import Backend, sqlite_url
from storage_builders import SHEET, new_case

from storage.sql.engines import make_engine
from storage.sql.migrate import upgrade
from storage.sql.sql_unit_of_work import SqlUnitOfWork
from workflows.errors import InvalidInput
from workflows.findings import Finding, FindingNotFound, FindingStatus, Severity
from workflows.model import Audit, AuditKind


def _finding(case_id: int, audit_id: int, number: int = 1, **changes: object) -> Finding:
    base = Finding(
        id=None, case_id=case_id, number=number, audit_id=audit_id,
        audit_date=date(2024, 3, 10), severity=Severity.MAJOR, indicator="repair",
        evidence="维修记录缺失\nno repair records", recorded_by="zhao.lei",
        recorded_on=date(2024, 3, 11), due_on=date(2024, 6, 8),
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def _case_with_audit(backend: Backend) -> tuple[int, int]:
    with backend.new_uow() as uow:
        case = new_case(uow)
        assert case.id is not None
        audit = uow.audits.add(
            Audit(None, case.id, AuditKind.STAGE2, date(2024, 3, 10), "zhao", SHEET)
        )
        uow.commit()
    assert audit.id is not None
    return case.id, audit.id


def test_a_finding_round_trips_with_every_field_and_its_changes(backend: Backend) -> None:
    case_id, audit_id = _case_with_audit(backend)
    with backend.new_uow() as uow:
        first = uow.findings.add(_finding(case_id, audit_id))
        second = uow.findings.add(
            _finding(case_id, audit_id, 2, severity=Severity.OBSERVATION, due_on=None)
        )
        uow.commit()
    assert first.id is not None and second.id is not None and first.id != second.id
    closed = replace(
        first, status=FindingStatus.CLOSED, cause="原因", correction="c", corrective_action="a",
        responded_on=date(2024, 4, 1), responded_by="client", rejected_reason="first try weak",
        rejected_on=date(2024, 3, 20), rejected_by="zhao", closed_on=date(2024, 4, 2), closed_by="zhao",
    )  # fmt: skip
    with backend.new_uow() as uow:
        uow.findings.save(closed)
        uow.commit()
    with backend.new_uow() as uow:
        assert list(uow.findings.for_case(case_id)) == [closed, second]
        assert list(uow.findings.for_case(case_id + 1000)) == []


def test_an_uncommitted_finding_is_not_kept(backend: Backend) -> None:
    case_id, audit_id = _case_with_audit(backend)
    with backend.new_uow() as uow:
        uow.findings.add(_finding(case_id, audit_id))
    with backend.new_uow() as uow:
        assert list(uow.findings.for_case(case_id)) == []


def test_a_finding_number_is_one_per_case_and_needs_a_real_audit_and_row(backend: Backend) -> None:
    case_id, audit_id = _case_with_audit(backend)
    with backend.new_uow() as uow:
        uow.findings.add(_finding(case_id, audit_id))
        with pytest.raises(InvalidInput, match="already has a finding F1"):
            uow.findings.add(_finding(case_id, audit_id))
        with pytest.raises(InvalidInput, match="audit_id: audit 9999 not found"):
            uow.findings.add(_finding(case_id, 9999, 2))
        with pytest.raises(FindingNotFound):
            uow.findings.save(_finding(case_id, audit_id, 3, id=9999))


@pytest.mark.parametrize("name", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_upgrading_from_the_revision_before_findings_keeps_the_audits_and_takes_findings(
    request: pytest.FixtureRequest, tmp_path: Path, name: str
) -> None:
    url = sqlite_url(tmp_path) if name == "sqlite" else request.getfixturevalue("pg_schema_url")
    upgrade(url, "0012")
    engine = make_engine(url)
    old = [
        "INSERT INTO organisations (id, name, credit_code) VALUES (1, 'Org', 'code')",
        "INSERT INTO applications (id, organisation_id, submitted_on, service_system_since, scope,"
        " has_service_documents, has_dedicated_manager, has_dedicated_funds, has_trained_staff,"
        " is_prc_legal_entity) VALUES (1, 1, '2024-01-01', '2023-01-01', 's', true, true, true,"
        " true, true)",
        "INSERT INTO cases (id, organisation_id, application_id, state, holder, scope, version)"
        " VALUES (1, 1, 1, 'decision', 'Org', 's', 3)",
        "INSERT INTO audits (id, case_id, kind, audit_date, auditor)"
        " VALUES (1, 1, 'stage1', '2024-03-10', 'zhao')",
    ]
    try:
        with engine.begin() as conn:
            for statement in old:
                conn.execute(text(statement))
        upgrade(url)
        with SqlUnitOfWork(engine) as uow:
            assert list(uow.findings.for_case(1)) == []
            added = uow.findings.add(_finding(1, 1))
            uow.commit()
        with SqlUnitOfWork(engine) as uow:
            assert list(uow.findings.for_case(1)) == [added]
            assert [a.id for a in uow.audits.for_case(1)] == [1]
    finally:
        engine.dispose()
