"""What `/metrics` reports, and how each number is gathered.

Two sources, so that several processes on one database add up right:
- read from the database at scrape time (`DatabaseCollector`): deadlines due, late and in
  incident, fired per daemon (from the heartbeats), the outbox backlog per channel, the rule
  version in force. Any process answers the same; scrape one of them for these.
- counted in this process (`ProcessMetrics`): commands by kind and outcome with their latency,
  and public verification requests. Each process counts its own; Prometheus sums the targets.
Each App has its own registry (no global state), so tests and several Apps never collide.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily
from prometheus_client.registry import Collector

from workflows import commands as c
from workflows.case_service import CaseService
from workflows.change_set import Result
from workflows.deadlines import local_day
from workflows.errors import StarcertError
from workflows.ports import UnitOfWork

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric

    from starcert.app import App

LATE_AFTER = timedelta(days=1)
"""A deadline still open a day after its due time fires on a later day than it should: late."""

COMMAND_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class ProcessMetrics:
    """Counters of this process, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._series: dict[tuple[str, str], tuple[Any, Any]] = {}
        self.commands = Counter(
            "starcert_commands",
            "Lifecycle commands handled by this process, by kind and outcome "
            "(ok, refused: a StarcertError, error: anything else).",
            ["command", "outcome"],
            registry=self.registry,
        )
        self.command_seconds = Histogram(
            "starcert_command_duration_seconds",
            "Time to handle a lifecycle command in this process, by kind.",
            ["command"],
            buckets=COMMAND_BUCKETS,
            registry=self.registry,
        )
        self.verification_requests = Counter(
            "starcert_verification_requests",
            "Public certificate lookups (/verify) answered by this process, by HTTP status.",
            ["status"],
            registry=self.registry,
        )

    def observe_command(self, command: object, seconds: float, outcome: str) -> None:
        key = (type(command).__name__, outcome)
        series = self._series.get(key)
        if series is None:  # labels() takes a lock and builds a key: once per kind and outcome
            series = self._series[key] = (
                self.commands.labels(*key),
                self.command_seconds.labels(key[0]),
            )
        series[0].inc()
        series[1].observe(seconds)


class MeasuredCaseService(CaseService):
    """The case service, counting and timing each command it handles into `metrics`."""

    def __init__(self, *args: Any, metrics: ProcessMetrics, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.metrics = metrics

    def handle(self, command: c.Command, *, expected_version: int | None = None) -> Result:
        with self._measured(command):
            return super().handle(command, expected_version=expected_version)

    def fire_in(self, uow: UnitOfWork, command: c.FireDeadline) -> Result:
        with self._measured(command):
            return super().fire_in(uow, command)

    def _measured(self, command: object) -> _Measured:
        return _Measured(self.metrics, command)


class _Measured:
    def __init__(self, metrics: ProcessMetrics, command: object) -> None:
        self.metrics = metrics
        self.command = command
        self.started = 0.0

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        outcome = (
            "ok" if kind is None else "refused" if issubclass(kind, StarcertError) else "error"
        )
        self.metrics.observe_command(self.command, time.perf_counter() - self.started, outcome)


class DatabaseCollector(Collector):
    """Reads the database at each scrape: the numbers every process on it agrees on."""

    def __init__(self, application: App) -> None:
        self.application = application

    def collect(self) -> Iterator[Metric]:
        app = self.application
        now = app.clock.now()
        counts = app.database.reads.operations_counts(
            now, late_before=now - LATE_AFTER, max_attempts=app.config.notifications.max_attempts
        )
        yield GaugeMetricFamily(
            "starcert_deadlines_due",
            "Open deadlines due now, not failing.",
            value=counts.deadlines_due,
        )
        yield GaugeMetricFamily(
            "starcert_deadlines_late",
            "Open deadlines due a day or more ago, not failing: they fire late.",
            value=counts.deadlines_late,
        )
        yield GaugeMetricFamily(
            "starcert_deadlines_in_incident",
            "Open deadlines whose last firing failed (see starcert incidents).",
            value=counts.deadlines_in_incident,
        )
        fired = CounterMetricFamily(
            "starcert_deadlines_fired",
            "Deadlines fired by each daemon since it started (from its heartbeat).",
            labels=["worker"],
        )
        failed = CounterMetricFamily(
            "starcert_deadline_firings_failed",
            "Firings that failed, by daemon, since it started (from its heartbeat).",
            labels=["worker"],
        )
        for beat in app.database.heartbeats.all():
            fired.add_metric([beat.worker], beat.fired_total)
            failed.add_metric([beat.worker], beat.failed_total)
        yield fired
        yield failed
        backlog = GaugeMetricFamily(
            "starcert_outbox_backlog",
            "Undelivered notifications by channel; given_up: failed max_attempts times.",
            labels=["channel", "status"],
        )
        for (channel, status), n in sorted(counts.outbox.items()):
            backlog.add_metric([channel, status], n)
        yield backlog
        yield from self._rule_version(now)

    def _rule_version(self, now: datetime) -> Iterator[Metric]:
        app = self.application
        app.refresh_rules()  # a version published by another process since
        info = InfoMetricFamily(
            "starcert_rule_version", "The rule version in force today.", labels=["rule_set"]
        )
        try:
            rules = app.rules.book.in_force(local_day(now, app.config.zone))
        except LookupError:
            yield info  # none in force yet: no sample
            return
        info.add_metric(
            [rules.name],
            {
                "version": rules.version,
                "content_hash": rules.content_hash,
                "effective_from": rules.effective_from.isoformat(),
            },
        )
        yield info


class _Scrape:
    """This process's counters, then the database's numbers, as one collector."""

    def __init__(self, application: App) -> None:
        self.parts: tuple[Collector, ...] = (
            application.metrics.registry,
            DatabaseCollector(application),
        )

    def collect(self) -> Iterator[Metric]:
        for part in self.parts:
            yield from part.collect()


def exposition(application: App) -> bytes:
    """The Prometheus text exposition of everything above, read now."""
    return generate_latest(_Scrape(application))
