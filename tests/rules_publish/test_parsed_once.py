"""A stored rule version's text is parsed once per process, found again by its sha256."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

from starcert.rules_store import ruleset_of
from tests.rules_publish.conftest import SHIPPED
from workflows.ports import PublishedRules

NOW = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def row(content: str, effective: date, source: str) -> PublishedRules:
    digest = hashlib.sha256(content.encode()).hexdigest()
    return PublishedRules(None, "gbt27922", "1", digest, content, source, effective, NOW, "alice")


def test_the_same_text_is_parsed_once_and_published_with_each_rows_date_and_source() -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    first = ruleset_of(row(text, date(2011, 1, 1), "a.yaml"))
    again = ruleset_of(row(text, date(2012, 6, 1), "b.yaml"))
    assert again.rules is first.rules  # the parse of the first row, not a second one
    assert (first.effective_from, again.effective_from) == (date(2011, 1, 1), date(2012, 6, 1))
    assert "b.yaml" in again.source and "a.yaml" in first.source


def test_changed_text_is_parsed_afresh() -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    first = ruleset_of(row(text, date(2011, 1, 1), "a.yaml"))
    edited = ruleset_of(row(text + "\n# edited\n", date(2011, 1, 1), "a.yaml"))
    assert edited.rules is not first.rules
    assert edited.content_hash != first.content_hash
