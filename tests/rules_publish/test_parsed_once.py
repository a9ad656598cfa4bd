"""A stored rule version's text is parsed once per process, found again by its sha256; with a
cache directory, once for every process that shares it."""

from __future__ import annotations

import hashlib
import stat
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from engine import RuleSet
from engine.loader import parse_count
from starcert import rules_store
from starcert.parsed_rulesets import ParsedRulesets
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


class Processes:
    """One text read by process after process sharing a cache directory: each starts with
    nothing parsed in memory."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, comment: str) -> None:
        self.text = SHIPPED.read_text(encoding="utf-8") + f"\n# {comment}\n"
        self.digest = hashlib.sha256(self.text.encode()).hexdigest()
        self.folder = tmp_path / "cache"
        self.kept = ParsedRulesets(self.folder)
        self.monkeypatch = monkeypatch

    def load(self, effective: date = date(2011, 1, 1), source: str = "a.yaml") -> RuleSet:
        self.monkeypatch.setattr(rules_store, "_PARSED", {})
        return ruleset_of(row(self.text, effective, source), self.kept)

    @property
    def parses(self) -> int:
        return parse_count(self.digest)


def test_a_version_parsed_by_one_process_is_read_by_the_next_not_parsed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = Processes(tmp_path, monkeypatch, "kept on disk")
    first = runs.load()
    assert runs.parses == 1
    (written,) = runs.folder.iterdir()
    assert written.name.startswith(runs.digest) and stat.S_IMODE(written.stat().st_mode) == 0o600

    again = runs.load(date(2012, 6, 1), "b.yaml")
    assert runs.parses == 1  # read from the file
    assert again.content_hash == runs.digest and again.rules == first.rules
    assert again.effective_from == date(2012, 6, 1) and "b.yaml" in again.source


def test_a_cache_file_others_may_write_or_that_is_damaged_is_parsed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = Processes(tmp_path, monkeypatch, "damaged on disk")
    runs.load()
    (written,) = runs.folder.iterdir()

    written.chmod(0o620)  # writable by the group: not trusted
    runs.load()
    assert runs.parses == 2

    written.write_bytes(b"not a pickle")
    written.chmod(0o600)
    rebuilt = runs.load()
    assert runs.parses == 3 and rebuilt.content_hash == runs.digest
    runs.load()
    assert runs.parses == 3  # the file was written again, whole
