"""Decisions and sanctions entered after the fact: `--on DATE` on decide, suspend, restore,
withdraw and cancel, on real databases with the CLI in process."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import Starcert
from tests.integration.test_cli_findings import _record_major, _respond, _second_case
from tests.office_day import office_day


def _show(starcert: Starcert, cid: str) -> dict[str, Any]:
    data: dict[str, Any] = starcert("show", cid, "--json").json()
    return data


def test_a_decision_dated_13_months_back_runs_its_plan_from_that_day(starcert: Starcert) -> None:
    cid = _second_case(starcert, stage2_days_ago=420)
    decided = starcert("decide", cid, "--by", "carol", "--on", office_day(-400), "--json").json()
    assert decided["state"] == "active", decided
    case = _show(starcert, cid)["case"]
    assert case["decided_on"] == office_day(-400)
    last = _show(starcert, cid)["history"][-1]
    assert last["trigger"] == "certify" and last["data"]["on"] == office_day(-400)
    # Its first surveillance was due within 12 months of that day: the daemon's next run
    # suspends it, as a daemon that never stopped would have.
    starcert("fire-due")
    after = _show(starcert, cid)
    assert after["case"]["state"] == "suspended"
    assert after["case"]["suspension_cause"] == "overdue_surveillance"
    assert starcert("audit", "verify").code == 0


def test_a_suspension_dated_past_its_limit_is_withdrawn_by_the_next_run(
    starcert: Starcert,
) -> None:
    cid = _second_case(starcert, stage2_days_ago=400)
    starcert("decide", cid, "--by", "carol", "--on", office_day(-390))
    suspended = starcert(
        "suspend", cid, "--cause", "client_request", "--reason", "asked by letter",
        "--by", "carol", "--on", office_day(-215), "--json",
    ).json()  # fmt: skip
    assert suspended["state"] == "suspended"
    assert _show(starcert, cid)["case"]["suspended_on"] == office_day(-215)
    starcert("fire-due")  # its 6 months ended about a month ago
    after = _show(starcert, cid)
    assert after["case"]["state"] == "withdrawn"
    assert after["history"][-1]["trigger"] == "withdraw"
    assert starcert("audit", "verify").code == 0


@pytest.mark.parametrize("end", ["withdraw", "cancel"])
def test_restore_withdraw_and_cancel_record_their_day(starcert: Starcert, end: str) -> None:
    cid = _second_case(starcert, stage2_days_ago=60)
    starcert("decide", cid, "--by", "carol", "--on", office_day(-50))
    starcert(
        "suspend", cid, "--cause", "client_request", "--reason", "asked", "--by", "carol",
        "--on", office_day(-30),
    )  # fmt: skip
    restored = starcert(
        "restore", cid, "--reason", "cleared", "--by", "carol", "--on", office_day(-20), "--json"
    ).json()
    assert restored["state"] == "active"
    starcert(
        "suspend", cid, "--cause", "client_request", "--reason", "again", "--by", "carol",
        "--on", office_day(-10),
    )  # fmt: skip
    starcert(end, cid, "--reason", "gone", "--by", "carol", "--on", office_day(-5))
    history = _show(starcert, cid)["history"]
    dated = [(e["trigger"], e["data"].get("on")) for e in history[-5:]]
    assert dated == [
        ("certify", office_day(-50)),
        ("suspend", office_day(-30)),
        ("restore", office_day(-20)),
        ("suspend", office_day(-10)),
        (end, office_day(-5)),
    ]
    assert history[-1]["at"][:10] >= office_day(-1)  # written now: the trail stays append-only
    assert starcert("audit", "verify").code == 0


def test_each_bound_is_refused_naming_on_and_writes_nothing(starcert: Starcert) -> None:
    cid = _second_case(starcert, stage2_days_ago=120)
    _record_major(starcert, cid, "--on", office_day(-118))
    _respond(starcert, cid, "F1", office_day(-100))
    starcert("finding", "close", cid, "F1", "--by", "bob", "--on", office_day(-90))
    before = _show(starcert, cid)
    tries = (
        (("decide", cid, "--on", office_day(1)), "--on: " + office_day(1) + " is in the future"),
        (("decide", cid, "--on", "soon"), "--on: expected a date"),
        (("decide", cid, "--on", office_day(-121)), "is before the stage 2 audit of"),
        (("decide", cid, "--on", office_day(-95)), "major finding F1 (repair"),
        (("decide", cid, "--on", office_day(-95)), "still open on " + office_day(-95)),
    )
    for args, message in tries:
        done = starcert(*args, "--by", "carol", check=False)
        assert done.code == 2 and "--on" in done.err and message in done.err, done.err
    assert _show(starcert, cid) == before
    starcert("decide", cid, "--by", "carol", "--on", office_day(-60))
    active = _show(starcert, cid)
    for args in (
        ("suspend", cid, "--cause", "client_request", "--on", office_day(-61)),
        ("suspend", cid, "--cause", "client_request", "--on", office_day(2)),
        ("withdraw", cid, "--on", office_day(-70)),
        ("cancel", cid, "--on", office_day(-70)),
    ):
        done = starcert(*args, "--reason", "r", "--by", "carol", check=False)
        assert done.code == 2 and done.err.startswith("error: --on: "), done.err
    starcert("suspend", cid, "--cause", "client_request", "--reason", "r", "--by", "carol")
    done = starcert(
        "restore", cid, "--reason", "r", "--by", "carol", "--on", office_day(-1), check=False
    )
    assert done.code == 2 and "before the case's last event" in done.err, done.err
    assert _show(starcert, cid)["case"]["state"] == "suspended"
    assert active["case"]["decided_on"] == office_day(-60)
