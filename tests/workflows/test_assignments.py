"""Which assignment an audit is held to, and what it is held to: the team's members by name,
registration or register id, and a leader qualified on the audit date."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from workflows.assignments import Assignment, check_recorded_audit, governing
from workflows.auditors import Auditor, Grade, Qualification
from workflows.errors import InvalidInput

AT = datetime(2026, 11, 2, tzinfo=UTC)
WANG = Auditor(
    1, "王芳", Qualification("R-1", Grade.SENIOR_AUDITOR, date(2021, 4, 1), date(2027, 3, 31))
)
LI = Auditor(2, "李明", Qualification("R-2", Grade.AUDITOR, date(2022, 1, 1), date(2030, 1, 1)))


def _assigned(id_: int, starts: date, kind: str = "surveillance", **more: object) -> Assignment:
    made = Assignment(id_, 5, kind, starts, starts, 1, (1, 2), "zhang", AT, "1")
    return replace(made, **more)  # type: ignore[arg-type]


def test_the_current_assignment_planned_nearest_governs_within_ninety_days() -> None:
    spring = _assigned(1, date(2027, 3, 1))
    replaced = _assigned(2, date(2027, 3, 2), replaced_by=3)
    next_year = _assigned(4, date(2028, 3, 1))
    stage = _assigned(5, date(2027, 3, 1), kind="stage1")
    held = [spring, replaced, next_year, stage]
    assert governing(held, "surveillance", date(2027, 3, 3)) == spring
    assert governing(held, "surveillance", date(2027, 5, 30)) == spring  # 90 days after
    assert governing(held, "surveillance", date(2027, 6, 1)) is None  # 92 days: another audit
    assert governing(held, "surveillance", date(2028, 2, 1)) == next_year
    assert governing(held, "stage1", date(2027, 3, 1)) == stage


def test_every_name_must_be_a_member_and_the_leader_qualified_that_day() -> None:
    held = _assigned(1, date(2027, 3, 1))
    for names in ("王芳", "R-2，王芳", "1, 2", "李明;R-1"):
        check_recorded_audit(held, names, date(2027, 3, 1), [WANG, LI])
    with pytest.raises(InvalidInput) as outsider:
        check_recorded_audit(held, "王芳, 张伟", date(2027, 3, 1), [WANG, LI])
    assert outsider.value.field == "auditor" and "张伟 is not in the team" in str(outsider.value)
    with pytest.raises(InvalidInput) as lapsed:
        check_recorded_audit(held, "李明", date(2027, 4, 1), [WANG, LI])
    assert lapsed.value.field == "audit_date"
    assert "holds 2021-04-01..2027-03-31, not on 2027-04-01" in lapsed.value.message
