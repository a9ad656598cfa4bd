"""Simulated time: the daemon's own code driven by a FakeClock over years, in seconds.

The driver jumps the clock from one due deadline to the next (never skipping one) and runs the
same `DeadlineRunner.tick` a live daemon runs. Optionally it plays the certification body too
(`operators=True`): when a surveillance window opens it records a surveillance audit inside the
window (a few clients miss it and are suspended; some of those are restored), and when the
re-certification reminder fires most clients re-certify before expiry. Every action goes through
the real case service commands, so the register at the end is what the rules make of that history.

Every command commits on its own, exactly as under a live daemon: the simulation is the
daemon's code with another clock, nothing less. The cases already in the database live first;
the new population then lives in cohorts (`cohort` certificates each, the clock back at the
start for each): cases share nothing but id sequences, and each case draws its chances from a
random stream of its own, so a case's history is the same in any cohort. With `bulk` (the
default on SQLite and PostgreSQL) a cohort's commands run on a memory store and what they made
is written in one transaction (storage.bulk_write): the same rows, ids and hash chains as one
command at a time, in a fraction of the time. A run that fails keeps the cohorts written before
the failing one, each whole, and nothing of that one.
"""

from __future__ import annotations

import gc
import heapq
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from typing import Any

from starcert.app import App
from starcert.daemon import is_database_down, is_write_conflict
from starcert.simulation_target import Batches, Lane
from workflows import commands as c
from workflows.credit_code import check_character
from workflows.deadline_runner import DeadlineRunner, Fired
from workflows.deadlines import local_day
from workflows.errors import StarcertError
from workflows.fake_clock import FakeClock
from workflows.model import IndicatorResult, PrerequisiteFacts, ScoreSheet
from workflows.read_ports import DatabaseReads

SIMULATOR = "simulation"
GOOD_FACTS = PrerequisiteFacts(True, True, True, None, True, True)
TENTH = Decimal("0.1")
EXISTING = "cases already there, by day"
NEW = "new certificates"

Progress = Callable[[str, int, int], None]
"""Told (step, done, total) as a run goes: days lived by the cases already in the database, then
new certificates lived through the whole period, cohort by cohort."""


@dataclass
class SimulationReport:
    start: datetime
    end: datetime
    created: int = 0
    fired: Counter[str] = field(default_factory=Counter)  # "kind -> outcome"
    actions: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    incidents: int = 0
    wakeups: int = 0
    seconds: float = 0.0
    register: dict[str, int] = field(default_factory=dict)  # "state star" -> count
    notifications: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "created": self.created,
            "fired": dict(sorted(self.fired.items())),
            "fired_total": sum(self.fired.values()),
            "operator_actions": dict(sorted(self.actions.items())),
            "refused": dict(sorted(self.refused.items())),
            "incidents": self.incidents,
            "wakeups": self.wakeups,
            "notifications_written": self.notifications,
            "seconds": round(self.seconds, 2),
            "register": self.register,
        }


@dataclass(order=True)
class _Action:
    at: datetime
    seq: int
    case_id: int = field(compare=False)
    what: str = field(compare=False)


class Simulation:
    """Drives one App (built on the FakeClock) from the clock's instant to `end`."""

    def __init__(
        self,
        app: App,
        clock: FakeClock,
        *,
        seed: int = 1,
        operators: bool = True,
        miss_surveillance: float = 0.03,
        restore_share: float = 0.5,
        recertify_share: float = 0.85,
        batch_size: int = 1000,
        cohort: int = 10,
        chunk: int = 2000,
        bulk: bool = True,
    ) -> None:
        if cohort < 1 or chunk < 1:
            raise ValueError(f"cohort and chunk must be 1 or more (got {cohort}, {chunk})")
        self.app = app
        self.clock = clock
        self.seed = seed
        self.random = random.Random(seed)
        self.cohort = cohort
        self.chunk = chunk
        self.bulk = bulk and app.database.backend != "memory"
        self.batch_size = batch_size
        self.operators = operators
        self.miss_surveillance = miss_surveillance
        self.restore_share = restore_share
        self.recertify_share = recertify_share
        self.zone = app.config.zone
        service = app.case_service_on(app.rules, metrics=app.metrics, held_to_assignments=False)
        self.lane = Lane(service, app.uow)
        self.runner = self._runner(self.lane)
        self._chances: dict[int, random.Random] = {}
        self._agenda: list[_Action] = []
        self._seq = 0
        self._serial = 0
        self._tag = self.random.randrange(10_000)
        self._results: dict[tuple[str, Decimal], IndicatorResult] = {}

    def _runner(self, lane: Lane) -> DeadlineRunner:
        return DeadlineRunner(
            case_service=lane.case_service,
            uow_factory=lane.uow,
            clock=self.clock,
            worker=SIMULATOR,
            lease=timedelta(days=3650),
            batch_size=self.batch_size,
            incident_backoff=timedelta(days=1),
            log_firings=False,
            is_write_conflict=is_write_conflict,
            is_database_down=is_database_down,
        )

    def _chance(self, case_id: int) -> random.Random:
        """The case's own random stream: its history does not depend on the cases beside it."""
        found = self._chances.get(case_id)
        if found is None:
            found = self._chances[case_id] = random.Random(f"{self.seed}/{case_id}")
        return found

    # --- population --------------------------------------------------------------------------

    def today(self) -> date:
        return local_day(self.clock.now(), self.zone)

    def sheet(self, score: float) -> ScoreSheet:
        """A full score sheet whose points come to about `score` under the rules in force."""
        model = self.app.rules.book.in_force(self.today()).scoring
        share = Decimal(str(score)) / 100
        results = self._results  # a few hundred values in all: each result made once
        sheet: dict[str, IndicatorResult] = {}
        for i in model.indicators:
            points = (i.points * share).quantize(TENTH)
            found = results.get((i.id, points))
            if found is None:
                found = results[(i.id, points)] = IndicatorResult(points=points)
            sheet[i.id] = found
        return ScoreSheet(sheet)

    def _credit_code(self) -> str:
        self._serial += 1
        body = f"9135{self._tag:04d}{self._serial:09d}"
        return body + check_character(body)

    def populate(self, n: int, report: SimulationReport) -> None:
        """`n` organisations taken from application to certificate today, by the real commands."""
        handle = self.lane.case_service.handle
        today = self.today()
        for _ in range(n):
            org = handle(
                c.RegisterOrganisation(
                    f"模拟企业 {self._serial + 1}", self._credit_code(), SIMULATOR
                )
            ).organisation_id
            assert org is not None
            case_id = handle(
                c.SubmitApplication(
                    org,
                    today,
                    today - timedelta(days=400),
                    "家用电器售后服务",
                    GOOD_FACTS,
                    SIMULATOR,
                )
            ).case_id
            assert case_id is not None
            handle(c.ReviewApplication(case_id, SIMULATOR))
            handle(c.RecordStage1(case_id, today, "sim.auditor", SIMULATOR))
            score = self._chance(case_id).uniform(72, 100)
            handle(c.RecordStage2(case_id, today, "sim.auditor", self.sheet(score), SIMULATOR))
            handle(c.Decide(case_id, SIMULATOR))
            report.created += 1

    # --- the operator's side -------------------------------------------------------------------

    def _plan(self, case_id: int, what: str, day: date) -> None:
        at = datetime.combine(day, dtime(10, 0), tzinfo=self.zone).astimezone(UTC)
        self._seq += 1
        heapq.heappush(self._agenda, _Action(max(at, self.clock.now()), self._seq, case_id, what))

    def _react(self, fired: Fired) -> None:
        """What the simulated body and its clients do when a deadline fires."""
        if not self.operators:
            return
        chance = {
            ("surveillance_window_opens", "remind"): ("surveillance", 1 - self.miss_surveillance),
            ("surveillance_due", "suspend"): ("late_surveillance", self.restore_share),
            ("recert_reminder", "remind"): ("recertification", self.recertify_share),
        }.get((fired.kind, fired.outcome))
        if chance is None:
            return
        what, share = chance
        case_chance = self._chance(fired.case_id)
        if case_chance.random() < share:
            # Windows are months long; the audit lands somewhere in their first weeks.
            later = timedelta(days=case_chance.randrange(10, 60))
            self._plan(fired.case_id, what, self.today() + later)

    def _act(self, action: _Action, report: SimulationReport) -> None:
        handle = self.lane.case_service.handle
        today = self.today()
        cid = action.case_id
        score = self._chance(cid).uniform(74, 100)
        try:
            if action.what == "surveillance":
                handle(
                    c.RecordSurveillance(cid, today, "sim.auditor", self.sheet(score), SIMULATOR)
                )
            elif action.what == "late_surveillance":
                handle(
                    c.RecordSurveillance(cid, today, "sim.auditor", self.sheet(score), SIMULATOR)
                )
                handle(c.Restore(cid, "late surveillance passed", SIMULATOR))
            elif action.what == "recertification":
                handle(
                    c.RecordRecertification(cid, today, "sim.auditor", self.sheet(score), SIMULATOR)
                )
            report.actions[action.what] += 1
        except StarcertError as exc:
            report.refused[f"{action.what}: {type(exc).__name__}"] += 1

    # --- the clock -----------------------------------------------------------------------------

    def run(
        self, end: datetime, *, population: int = 0, progress: Progress | None = None
    ) -> SimulationReport:
        started = time.perf_counter()
        start = self.clock.now()
        report = SimulationReport(start=start, end=end)
        self._live(end, report, progress)  # the cases already in the database
        self._forget_lived()
        target = self.lane
        batches = Batches(self.app) if self.bulk and population else None
        collecting = gc.isenabled()
        # The cohorts make millions of short-lived objects beside the batches held for writing:
        # the collector's passes over all of them cost more than the few cycles they free, so
        # it runs once a chunk of certificates instead.
        gc.disable()
        try:
            lived = 0
            for size in _cohorts(population, self.cohort):
                self.clock.set(start)
                self.lane = target if batches is None else batches.lane()
                self.runner = self._runner(self.lane)
                self.populate(size, report)
                self._live(end, report)
                self._forget_lived()
                if progress is not None:
                    progress(NEW, report.created, population)
                lived += size  # certificates, one case each
                if lived >= self.chunk:
                    lived = 0
                    if batches is not None:
                        batches.write()
                    if collecting:
                        gc.collect()
            if batches is not None:
                batches.write()
        finally:
            if collecting:
                gc.enable()
        self.lane, self.runner = target, self._runner(target)
        if self.clock.now() < end:
            self.clock.set(end)
        report.register = register_summary(self.app.database.reads)
        report.notifications = self.app.database.reads.notifications_written()
        report.seconds = time.perf_counter() - started
        return report

    def _forget_lived(self) -> None:
        """What is left of the cases lived to the end lies past it: they never act again."""
        self._chances.clear()
        self._agenda.clear()

    def _live(
        self, end: datetime, report: SimulationReport, progress: Progress | None = None
    ) -> None:
        """From the clock's instant to `end`: deadlines as they fall due, the body's actions."""
        start = self.clock.now()
        days = max((end - start).days, 1)
        while True:
            next_due = self.runner.next_due()
            next_action = self._agenda[0].at if self._agenda else None
            candidates = [t for t in (next_due, next_action) if t is not None]
            if not candidates:
                break
            step = max(min(candidates), self.clock.now())
            if step > end:
                break
            self.clock.set(step)
            report.wakeups += 1
            if progress is not None:
                progress(EXISTING, (step - start).days, days)
            while self._agenda and self._agenda[0].at <= step:
                self._act(heapq.heappop(self._agenda), report)
            tick = self.runner.tick()
            report.incidents += tick.failed
            for fired in tick.fired_list:
                report.fired[f"{fired.kind} -> {fired.outcome}"] += 1
                self._react(fired)
            if tick.failed and not tick.fired and not self._agenda:
                # Only failing rows are due: their back-off moves next_due forward; go on.
                continue
        if progress is not None:
            progress(EXISTING, days, days)


def _cohorts(population: int, size: int) -> list[int]:
    """`population` in cohorts of `size` (the last one smaller)."""
    return [min(size, population - start) for start in range(0, population, size)]


def register_summary(reads: DatabaseReads) -> dict[str, int]:
    """Cases by state and star level ("active five_star": 12, "withdrawn": 3, ...)."""
    counts = reads.register_counts()
    return {(f"{state} {star}" if star else state): n for (state, star), n in counts.items()}


def summary_text(report: SimulationReport) -> str:
    lines = [
        f"simulated {report.start.date()} → {report.end.date()} in {report.seconds:.1f} s "
        f"({report.wakeups} wake-ups)",
        f"certificates created: {report.created}",
        f"deadlines fired: {sum(report.fired.values())}",
    ]
    lines += [f"  {k}: {v}" for k, v in sorted(report.fired.items())]
    if report.actions:
        lines.append("operator actions:")
        lines += [f"  {k}: {v}" for k, v in sorted(report.actions.items())]
    if report.refused:
        lines.append("refused actions:")
        lines += [f"  {k}: {v}" for k, v in sorted(report.refused.items())]
    lines.append(f"incidents: {report.incidents}")
    lines.append(f"reminder notifications written: {report.notifications}")
    lines.append("register:")
    lines += [f"  {k}: {v}" for k, v in report.register.items()]
    return "\n".join(lines)
