"""What durable-rules does badly, survived: many evaluations, threads, versions, action errors."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from engine import EngineError, RuleBook, evaluate, load_ruleset
from engine.durable_adapter import DurableBackend
from engine.outcomes import DEFAULT_OUTCOMES, Outcome, RuleKind, Tally
from engine.python_backend import PythonBackend
from tests.engine.conftest import DEFAULT_FILE, application, sheet

DAY = date(2026, 6, 1)


def test_more_than_1024_evaluations_in_one_ruleset(book: RuleBook) -> None:
    backend = DurableBackend()
    outcomes = set()
    for i in range(1100):
        facts = application(has_trained_staff=i % 3 != 0)
        if i % 2:
            facts = {**facts, "score_sheet": sheet({"repair": i % 8})}
        outcomes.add(book.evaluate(facts, DAY, backend=backend).outcome)
    assert outcomes == {"eligible", "ineligible", "certified"}
    assert book.evaluate(application(), DAY, backend=backend).eligible is True


def test_four_threads_at_once_get_the_sequential_answers(book: RuleBook) -> None:
    backend = DurableBackend()
    cases = [
        {
            **application(has_dedicated_funds=i % 5 != 0),
            "score_sheet": sheet({"complaint_handling": Decimal(i % 13)}),
        }
        for i in range(400)
    ]
    expected = [evaluate(book, f, DAY, backend=PythonBackend()) for f in cases]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda f: evaluate(book, f, DAY, backend=backend), cases))
    assert got == expected


def test_two_versions_of_one_rule_set_side_by_side(tmp_path: Path) -> None:
    text = DEFAULT_FILE.read_text(encoding="utf-8")
    strict = (
        text.replace('version: "1"', 'version: "2"')
        .replace("effective_from: 2012-02-01", "effective_from: 2026-01-01")
        .replace("min_months: 3", "min_months: 4")
        .split("examples:")[0]
    )
    (tmp_path / "v1.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "v2.yaml").write_text(strict, encoding="utf-8")
    book = RuleBook.from_directory(tmp_path)
    backend = DurableBackend()
    facts = application(application_date=date(2026, 3, 2))
    for _ in range(3):  # interleaved, on one backend
        assert evaluate(book.versions[0], facts, DAY, backend=backend).eligible is True
        assert evaluate(book.versions[1], facts, DAY, backend=backend).eligible is False
    # the same content loaded twice reuses its registration instead of failing
    again = load_ruleset(DEFAULT_FILE.read_bytes(), "copy.yaml")
    assert evaluate(again, facts, DAY, backend=backend).eligible is True


class Boom(RuntimeError):
    pass


def _explode(tally: Tally, key: str) -> None:
    raise Boom(f"cannot act on {key}")


def test_an_exception_in_a_rule_action_surfaces_and_the_engine_goes_on(tmp_path: Path) -> None:
    outcomes = {
        **DEFAULT_OUTCOMES,
        "explode": Outcome(
            "explode", frozenset({RuleKind.PREREQUISITE}), _explode, "test only: raises"
        ),
    }
    path = tmp_path / "boom.yaml"
    path.write_text(
        DEFAULT_FILE.read_text(encoding="utf-8")
        .replace(
            "    message: dedicated funds for after-sales service are required\n",
            "    message: dedicated funds for after-sales service are required\n"
            "    outcome: explode\n",
        )
        .split("examples:")[0],
        encoding="utf-8",
    )
    ruleset = load_ruleset(path.read_bytes(), str(path), outcomes=outcomes)
    backend = DurableBackend()
    with pytest.raises(
        EngineError,
        match=r"rule prerequisite\.dedicated_funds .* failed in its "
        r"action: Boom",
    ) as caught:
        evaluate(
            ruleset,
            application(has_dedicated_funds=False, has_trained_staff=False),
            DAY,
            backend=backend,
        )
    assert isinstance(caught.value.__cause__, Boom)
    for _ in range(1100):  # the failed evaluation left no state behind
        assert evaluate(ruleset, application(), DAY, backend=backend).eligible is True


def test_note_outcome_reports_without_refusing(tmp_path: Path) -> None:
    path = tmp_path / "note.yaml"
    path.write_text(
        DEFAULT_FILE.read_text(encoding="utf-8")
        .replace(
            "    message: dedicated funds for after-sales service are required\n",
            "    message: dedicated funds for after-sales service are required\n"
            "    outcome: note\n",
        )
        .split("examples:")[0],
        encoding="utf-8",
    )
    ruleset = load_ruleset(path.read_bytes(), str(path))
    decision = evaluate(ruleset, application(has_dedicated_funds=False), DAY)
    assert decision.eligible is True
    assert [n.rule for n in decision.notes] == ["prerequisite.dedicated_funds"]


def test_both_backends_agree_on_the_shipped_examples(book: RuleBook) -> None:
    ruleset = book.versions[0]
    for example in ruleset.examples:
        a = evaluate(
            ruleset, example.facts, example.as_of, checks=example.checks, backend=DurableBackend()
        )
        b = evaluate(
            ruleset, example.facts, example.as_of, checks=example.checks, backend=PythonBackend()
        )
        assert a == b, example.name
    assert replace(a, outcome="x") != b  # the comparison above can fail


def test_only_the_adapter_imports_durable_rules_and_engine_stays_out_of_storage() -> None:
    engine_dir = Path(__file__).resolve().parents[2] / "engine"
    for module in engine_dir.glob("*.py"):
        imports = [
            line.strip()
            for line in module.read_text(encoding="utf-8").splitlines()
            if line.startswith(("import ", "from "))
        ]
        if module.name != "durable_adapter.py":
            assert not any("durable" in line.split()[1] for line in imports), module.name
        assert not any(
            line.split()[1].startswith(("storage", "workflows.model", "starcert"))
            for line in imports
        ), module.name
