"""What `rules explain` shows a decision's deadlines to be is what the certificate gets.

The dates themselves are checked against dateutil and by hand in
tests/workflows/test_deadline_dates.py; here, that the explanation shows the lifecycle's plan.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from starcert.rules_adapter import EngineRules
from tests.engine.conftest import sheet
from tests.score_sheets import FULL_MARKS
from workflows.deadlines import certificate_plan, expiry_date, plan
from workflows.model import Case, State

RULES = EngineRules.from_directory(Path(__file__).resolve().parents[2] / "rules")


def test_every_decision_day_of_six_years_gives_the_certificates_plan() -> None:
    day, last = date(2023, 1, 1), date(2028, 12, 31)  # two leap days, every month end
    while day <= last:
        decision = RULES.book.evaluate({"score_sheet": sheet()}, day)
        terms = RULES.terms(day)
        case = Case(
            id=1, organisation_id=1, application_id=1, state=State.ACTIVE, holder="h", scope="s",
            decided_on=day, expires_on=expiry_date(day, terms.validity_months),
        )  # fmt: skip
        planned = {str(kind): due for kind, due in plan(case, terms).items()}
        # The restoration allowance is planned once the certificate has expired.
        expired = {str(k): v for k, v in plan(replace(case, state=State.EXPIRED), terms).items()}
        assert dict(decision.deadlines) == {**planned, **expired}, day
        shown = {str(kind): due for kind, due in certificate_plan(day, terms).items()}
        assert list(decision.deadlines.items()) == list(shown.items()), day  # in plan order
        day += timedelta(days=1)


def test_a_decision_that_does_not_certify_has_no_deadlines() -> None:
    nothing = sheet({key: "0" for key in FULL_MARKS})
    decision = RULES.book.evaluate({"score_sheet": nothing}, date(2026, 6, 1))
    assert decision.certified is False
    assert dict(decision.deadlines) == {}
