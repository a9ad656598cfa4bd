"""A separate OS process for the concurrency tests: `python storage_race_worker.py MODE URL ...`.

It prints `ready`, waits for a line on stdin (so several workers start together), does its part
and prints one JSON line with the outcome.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from storage.sql.engines import make_engine
from storage.sql.sql_unit_of_work import SqlUnitOfWork
from workflows.errors import ConcurrencyConflict
from workflows.model import Deadline, DeadlineKind, State


def _go() -> None:
    print("ready", flush=True)
    sys.stdin.readline()


def save(engine: Engine, case_id: int, state: str) -> dict[str, str]:
    with SqlUnitOfWork(engine) as uow:
        case = uow.cases.get(case_id)  # read now, write later: the version may go stale
    _go()
    case.state = State(state)
    try:
        with SqlUnitOfWork(engine) as uow:
            uow.cases.save(case)
            time.sleep(0.3)  # hold the transaction open so the other writer overlaps it
            uow.commit()
    except ConcurrencyConflict as exc:
        return {"outcome": "conflict", "error": str(exc)}
    return {"outcome": "won"}


def main() -> None:
    mode, url = sys.argv[1], sys.argv[2]
    engine = make_engine(url)
    try:
        if mode == "save":
            result: object = save(engine, int(sys.argv[3]), sys.argv[4])
        elif mode == "claim":
            now = datetime.fromisoformat(sys.argv[4])
            _go()
            claimed: list[int] = []
            while True:
                with SqlUnitOfWork(engine) as uow:
                    rows = uow.deadlines.claim_due(now, sys.argv[3], now + timedelta(hours=1), 25)
                    time.sleep(0.005)  # held as a batch's firings hold it: on a loaded machine
                    uow.commit()  # too, the other worker meets these rows locked and skips them
                if not rows:
                    break
                claimed.extend(d.id for d in rows if d.id is not None)
            result = claimed
        elif mode == "hang":
            case_id = int(sys.argv[3])
            with SqlUnitOfWork(engine) as uow:
                case = uow.cases.get(case_id)
                case.state = State.STAGE1
                uow.cases.save(case)
                due = datetime.fromisoformat(sys.argv[4])
                uow.deadlines.add(Deadline(None, case_id, DeadlineKind.EXPIRY, due))
                uow.session.flush()
                print("written", flush=True)
                time.sleep(120)  # killed here, before commit
            result = "not killed"
        else:
            raise SystemExit(f"unknown mode {mode}")
        print(json.dumps(result), flush=True)
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
