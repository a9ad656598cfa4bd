"""A case's audit findings in a memory store (workflows.findings), isolated like every table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from storage.memory.memory_tables import MemoryRepository
from workflows.errors import InvalidInput
from workflows.findings import Finding, FindingNotFound


class MemoryFindings(MemoryRepository):
    def add(self, finding: Finding) -> Finding:
        if finding.id is not None:
            raise ValueError("a new finding has no id yet")
        self._case(finding.case_id)
        if self._uow.data.audits.get(finding.audit_id) is None:
            raise InvalidInput("audit_id", f"audit {finding.audit_id} not found")
        if any(f.number == finding.number for f in self.for_case(finding.case_id)):
            raise InvalidInput(
                "number", f"case {finding.case_id} already has a finding {finding.label}"
            )
        stored = replace(finding, id=self._uow.store.next_id("findings"))
        self._uow.put("findings", stored.id, stored)
        return stored

    def save(self, finding: Finding) -> None:
        if finding.id is None or self._uow.data.findings.get(finding.id) is None:
            raise FindingNotFound(f"finding {finding.id} not found")
        self._uow.put("findings", finding.id, finding)

    def for_case(self, case_id: int) -> Sequence[Finding]:
        return sorted(self._uow.data.of_case("findings", case_id), key=lambda f: f.number)
