"""The register keeps a renewed certificate's original issue date beside its new one."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from daemon_helpers import Site

from starcert.app import App
from workflows import commands as c
from workflows.deadlines import local_day
from workflows.fake_clock import FakeClock
from workflows.model import IndicatorResult, ScoreSheet


def test_a_renewal_keeps_the_original_issue_date_in_the_register(
    app: App, clock: FakeClock, sqlite_site: Site
) -> None:
    model = app.rules.book.in_force(local_day(clock.now(), app.config.zone)).scoring
    full = ScoreSheet({i.id: IndicatorResult(points=i.points) for i in model.indicators})
    for year in (2025, 2026):  # the surveillances, each before its due day (January 10)
        clock.set(datetime(year, 1, 5, 2, tzinfo=UTC))
        today = local_day(clock.now(), app.config.zone)
        app.case_service.handle(c.RecordSurveillance(1, today, "auditor", full, "op"))
    clock.set(datetime(2026, 10, 1, 2, tzinfo=UTC))  # before expiry on 2027-01-09
    today = local_day(clock.now(), app.config.zone)
    renewed = app.case_service.handle(c.RecordRecertification(1, today, "auditor", full, "op"))
    assert renewed.certificate is not None and renewed.certificate.endswith("-R1")
    [row] = list(csv.DictReader(io.StringIO(sqlite_site.cli("export").stdout)))
    assert row["certificate_number"] == renewed.certificate
    assert row["certification_original_issue_date"] == "20240110"
    assert row["certification_issue_date"] == "20261001"
