"""$STARCERT_CLOCK_START: every command runs as of another day (rehearsals, the dated walkthroughs
of the docs), on the same clock the daemon's --clock-start gives."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.cli_in_process import run_starcert
from tests.integration.conftest import Starcert


def _with_clock(starcert: Starcert, start: str, *args: str) -> tuple[int, str, str]:
    ran = run_starcert(
        ["--config", str(starcert.config), *args],
        cwd=starcert.workdir,
        env={"STARCERT_CLOCK_START": start},
    )
    return ran.code, ran.out, ran.err


def test_commands_read_the_clock_from_the_start_given(starcert_sqlite: Starcert) -> None:
    start = (datetime.now(UTC) + timedelta(days=2000)).replace(microsecond=0)
    code, out, err = _with_clock(starcert_sqlite, start.isoformat(), "status", "--json")
    assert code == 0, err
    now = datetime.fromisoformat(json.loads(out)["now"])
    assert start <= now < start + timedelta(minutes=1)
    real = datetime.fromisoformat(starcert_sqlite("status", "--json").json()["now"])
    assert real < start - timedelta(days=1999)  # without the variable: the real time


def test_a_decision_is_dated_by_the_shifted_clock(starcert_sqlite: Starcert) -> None:
    """A version may not take effect in the past: the past is the shifted clock's."""
    later = datetime.now(UTC) + timedelta(days=3000)
    effective = (later - timedelta(days=10)).date().isoformat()
    shown = starcert_sqlite("rules", "show", "1", "--content").out
    draft = starcert_sqlite.workdir / "v2.yaml"
    draft.write_text(shown.replace('version: "1"', 'version: "2"', 1), encoding="utf-8")
    code, _, err = _with_clock(
        starcert_sqlite, later.isoformat(), "rules", "publish", str(draft),
        "--effective", effective, "--by", "alice",
    )  # fmt: skip
    assert code == 2
    today = later.astimezone(ZoneInfo("Asia/Shanghai")).date()  # the body's day (config.toml)
    assert f"{effective} is in the past (today is {today.isoformat()})" in err
    published = starcert_sqlite("rules", "publish", str(draft), "--effective", effective,
                                "--by", "alice")  # fmt: skip
    assert "published" in published.out.lower()


def test_a_start_without_a_time_zone_is_refused_naming_the_variable(
    starcert_sqlite: Starcert,
) -> None:
    code, out, err = _with_clock(starcert_sqlite, "2031-05-01", "status")
    assert code == 2
    assert "STARCERT_CLOCK_START" in err and "no time zone" in err
    assert out == ""
