"""The bodies of the findings endpoints (starcert.api.routes_findings)."""

from __future__ import annotations

from pydantic import Field

from starcert.api.schemas import (
    CaseOut,
    Day,
    EventOut,
    FindingOut,
    Id,
    Reason,
    Text,
    Version,
    _In,
    _Out,
)
from workflows.findings import Severity


class FindingIn(_In):
    audit_id: Id
    severity: Severity
    indicator: Text
    evidence: Reason
    on: Day | None = Field(default=None, description="the day it was made (default today)")
    expected_version: Version = None


class ResponseIn(_In):
    cause: Reason
    correction: Reason
    corrective_action: Reason
    responded_on: Day
    expected_version: Version = None


class CloseIn(_In):
    on: Day | None = Field(default=None, description="the day it was closed (default today)")
    expected_version: Version = None


class FindingResult(_Out):
    finding: FindingOut
    case: CaseOut
    events: list[EventOut]
    note: str | None


class ReasonOnly(_In):
    reason: Reason
    on: Day | None = Field(default=None, description="the day it was rejected (default today)")
    expected_version: Version = None
