"""Where a simulation runs: which database it may change, and where its commands run.

A simulation moves every case in its database through years of simulated time and fills its
outbox with reminders; on the live database it would change real certificates and queue real
notifications for the daemon to send. A copy is what a rule author wants to see the future of.

Its commands run on the database itself (a `Lane` on the App), or on a memory store whose rows
are then written to the database in one transaction (`batch_lane`, storage.bulk_write).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from starcert.app import App
from starcert.rules_adapter import EngineRules, application_facts
from storage.bulk_write import BatchDatabase, BulkTarget
from storage.database import DatabaseAddress, address, daemon_beats
from workflows.case_service import CaseService
from workflows.errors import InvalidInput, StorageError
from workflows.model import Application, IndicatorResult, Organisation, ScoreSheet
from workflows.ports import ApplicationVerdict, LifecycleTerms, ScoreVerdict, UnitOfWork
from workflows.read_ports import Heartbeat

RECENT_BEAT = timedelta(minutes=10)
"""A daemon that beat this recently is taken as running (its default health age is 2.5 min)."""

COPY_HINT = "run it on a copy (starcert db backup COPY, then --database sqlite:///COPY)"


def refuse_live_database(url: str, installation_url: str, wall_now: datetime) -> None:
    """Raise InvalidInput on --database when `url` is the installation's or a daemon's.

    A daemon runs on `url` when its beat there is recent and not `stopped`, unless the
    installation's own database holds the same daemon's beat, as fresh or fresher: then `url`
    is a copy of ours (a backup taken while the daemon ran) and the daemon beats on the original.
    """
    if _same_database(address(url), address(installation_url)):
        raise InvalidInput(
            "--database",
            "is this installation's own database (config.toml [database]): a simulation "
            f"changes every case in it and queues its reminders; {COPY_HINT}",
        )
    ours = _beats_on(installation_url)
    for beat in daemon_beats(url):
        seen = beat.beat_at or beat.last_tick_at
        if beat.state == "stopped" or seen is None or wall_now - seen > RECENT_BEAT:
            continue
        there = ours.get(_daemon(beat))
        if there is not None and there >= seen:
            continue  # a copy of our own database: the daemon beats on the original
        raise InvalidInput(
            "--database",
            f"daemon {beat.worker} (pid {beat.pid} on {beat.host}) runs on it, last beat "
            f"{(wall_now - seen).total_seconds():.0f} s ago; {COPY_HINT}",
        )


def _beats_on(installation_url: str) -> dict[Hashable, datetime]:
    """When each daemon last beat on the installation's own database (none when it is not
    there or does not answer: then every fresh beat of the other database counts)."""
    where = address(installation_url).sqlite_file
    if where is not None and not where.exists():
        return {}
    try:
        beats = daemon_beats(installation_url)
    except StorageError:
        return {}
    return {_daemon(b): b.beat_at or b.last_tick_at or b.started_at for b in beats}


def _daemon(beat: Heartbeat) -> Hashable:
    """One run of one daemon: its name, machine, process and start."""
    return (beat.worker, beat.host, beat.pid, beat.started_at)


def _same_database(a: DatabaseAddress, b: DatabaseAddress) -> bool:
    if a.backend != b.backend:
        return False
    if a.backend == "sqlite":
        return _file(a) is not None and _file(a) == _file(b)
    return (a.host or "localhost", a.port or 5432, a.name) == (
        b.host or "localhost",
        b.port or 5432,
        b.name,
    )


def _file(url: DatabaseAddress) -> Path | None:
    if url.name in (None, "", ":memory:"):
        return None
    return Path(url.name).expanduser().resolve()


@dataclass(frozen=True)
class Lane:
    """Where commands run: a case service and the units of work of the same store."""

    case_service: CaseService
    uow: Callable[[], UnitOfWork]


class Batches:
    """Cohorts lived on memory stores, then written to the App's database together.

    The rules are the App's, as published when the first cohort of a write begins (a run on a
    copy sees no publication; the deadline runner's look for new versions is left out).
    """

    def __init__(self, app: App) -> None:
        self.app = app
        self.target = BulkTarget(app.database)
        self._pending: list[BatchDatabase] = []
        self._rules: RememberedRules | None = None

    def lane(self) -> Lane:
        """A lane on a fresh memory store, its ids continuing those of the batches before it."""
        app = self.app
        if self._rules is None or not self._pending:
            app.rules.refresh()
            self._rules = RememberedRules(EngineRules(app.rules.book))
        memory = self.target.batch(after=self._pending[-1] if self._pending else None)
        self._pending.append(memory)
        service = app.case_service_on(self._rules, memory.unit_of_work)
        return Lane(service, memory.unit_of_work)

    def write(self) -> int:
        """Write what the lanes made since the last write, in one transaction; how many rows."""
        if not self._pending:
            return 0
        written = self.target.write(self._pending)
        self._pending = []
        return written


K = TypeVar("K")
V = TypeVar("V")
KEPT_ANSWERS = 100_000
"""Answers a RememberedRules keeps of each kind before it starts again (a few MB)."""


class RememberedRules:
    """The rules of a batch with their answers kept: a simulated population puts the same facts
    to them again and again (its applications alike, a few hundred distinct score sheets).

    Each answer is the one the rules gave the first time. A score verdict carries no date: it is
    kept by the version in force and the sheet, so the same sheet scored on another day of that
    version gets it; an application review is kept by its day and its facts. The rules answer
    from the facts they are given (starcert.rules_adapter), the organisation being none of them.
    """

    def __init__(self, rules: EngineRules) -> None:
        self.rules = rules
        self._scores: dict[Hashable, ScoreVerdict] = {}
        self._reviews: dict[Hashable, ApplicationVerdict] = {}
        self._terms: dict[date, LifecycleTerms] = {}

    def review_application(
        self, application: Application, organisation: Organisation, as_of: date
    ) -> ApplicationVerdict:
        key = (as_of, *application_facts(application).items())
        found = self._reviews.get(key)
        if found is None:
            found = self.rules.review_application(application, organisation, as_of)
            _keep(self._reviews, key, found)
        return found

    def score(self, sheet: ScoreSheet, as_of: date) -> ScoreVerdict:
        ruleset = self.rules.book.in_force(as_of)
        key = (ruleset.name, ruleset.version, ruleset.content_hash, _sheet_key(sheet))
        found = self._scores.get(key)
        if found is None:
            found = self.rules.score(sheet, as_of)
            _keep(self._scores, key, found)
        return found

    def terms(self, as_of: date) -> LifecycleTerms:
        found = self._terms.get(as_of)
        if found is None:
            found = self.rules.terms(as_of)
            _keep(self._terms, as_of, found)
        return found

    def effective_dates(self) -> Sequence[date]:
        return self.rules.effective_dates()


def _keep(kept: dict[K, V], key: K, value: V) -> None:
    if len(kept) >= KEPT_ANSWERS:
        kept.clear()
    kept[key] = value


def _sheet_key(sheet: ScoreSheet) -> Hashable:
    """Everything the rules read of a sheet, exactly: decimals by their text (7.0 is not 7)."""
    return (
        tuple((code, _result_key(result)) for code, result in sheet.results.items()),
        tuple(sorted(sheet.excluded)),
        sheet.special_deductions,
        sheet.special_bonus,
    )


def _result_key(result: IndicatorResult) -> Hashable:
    items = None
    if result.items is not None:
        items = tuple(
            (item, str(found) if isinstance(found, Decimal) else found)
            for item, found in result.items.items()
        )
    points = None if result.points is None else str(result.points)
    return (points, result.conforming, result.sampled, items)
