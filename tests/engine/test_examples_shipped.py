"""The example cases written into both shipped rule sets pass."""

from __future__ import annotations

from engine import RuleBook, run_examples


def test_default_rule_set_examples(book: RuleBook) -> None:
    results = [r for v in book.versions for r in run_examples(v)]
    assert len(results) >= 10
    assert [r.detail for r in results if not r.passed] == []


def test_strict_cb_examples(strict_book: RuleBook) -> None:
    assert [v.version for v in strict_book.versions] == ["1", "2"]
    results = [r for v in strict_book.versions for r in run_examples(v)]
    assert len(results) >= 8
    assert [r.detail for r in results if not r.passed] == []
