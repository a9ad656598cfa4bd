"""Concurrency and crashes through the real CLI: one winner, and never a half-written command."""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.integration.conftest import Starcert, make_runner
from tests.integration.test_cli_lifecycle import certified

RACERS = 4


def test_operators_racing_on_one_certificate_exactly_one_wins(starcert: Starcert) -> None:
    cid = certified(starcert)
    starcert("decide", cid, "--by", "carol")
    procs = [
        starcert.popen(
            "suspend",
            cid,
            "--cause",
            "client_request",
            "--reason",
            f"racer {i}",
            "--by",
            f"operator{i}",
        )
        for i in range(RACERS)
    ]
    results = []
    for p in procs:
        _, err = p.communicate(timeout=120)
        results.append((p.returncode, err))
    codes = sorted(code for code, _ in results)
    assert codes.count(0) == 1, results
    # The losers saw either the stale version (5: conflict, retry) or, having waited for the
    # winner's commit, the new state (3: suspend is no longer allowed). Nothing else.
    assert set(codes) <= {0, 3, 5}, results
    for code, err in results:
        if code == 5:
            assert "retry" in err
        if code == 3:
            assert "suspended" in err
    history = starcert("show", cid, "--json").json()["history"]
    assert [e["trigger"] for e in history].count("suspend") == 1
    assert starcert("audit", "verify", "--json").json()["ok"] is True


def test_a_killed_command_leaves_the_case_as_before_or_after_never_between(
    starcert_sqlite: Starcert,
) -> None:
    starcert = starcert_sqlite
    cid = certified(starcert)
    starcert("decide", cid, "--by", "carol")
    rng = random.Random(7)
    state = "active"
    for round_ in range(8):
        args = (
            ("suspend", cid, "--cause", "client_request", "--reason", f"r{round_}", "--by", "a")
            if state == "active"
            else ("restore", cid, "--reason", f"r{round_}", "--by", "a")
        )
        proc = starcert.popen(*args)
        time.sleep(rng.uniform(0.3, 2.5))  # somewhere in start-up, the transaction, or after it
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate()
        detail = starcert("show", cid, "--json").json()
        case, history = detail["case"], detail["history"]
        # The stored state is exactly what the last event says, and every change has its event.
        assert case["state"] == history[-1]["to_state"]
        assert case["version"] == len(history) - 1  # one save per event after the first
        state = case["state"]
    assert starcert("audit", "verify", "--json").json()["ok"] is True
    db = starcert.workdir / "data" / "starcert.db"
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    engine.dispose()


def test_an_unreachable_database_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "pg").mkdir()
    (tmp_path / "lite").mkdir()
    down = make_runner(
        tmp_path / "pg", "postgresql+psycopg://starcert@127.0.0.1:9/none", migrate=False
    )
    health = down("health", check=False)
    assert health.code == 1 and health.out.startswith("unhealthy: database unreachable: ")
    listed = make_runner(
        tmp_path / "lite", f"sqlite:///{tmp_path}/no/such/folder/x.db", migrate=False
    )
    refused = down("list", check=False)
    assert refused.code == 1 and refused.err.startswith("error: database unreachable: ")
    assert "Traceback" not in refused.err and len(refused.err.strip().splitlines()) == 1
    refused = listed("list", check=False)  # a SQLite file is never created by reading it
    assert refused.code == 1
    assert (
        refused.err
        == f"error: no database at {tmp_path}/no/such/folder/x.db: run `starcert db upgrade` to create it\n"
    )
