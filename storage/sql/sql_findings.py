"""A case's audit findings in the `findings` table (workflows.findings).

Written in the command's own unit of work, after the case's version check: two writers of one
case's findings meet that check, so an update here needs no version of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields, replace
from typing import Any

from sqlalchemy import bindparam, select, update

from storage.sql import statements as st
from storage.sql.mapping import stored
from storage.sql.sql_cases import SqlRepository
from storage.sql.tables import AuditRow, FindingRow
from workflows.errors import InvalidInput
from workflows.findings import Finding, FindingNotFound, FindingStatus, Severity

FINDINGS = st.table(FindingRow)
COLUMNS = tuple(f.name for f in fields(Finding) if f.name != "id")
OF_CASE_P = st.Prepared(
    select(FINDINGS).where(FINDINGS.c.case_id == bindparam("b_case_id")).order_by(FINDINGS.c.number)
)
SAVE_P = st.Prepared(
    update(FINDINGS)
    .where(FINDINGS.c.id == bindparam("b_id"))
    .values({name: bindparam(name) for name in COLUMNS if name not in ("case_id", "number")})
)


class SqlFindings(SqlRepository):
    def add(self, finding: Finding) -> Finding:
        if finding.id is not None:
            raise ValueError("a new finding has no id yet")
        self._need_case(finding.case_id)
        if not self._uow.exists(AuditRow, finding.audit_id):
            raise InvalidInput("audit_id", f"audit {finding.audit_id} not found")
        if any(f.number == finding.number for f in self.for_case(finding.case_id)):
            raise InvalidInput(
                "number", f"case {finding.case_id} already has a finding {finding.label}"
            )
        row = self._uow.insert_values(FindingRow, _values(finding))
        return replace(finding, id=row.id)

    def save(self, finding: Finding) -> None:
        values = {k: v for k, v in _values(finding).items() if k not in ("case_id", "number")}
        if finding.id is None or self._uow.write(SAVE_P, {"b_id": finding.id, **values}) != 1:
            raise FindingNotFound(f"finding {finding.id} not found")

    def for_case(self, case_id: int) -> Sequence[Finding]:
        return [_finding(r) for r in self._uow.fetch_all(OF_CASE_P, {"b_case_id": case_id})]


def _values(finding: Finding) -> dict[str, Any]:
    values = {name: getattr(finding, name) for name in COLUMNS}
    values["severity"] = str(finding.severity)
    values["status"] = str(finding.status)
    return values


def _finding(row: Any) -> Finding:
    values = {name: getattr(row, name) for name in COLUMNS}
    values["severity"] = stored(Severity, row.severity, "finding", row.id, "severity")
    values["status"] = stored(FindingStatus, row.status, "finding", row.id, "status")
    return Finding(id=row.id, **values)
