"""Two authors publishing at the same moment, in two real processes: stored in order, or one
refused; never a lost or mixed version."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.integration.conftest import Starcert
from tests.office_day import office_today
from tests.rules_publish.conftest import stricter


def test_two_processes_publishing_at_once_store_both_in_order_or_refuse_one(
    starcert: Starcert, tmp_path: Path
) -> None:
    starcert("rules", "history")  # the shipped version 1 is in place
    files = []
    for version, limit in (("2", 4), ("3", 5)):
        path = tmp_path / f"v{version}.yaml"
        path.write_text(stricter(version, suspension_limit=limit), encoding="utf-8")
        files.append(path)
    soon = office_today() + timedelta(days=20)
    # Version 3 asks for an EARLIER date than version 2: if 2 lands first, 3 must be refused.
    procs = [
        starcert.popen(
            "rules", "publish", str(files[0]), "--effective", str(soon), "--by", "alice"
        ),
        starcert.popen(
            "rules",
            "publish",
            str(files[1]),
            "--effective",
            str(soon - timedelta(days=5)),
            "--by",
            "bob",
        ),
    ]
    results = [(p.wait(timeout=120), p.communicate()) for p in procs]
    codes = [code for code, _ in results]
    history = starcert("rules", "history", "--json").json()
    stored = [(h["version"], h["effective_from"], h["published_by"]) for h in history]
    # Whichever lands first, the other no longer fits after it: exactly one is refused.
    assert sorted(codes) == [0, 2], results
    refused = results[codes.index(2)][1][1]
    assert "does not come after" in refused or "never go backwards" in refused
    winner = "alice" if codes[0] == 0 else "bob"
    assert [(v, by) for v, _, by in stored] == [
        ("1", "starcert (shipped rule files)"),
        ("2" if winner == "alice" else "3", winner),
    ]
    content = starcert("rules", "show", stored[1][0]).out  # the row holds its own file whole
    assert f"suspension_limit_months: {4 if winner == 'alice' else 5}" in content
