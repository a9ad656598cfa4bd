"""Driving the case service the way an operator and the scheduler would, and reading the store back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from lifecycle_doubles import SHANGHAI, credit_code, good_facts, sheet_scoring

from workflows import commands as c
from workflows.case_service import CaseService
from workflows.change_set import Result
from workflows.deadlines import local_day
from workflows.fake_clock import FakeClock
from workflows.model import Case, Deadline, Event
from workflows.ports import UnitOfWork

OPERATOR = "wang.fang"


@dataclass(frozen=True)
class Snapshot:
    """Everything a command could have written for one case."""

    case: Case
    events: tuple[Event, ...]
    audits: int
    deadlines: tuple[Deadline, ...]


@dataclass
class Office:
    case_service: CaseService
    new_uow: Callable[[], UnitOfWork]
    clock: FakeClock
    serial: int = 0

    @property
    def today(self) -> date:
        return local_day(self.clock.now(), SHANGHAI)

    def days(self, n: int) -> date:
        self.clock.advance(timedelta(days=n))
        return self.today

    def apply(self, score: int = 85) -> int:
        """A new organisation applies today with a system running since a year ago."""
        self.serial += 1
        org = self.case_service.handle(
            c.RegisterOrganisation(f"Org {self.serial} 售后", credit_code(self.serial), OPERATOR)
        ).organisation_id
        assert org is not None
        result = self.case_service.handle(
            c.SubmitApplication(org, self.today, self.today - timedelta(days=365), "家电售后服务",
                                good_facts(), OPERATOR)
        )  # fmt: skip
        assert result.case_id is not None
        return result.case_id

    def certify(self, score: int = 85) -> int:
        """A case taken from application to an issued certificate, a few days per step."""
        case_id = self.apply()
        self.case_service.handle(c.ReviewApplication(case_id, OPERATOR))
        self.case_service.handle(c.RecordStage1(case_id, self.days(10), "zhao.lei", OPERATOR))
        self.case_service.handle(
            c.RecordStage2(case_id, self.days(20), "zhao.lei", sheet_scoring(score), OPERATOR)
        )
        self.days(5)
        self.case_service.handle(c.Decide(case_id, OPERATOR))
        return case_id

    def snapshot(self, case_id: int) -> Snapshot:
        with self.new_uow() as uow:
            return Snapshot(
                uow.cases.get(case_id),
                tuple(uow.events.for_case(case_id)),
                len(uow.audits.for_case(case_id)),
                tuple(uow.deadlines.open_for_case(case_id)),
            )

    def open_deadlines(self, case_id: int) -> dict[str, date]:
        return {
            str(d.kind): d.due_at.astimezone(SHANGHAI).date() - timedelta(days=1)
            for d in self.snapshot(case_id).deadlines
        }

    def fire_due(self) -> list[Result]:
        """What the scheduler does when it wakes: fire every due deadline in due order."""
        results: list[Result] = []
        while True:
            with self.new_uow() as uow:
                due = list(uow.deadlines.due(self.clock.now(), 1))
            if not due:
                return results
            deadline = due[0]
            assert deadline.id is not None
            results.append(self.case_service.handle(c.FireDeadline(deadline.id, deadline.case_id)))

    def until(self, day: date) -> list[Result]:
        """Advance the clock day by day to `day`, firing deadlines as a running daemon would."""
        fired: list[Result] = []
        while self.today < day:
            self.days(1)
            fired.extend(self.fire_due())
        return fired
