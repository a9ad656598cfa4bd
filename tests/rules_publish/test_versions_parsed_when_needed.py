"""A command parses only the published versions it needs: a large old version costs nothing to a
command about today, however long the history.

The versions are published by processes of their own, so this process has parsed none of them
when its commands run; the loader's count of parses per content hash says what they parsed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from engine.loader import parse_count
from tests.integration.conftest import FACTS, Starcert
from tests.integration.test_cli_lifecycle import CODE
from tests.rules_publish.conftest import stricter
from tests.rules_publish.test_rule_file_size import lowered, padded


def unique(path: Path, text: str) -> Path:
    """`text` with a comment naming `path`, so its sha256 is this test's own."""
    path.write_text(f"{text}# {path}\n", encoding="utf-8")
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_command_about_today_does_not_parse_a_large_old_version(
    starcert_sqlite: Starcert,
) -> None:
    starcert = lowered(starcert_sqlite, 300_000)
    old = padded(starcert.workdir / "old.yaml", 250_000)
    old = unique(old, old.read_text(encoding="utf-8"))
    current = unique(starcert.workdir / "current.yaml", stricter("3", four_star_from=92))
    for path, day in ((old, "2020-01-01"), (current, "2021-01-01")):
        starcert.process(
            "rules", "publish", str(path), "--effective", day, "--backdate", "moved from paper",
            "--by", "alice",
        )  # fmt: skip
    assert parse_count(digest(old)) == parse_count(digest(current)) == 0

    dated = {**FACTS, "application_date": "2026-03-01", "service_system_since": "2025-06-01"}
    explain_facts = starcert.write("explain.json", dated)
    explained = starcert("rules", "explain", "--facts", str(explain_facts), "--json").json()
    assert (explained["version"], explained["eligible"]) == ("3", True)
    starcert("org", "add", "--name", "Acme", "--credit-code", CODE, "--by", "li")
    facts = starcert.write("facts.json", FACTS)
    case = starcert(
        "apply", "--org", "1", "--submitted", "2026-03-01", "--since", "2025-06-01", "--scope",
        "s", "--facts", str(facts), "--by", "li", "--json",
    ).json()  # fmt: skip
    reviewed = starcert("review", str(case["id"]), "--by", "li", "--json").json()
    assert reviewed["state"] == "stage1"
    history = starcert("rules", "history", "--json").json()
    assert [(h["version"], h["in_force"]) for h in history] == [
        ("1", False),
        ("2", False),
        ("3", True),
    ]
    assert parse_count(digest(old)) == 0  # never needed: never parsed
    assert parse_count(digest(current)) == 1  # needed by both commands, parsed once
