"""The outbox repository on every backend, the shifted clock, and `starcert simulate`."""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from daemon_helpers import Site, bulk_active_cases, credit_code, make_site, reset_pg, wait_until
from sqlalchemy import text

from starcert.wall_clock import ShiftedClock
from storage.memory.memory_store import MemoryStore
from storage.sql.engines import make_engine
from storage.sql.migrate import upgrade
from storage.sql.sql_unit_of_work import SqlUnitOfWork
from workflows.errors import CaseNotFound, InvalidInput
from workflows.model import Application, Case, Organisation, PrerequisiteFacts, State
from workflows.ports import Notification, UnitOfWork

NOW = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def uows(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Callable[[], UnitOfWork], int]]:
    if request.param == "memory":
        store = MemoryStore()
        yield store.uow, _memory_case(store)
        return
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'o.db'}"
    else:
        url = request.getfixturevalue("pg_server_url")
        reset_pg(url)
    upgrade(url)
    engine = make_engine(url)
    [case_id] = bulk_active_cases(engine, 1)
    yield (lambda: SqlUnitOfWork(engine)), case_id
    engine.dispose()


def _memory_case(store: MemoryStore) -> int:
    with store.uow() as uow:
        org = uow.organisations.add(Organisation(None, "Org", credit_code(1)))
        assert org.id is not None
        facts = PrerequisiteFacts(True, True, True, None, True, True)
        app = uow.applications.add(
            Application(None, org.id, date(2024, 1, 1), date(2023, 1, 1), "s", facts)
        )
        assert app.id is not None
        case = uow.cases.add(Case(None, org.id, app.id, State.ACTIVE, "Org", "s"))
        uow.commit()
    assert case.id is not None
    return case.id


def _message(case_id: int | None, after: datetime = NOW) -> Notification:
    return Notification(
        None, case_id, "recert_reminder", "webhook", {"due_on": "2025-06-01"}, NOW, after
    )


def test_the_outbox_leases_delivers_once_and_backs_off(
    uows: tuple[Callable[[], UnitOfWork], int],
) -> None:
    new_uow, case_id = uows
    with new_uow() as uow:
        first = uow.notifications.add(_message(case_id))
        later = uow.notifications.add(_message(case_id, NOW + timedelta(hours=1)))
        uow.commit()
    assert first.id is not None and later.id is not None
    with new_uow() as uow:
        with pytest.raises(CaseNotFound):
            uow.notifications.add(_message(999_999))
        with pytest.raises(InvalidInput, match="payload"):
            uow.notifications.add(
                Notification(None, case_id, "k", "webhook", {"x": object()}, NOW, NOW)
            )
    with new_uow() as uow:
        claimed = uow.notifications.claim_pending(NOW, "a", NOW + timedelta(minutes=1), 10, 3)
        uow.commit()
    assert [m.id for m in claimed] == [first.id]  # the later one is not due yet
    with new_uow() as uow:  # leased: another deliverer gets nothing
        assert uow.notifications.claim_pending(NOW, "b", NOW + timedelta(minutes=1), 10, 3) == []
        uow.notifications.record_failure(first.id, "HTTP 500", NOW + timedelta(seconds=30))
        uow.commit()
    soon = NOW + timedelta(seconds=31)
    with new_uow() as uow:
        [again] = uow.notifications.claim_pending(soon, "b", soon + timedelta(minutes=1), 1, 3)
        assert again.attempts == 1 and again.last_error == "HTTP 500"
        uow.notifications.mark_delivered(first.id, soon)
        uow.notifications.mark_delivered(first.id, soon + timedelta(hours=1))  # no second mark
        uow.commit()
    with new_uow() as uow:
        [done] = [m for m in uow.notifications.for_case(case_id) if m.id == first.id]
        assert done.delivered_at == soon
        assert [m.id for m in uow.notifications.pending(10)] == [later.id]
        uow.notifications.record_failure(later.id, "x", NOW)
        uow.notifications.record_failure(later.id, "x", NOW)
        uow.commit()
    late = NOW + timedelta(hours=2)
    with new_uow() as uow:  # two failures with max_attempts 2: given up, stays visible
        assert uow.notifications.claim_pending(late, "a", late, 10, 2) == []
        assert [m.id for m in uow.notifications.pending(10)] == [later.id]


def test_a_shifted_clock_starts_where_told_and_runs_at_real_speed() -> None:
    start = datetime(2030, 1, 1, tzinfo=UTC)
    clock = ShiftedClock(start)
    first = clock.now()
    time.sleep(0.05)
    second = clock.now()
    assert timedelta(0) <= first - start < timedelta(seconds=1)
    assert timedelta(seconds=0.04) < second - first < timedelta(seconds=1)
    assert abs(clock.to_wall(start) - datetime.now(UTC)) < timedelta(seconds=1)
    with pytest.raises(ValueError, match="time zone"):
        ShiftedClock(datetime(2030, 1, 1))


def test_simulate_lives_a_population_through_three_years(sqlite_site: Site, tmp_path: Path) -> None:
    out = tmp_path / "register.csv"
    done = sqlite_site.cli(
        "simulate", "--from", "2024-01-10", "--to", "2027-03-01", "--population", "25",
        "--seed", "7", "--csv", str(out), "--json",
    )  # fmt: skip
    report = json.loads(done.stdout)
    assert report["created"] == 25
    assert sum(report["register"].values()) == 25
    fired = report["fired"]
    assert fired["surveillance_window_opens -> remind"] >= 40  # two windows per certificate
    assert fired["recert_reminder -> remind"] >= 20  # all but the withdrawn
    assert report["operator_actions"]["surveillance"] >= 40
    assert report["operator_actions"]["recertification"] >= 15
    assert report["notifications_written"] == sum(
        n for k, n in fired.items() if k.endswith("-> remind")
    )
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    with out.open(encoding="utf-8-sig") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == 25
    codes = {row["certified_entity_unique_id"] for row in rows}
    assert len(codes) == 25 and all(len(code) == 18 for code in codes)  # each holder's credit code
    again = json.loads(sqlite_site.cli(
        "simulate", "--from", "2024-01-10", "--to", "2027-03-01", "--population", "25",
        "--seed", "7", "--json",
    ).stdout)  # fmt: skip
    assert again["register"] == report["register"]  # the same seed lives the same history
    assert again["fired"] == report["fired"]
    bad = sqlite_site.cli("simulate", "--from", "2025-01-01", "--to", "2024-01-01", check=False)
    assert bad.returncode == 2 and "--to" in bad.stderr
    assert date.fromisoformat(report["to"][:10]) == date(2027, 3, 1)
    ancient = sqlite_site.cli("simulate", "--from", "0001-01-01", "--to", "2024-01-01", check=False)
    assert (ancient.returncode, ancient.stderr.strip()) == (
        2,
        "error: --from: 0001-01-01 is outside 1900-2999, the years rules date",
    )
    huge = ("--population", "99999999999999999999")
    endless = sqlite_site.cli("simulate", "--from", "2024-01-10", "--to", "2025-01-01", *huge,
                              check=False)  # fmt: skip
    assert endless.returncode == 2 and "--population" in endless.stderr


def test_simulate_refuses_the_live_database_and_one_a_daemon_runs_on(
    sqlite_site: Site, tmp_path: Path
) -> None:
    """A simulation changes every case in its database and queues its reminders: never the
    installation's own, nor another installation's while its daemon runs; a copy is fine."""
    engine = make_engine(sqlite_site.url)
    bulk_active_cases(engine, 3)

    def events() -> int:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM events")).scalar_one())

    before = events()
    span = ("simulate", "--from", "2027-01-01", "--to", "2027-06-01", "--population", "2")
    own = sqlite_site.cli(*span, "--database", sqlite_site.url, check=False)
    assert own.returncode == 2 and "this installation's own database" in own.stderr
    assert "db backup" in own.stderr
    daemon = sqlite_site.serve("live")
    wait_until(
        "the daemon beats", lambda: sqlite_site.cli("health", check=False).returncode == 0, 30
    )
    other = make_site(tmp_path / "other")
    theirs = other.cli(*span, "--database", sqlite_site.url, check=False)
    assert theirs.returncode == 2 and "daemon live (pid" in theirs.stderr
    assert events() == before  # nothing written by either refusal
    assert daemon.term() == 0
    copy = tmp_path / "copy.db"
    sqlite_site.cli("db", "backup", str(copy))  # the way the refusal names
    on_copy = other.cli(*span, "--database", f"sqlite:///{copy}", "--json")
    assert json.loads(on_copy.stdout)["created"] == 2
    assert events() == before
    engine.dispose()
