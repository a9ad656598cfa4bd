"""The check a recorded audit passes before its command runs: when the audit has an assignment
(workflows.assignments), it was done by the assigned team under a leader qualified that day;
when it has none, it passes unless the body requires an assignment for every audit.

Apart from the case service so that the lifecycle handlers stay as they are: the service asks
the gate, if it has one, before an audit command's unit of work. Reads its ports only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workflows import commands as c
from workflows.assignments import check_recorded_audit, governing
from workflows.errors import InvalidInput
from workflows.model import AuditKind
from workflows.ports import AssignmentStore, AuditorRegister

AUDIT_KINDS: dict[type[Any], AuditKind] = {
    c.RecordStage1: AuditKind.STAGE1,
    c.RecordStage2: AuditKind.STAGE2,
    c.RecordSurveillance: AuditKind.SURVEILLANCE,
    c.RecordRecertification: AuditKind.RECERTIFICATION,
    c.RecordSpecialAudit: AuditKind.SPECIAL,
}


@dataclass(frozen=True)
class AssignmentGate:
    assignments: AssignmentStore
    register: AuditorRegister
    require_assignment: bool = False  # config [auditors] require_assignment

    def __call__(self, command: Any) -> None:
        """Refuse `command` (InvalidInput naming the field) if it records an audit the
        assignments do not allow; anything else passes."""
        kind = AUDIT_KINDS.get(type(command))
        if kind is None:
            return
        assigned = governing(
            self.assignments.for_case(command.case_id), kind.value, command.audit_date
        )
        if assigned is None:
            if self.require_assignment:
                raise InvalidInput(
                    "auditor",
                    f"no team is assigned to a {kind.value} audit of case {command.case_id} "
                    f"near {command.audit_date.isoformat()}: accept one first (starcert plan "
                    "accept); this body requires an assignment for every audit",
                )
            return
        team = [self.register.get(i) for i in assigned.member_ids]
        check_recorded_audit(assigned, command.auditor, command.audit_date, team)
