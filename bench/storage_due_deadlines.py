"""How long finding and claiming due deadlines takes among 1,000,000 rows.

    .venv/bin/python bench/storage_due_deadlines.py [--url URL] [--rows N]

Default: a SQLite file in a temp dir. Most rows are done (history) or open but far in the future;
100 are due. Times `due` and `claim_due` (rolled back) with the partial index ix_deadlines_open_due,
then again after dropping it: the baseline measured in the same run, reported as a ratio.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text
from sqlalchemy.engine import Engine

from storage.sql.engines import default_sqlite_url, make_engine
from storage.sql.migrate import upgrade
from storage.sql.sql_unit_of_work import SqlUnitOfWork
from storage.sql.tables import DeadlineRow
from workflows.model import Application, Case, Organisation, PrerequisiteFacts, State

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def seed_case(engine: Engine) -> int:
    with SqlUnitOfWork(engine) as uow:
        org = uow.organisations.add(Organisation(None, "bench", "91350100M00000001X"))
        assert org.id is not None
        facts = PrerequisiteFacts(True, True, True, None, True, True)
        app = uow.applications.add(
            Application(None, org.id, date(2024, 1, 1), date(2023, 1, 1), "bench", facts)
        )
        assert app.id is not None
        case = uow.cases.add(Case(None, org.id, app.id, State.ACTIVE, "bench", "bench"))
        uow.commit()
        assert case.id is not None
        return case.id


def _fill(url: str, rows: int) -> None:
    engine = make_engine(url)
    case_id = seed_case(engine)
    table = DeadlineRow.__table__  # type: ignore[attr-defined]
    batch: list[dict[str, object]] = []
    with engine.begin() as conn:
        for i in range(rows):
            if i % 10_000 < 100 and i < 10_000:  # 100 due rows
                due, done = NOW - timedelta(minutes=i + 1), None
            elif i % 10 < 7:  # 70 %: fired long ago
                due, done = NOW - timedelta(days=1 + i % 3000), NOW - timedelta(days=i % 3000)
            else:  # open, in the future
                due, done = NOW + timedelta(hours=1 + i % 30000), None
            batch.append(
                {
                    "case_id": case_id,
                    "kind": "expiry",
                    "due_at": due,
                    "done_at": done,
                    "attempts": 0,
                }
            )
            if len(batch) == 20_000:
                conn.execute(insert(table), batch)
                batch.clear()
        if batch:
            conn.execute(insert(table), batch)
    engine.dispose()


def _time(call: Callable[[], object], repeat: int = 20) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _measure(url: str) -> dict[str, float]:
    engine = make_engine(url)

    def due() -> object:
        with SqlUnitOfWork(engine) as uow:
            return uow.deadlines.due(NOW, 100)

    def claim() -> object:
        with SqlUnitOfWork(engine) as uow:  # rolled back: every run claims the same rows
            found = uow.deadlines.claim_due(NOW, "bench", NOW + timedelta(minutes=5), 100)
            assert len(found) == 100, len(found)
            return found

    def next_due() -> object:
        with SqlUnitOfWork(engine) as uow:
            return uow.deadlines.next_due_at()

    result = {"due": _time(due), "claim_due": _time(claim), "next_due_at": _time(next_due)}
    engine.dispose()
    return result


def explain_claim(url: str) -> str:
    """The plan of the claim query (the SELECT that claim_due locks rows with), as the database
    runs it: EXPLAIN QUERY PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL."""
    from sqlmodel import col, select

    engine = make_engine(url)
    sqlite = engine.dialect.name == "sqlite"
    now = NOW.replace(tzinfo=None) if sqlite else NOW  # SQLite keeps UTC wall time
    until = col(DeadlineRow.claimed_until)
    stmt = (
        select(DeadlineRow.id)
        .where(col(DeadlineRow.done_at).is_(None), col(DeadlineRow.due_at) <= now)
        .where(until.is_(None) | (until <= now))
        .order_by(col(DeadlineRow.due_at), col(DeadlineRow.id))
        .limit(100)
    )
    if not sqlite:
        stmt = stmt.with_for_update(skip_locked=True)
    compiled = stmt.compile(engine)
    params: object = (
        tuple(compiled.params[k] for k in compiled.positiontup or ())
        if sqlite
        else dict(compiled.params)
    )
    prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN (ANALYZE, BUFFERS) "
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(prefix + str(compiled), params).all()  # type: ignore[arg-type]
    engine.dispose()
    plan = "\n".join("  " + " ".join(str(c) for c in row) for row in rows)
    return f"{compiled}\n{plan}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url")
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or default_sqlite_url(Path(tmp))
        upgrade(url)
        start = time.perf_counter()
        _fill(url, args.rows)
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        print(f"{args.rows} rows on {engine.dialect.name} in {time.perf_counter() - start:.1f} s")
        indexed = _measure(url)
        print("claim query plan with the partial index:")
        print(explain_claim(url))
        with engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_deadlines_open_due"))
            conn.execute(text("ANALYZE"))
        engine.dispose()
        baseline = _measure(url)
    for name, ms in indexed.items():
        print(
            f"{name:12s} {ms:8.2f} ms with the partial index; {baseline[name]:8.2f} ms without "
            f"(x{baseline[name] / ms:.0f})"
        )


if __name__ == "__main__":
    main()
