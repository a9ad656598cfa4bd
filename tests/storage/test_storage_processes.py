"""Real concurrent OS processes against one database: conflicts, shared claims, kills."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from storage_backends import Backend
from storage_builders import T0, new_case

from workflows.model import Deadline, DeadlineKind, State

WORKER = Path(__file__).with_name("storage_race_worker.py")
REPO = Path(__file__).resolve().parents[2]


def _start(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _wait_for(proc: subprocess.Popen[str], line: str) -> None:
    assert proc.stdout is not None
    got = proc.stdout.readline().strip()
    if got != line:
        proc.kill()
        _, err = proc.communicate(timeout=30)
        raise AssertionError(f"worker said {got!r}, expected {line!r}; stderr:\n{err}")


def _run_together(procs: list[subprocess.Popen[str]]) -> Iterator[object]:
    for proc in procs:
        _wait_for(proc, "ready")
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        yield json.loads(out.strip().splitlines()[-1])


def test_two_processes_saving_one_case_at_the_same_version_one_wins(
    sql_backend: Backend,
) -> None:
    with sql_backend.new_uow() as uow:
        case = new_case(uow)
        uow.commit()
    assert case.id is not None and sql_backend.url is not None
    states = {"stage1": State.STAGE1, "cancelled": State.CANCELLED}
    procs = [_start("save", sql_backend.url, str(case.id), name) for name in states]
    results = list(_run_together(procs))
    outcomes = Counter(r["outcome"] for r in results)  # type: ignore[index]
    assert outcomes == {"won": 1, "conflict": 1}, results
    winner = next(name for name, r in zip(states, results, strict=True) if r["outcome"] == "won")  # type: ignore[index]
    with sql_backend.new_uow() as uow:
        stored = uow.cases.get(case.id)
    assert (stored.state, stored.version) == (states[winner], 1)


@pytest.mark.slow
def test_two_processes_claiming_2000_due_rows_claim_each_exactly_once(
    sql_backend: Backend,
) -> None:
    assert sql_backend.url is not None
    with sql_backend.new_uow() as uow:
        case = new_case(uow)
        assert case.id is not None
        ids = {
            uow.deadlines.add(
                Deadline(None, case.id, DeadlineKind.SURVEILLANCE_DUE, T0 + timedelta(seconds=i))
            ).id
            for i in range(2000)
        }
        uow.commit()
    now = (T0 + timedelta(hours=1)).isoformat()
    procs = [_start("claim", sql_backend.url, f"w{i}", now) for i in range(2)]
    claimed: list[list[int]] = list(_run_together(procs))  # type: ignore[arg-type]
    everything = [i for batch in claimed for i in batch]
    assert len(everything) == len(set(everything)) == 2000
    assert set(everything) == ids
    if sql_backend.name == "postgresql":
        assert all(claimed), "with SKIP LOCKED both daemons should have got work"


def test_a_process_killed_mid_command_leaves_the_database_as_before(
    sql_backend: Backend,
) -> None:
    assert sql_backend.url is not None
    with sql_backend.new_uow() as uow:
        case = new_case(uow)
        uow.commit()
    assert case.id is not None
    proc = _start("hang", sql_backend.url, str(case.id), T0.isoformat())
    _wait_for(proc, "written")
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    with sql_backend.new_uow() as uow:
        stored = uow.cases.get(case.id)
        assert (stored.state, stored.version) == (State.APPLIED, 0)
        assert uow.deadlines.open_for_case(case.id) == []
        stored.state = State.STAGE1  # and the database is writable again at once
        uow.cases.save(stored)
        uow.commit()
