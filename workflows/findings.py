"""Findings of an audit and their corrective actions: what they are and when they are late.

An auditor records a finding with an audit (a major or minor nonconformity, or an observation)
against one of the scoring indicators. The client answers a nonconformity with its cause, the
correction and the corrective action; an auditor verifies the answer and closes the finding, or
rejects it with a reason and the finding is open again. The rule file gives the periods: a major
finding's correction is verified within so many days of its audit, a minor one's plan accepted
within so many. A major finding not closed by its due day holds up a certificate (refused at
the first decision, suspended afterwards): the scheduler does it with a `findings_due` deadline.

Pure values and date arithmetic: the handlers in workflows.handlers.findings change them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from workflows.errors import NotFound


class Severity(StrEnum):
    MAJOR = "major"  # a major nonconformity: holds up the certificate until closed
    MINOR = "minor"  # a minor nonconformity: a corrective action plan to accept
    OBSERVATION = "observation"  # no nonconformity: noted, nothing due


class FindingStatus(StrEnum):
    OPEN = "open"  # awaiting the client's response (again, after a rejection)
    RESPONDED = "responded"  # a response awaits an auditor's verification
    CLOSED = "closed"  # verified and closed


class FindingNotFound(NotFound):
    pass


@dataclass(frozen=True)
class CorrectionPeriods:
    """The rule file's periods, in days from the audit date; the body's own numbers."""

    major_correction_days: int
    minor_plan_days: int


@dataclass(frozen=True)
class Finding:
    """One finding of one audit of a case, as it now stands; its history is on the case trail.

    `number` counts a case's findings from 1 (shown as F1, F2 ...); commands name a finding by
    case and number. The last response and the last rejection stay until replaced.
    """

    id: int | None
    case_id: int
    number: int
    audit_id: int
    audit_date: date
    severity: Severity
    indicator: str
    evidence: str
    recorded_by: str
    recorded_on: date
    due_on: date | None  # None for an observation
    status: FindingStatus = FindingStatus.OPEN
    cause: str | None = None
    correction: str | None = None
    corrective_action: str | None = None
    responded_on: date | None = None
    responded_by: str | None = None
    rejected_reason: str | None = None
    rejected_on: date | None = None
    rejected_by: str | None = None
    closed_on: date | None = None
    closed_by: str | None = None

    @property
    def label(self) -> str:
        return f"F{self.number}"

    def unresolved_on(self, day: date) -> bool:
        """A major finding whose period ended before `day` without its closure."""
        if self.severity is not Severity.MAJOR or self.due_on is None or self.due_on >= day:
            return False
        return self.closed_on is None or self.closed_on > self.due_on

    def describe(self) -> str:
        return (
            f"{self.severity} finding {self.label} ({self.indicator}, audit of {self.audit_date}"
            + (f", due {self.due_on}" if self.due_on else "")
            + ")"
        )


def correction_due(severity: Severity, audit_date: date, periods: CorrectionPeriods) -> date | None:
    """The last day the finding may be closed on: the audit date plus the rule file's days."""
    if severity is Severity.MAJOR:
        return audit_date + timedelta(days=periods.major_correction_days)
    if severity is Severity.MINOR:
        return audit_date + timedelta(days=periods.minor_plan_days)
    return None


def open_majors(findings: Iterable[Finding]) -> list[Finding]:
    return [
        f for f in findings if f.severity is Severity.MAJOR and f.status is not FindingStatus.CLOSED
    ]


def closed_after(findings: Iterable[Finding], day: date) -> list[Finding]:
    """The major findings closed after `day`: still open on it."""
    return [
        f
        for f in findings
        if f.severity is Severity.MAJOR and f.closed_on is not None and f.closed_on > day
    ]


def unresolved(findings: Iterable[Finding], day: date) -> list[Finding]:
    """The major findings whose period ended before `day` unclosed (or closed late)."""
    return [f for f in findings if f.unresolved_on(day)]


def overdue_open(findings: Iterable[Finding], day: date) -> list[Finding]:
    """The major findings still open whose period ended before `day`."""
    return [f for f in open_majors(findings) if f.due_on is not None and f.due_on < day]


def listed(findings: Iterable[Finding]) -> str:
    return "; ".join(f.describe() for f in findings)


def finding_dict(finding: Finding) -> dict[str, Any]:
    """A finding as plain data: the trail's event data, `show --json` and the API alike."""
    data: dict[str, Any] = {}
    for name, value in _fields(finding).items():
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, StrEnum):
            value = str(value)
        data[name] = value
    data["label"] = finding.label
    return data


def _fields(finding: Finding) -> Mapping[str, Any]:
    return {
        "id": finding.id,
        "number": finding.number,
        "audit_id": finding.audit_id,
        "audit_date": finding.audit_date,
        "severity": finding.severity,
        "indicator": finding.indicator,
        "evidence": finding.evidence,
        "recorded_by": finding.recorded_by,
        "recorded_on": finding.recorded_on,
        "due_on": finding.due_on,
        "status": finding.status,
        "cause": finding.cause,
        "correction": finding.correction,
        "corrective_action": finding.corrective_action,
        "responded_on": finding.responded_on,
        "responded_by": finding.responded_by,
        "rejected_reason": finding.rejected_reason,
        "rejected_on": finding.rejected_on,
        "rejected_by": finding.rejected_by,
        "closed_on": finding.closed_on,
        "closed_by": finding.closed_by,
    }
