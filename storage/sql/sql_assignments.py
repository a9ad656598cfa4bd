"""Audit assignments in the `audit_assignments` table, each read or write a short transaction.

Accepting a replacement marks the replaced row in the same transaction, only if no other accept
replaced it first (the update's row count is the check).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine, Row

from storage.formats import utc
from storage.sql.sql_errors import translated
from storage.sql.statements import table
from storage.sql.tables import AuditAssignmentRow, AuditorRow, CaseRow
from workflows.assignments import Assignment
from workflows.errors import CaseNotFound, ConcurrencyConflict, NotFound

ASSIGNMENTS = table(AuditAssignmentRow)
AUDITORS = table(AuditorRow)
CASES = table(CaseRow)


class SqlAssignments:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, assignment: Assignment) -> Assignment:
        a = ASSIGNMENTS.c
        accepted_at = utc(assignment.accepted_at, "accepted_at")
        with translated(), self.engine.begin() as conn:
            if (
                conn.execute(select(CASES.c.id).where(CASES.c.id == assignment.case_id)).first()
                is None
            ):
                raise CaseNotFound(f"case {assignment.case_id} not found")
            wanted = set(assignment.member_ids)
            held = set(
                conn.execute(select(AUDITORS.c.id).where(AUDITORS.c.id.in_(wanted))).scalars()
            )
            if wanted - held:
                raise NotFound(f"auditor {min(wanted - held)} not found")
            values = {
                "case_id": assignment.case_id,
                "kind": assignment.kind,
                "starts_on": assignment.starts_on,
                "ends_on": assignment.ends_on,
                "leader_id": assignment.leader_id,
                "member_ids": list(assignment.member_ids),
                "accepted_by": assignment.accepted_by,
                "accepted_at": accepted_at,
                "rules_version": assignment.rules_version,
                "replaces": assignment.replaces,
                "replaced_by": None,
            }
            found = conn.execute(insert(ASSIGNMENTS).values(**values)).inserted_primary_key
            assert found is not None
            new_id = int(found[0])
            if assignment.replaces is not None:
                moved = conn.execute(
                    update(ASSIGNMENTS)
                    .where(a.id == assignment.replaces, a.replaced_by.is_(None))
                    .values(replaced_by=new_id)
                ).rowcount
                if moved != 1:
                    raise ConcurrencyConflict(
                        f"assignment {assignment.replaces} was replaced by someone else"
                    )
        return replace(assignment, id=new_id, accepted_at=accepted_at, replaced_by=None)

    def for_case(self, case_id: int) -> Sequence[Assignment]:
        a = ASSIGNMENTS.c
        query = select(ASSIGNMENTS).where(a.case_id == case_id).order_by(a.id)
        with translated(), self.engine.begin() as conn:
            return [_assignment(r) for r in conn.execute(query)]

    def current(self) -> Sequence[Assignment]:
        a = ASSIGNMENTS.c
        query = select(ASSIGNMENTS).where(a.replaced_by.is_(None)).order_by(a.id)
        with translated(), self.engine.begin() as conn:
            return [_assignment(r) for r in conn.execute(query)]


def _assignment(row: Row[Any]) -> Assignment:
    return Assignment(
        id=row.id,
        case_id=row.case_id,
        kind=row.kind,
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        leader_id=row.leader_id,
        member_ids=tuple(int(i) for i in row.member_ids),
        accepted_by=row.accepted_by,
        accepted_at=utc(row.accepted_at, "accepted_at"),
        rules_version=row.rules_version,
        replaces=row.replaces,
        replaced_by=row.replaced_by,
    )
