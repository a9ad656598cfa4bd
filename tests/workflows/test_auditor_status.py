"""A qualification's status on a day, as the console shows it, and who is free on a day."""

from __future__ import annotations

from datetime import date

from workflows.auditors import (
    Auditor,
    Grade,
    Qualification,
    QualificationStatus,
    Unavailability,
    available_on,
    qualification_status,
)

WANG = Auditor(
    1,
    "王芳",
    Qualification("R-1", Grade.AUDITOR, date(2024, 1, 1), date(2026, 6, 30)),
    unavailable=(Unavailability(date(2026, 5, 1), date(2026, 5, 5)),),
)


def test_a_qualification_is_expiring_within_the_warning_days_and_lapsed_after_its_last_day() -> (
    None
):
    def on(day: date) -> QualificationStatus:
        return qualification_status(WANG, day, 30)

    assert on(date(2026, 5, 30)) is QualificationStatus.VALID
    assert on(date(2026, 5, 31)) is QualificationStatus.EXPIRING  # 30 days before its last day
    assert on(date(2026, 6, 30)) is QualificationStatus.EXPIRING  # its last day still counts
    assert on(date(2026, 7, 1)) is QualificationStatus.LAPSED
    assert on(date(2023, 12, 31)) is QualificationStatus.LAPSED  # not yet registered


def test_an_auditor_is_unavailable_on_both_ends_of_a_range() -> None:
    assert available_on(WANG, date(2026, 4, 30))
    assert not available_on(WANG, date(2026, 5, 1))
    assert not available_on(WANG, date(2026, 5, 5))
    assert available_on(WANG, date(2026, 5, 6))
