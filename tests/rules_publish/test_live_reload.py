"""A running process picks up a newly published version without restart; what is under way
keeps the version it started with."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from engine import Check
from starcert.app import App
from starcert.config import Config, DatabaseConfig, PathsConfig
from starcert.rule_publication import Publication
from starcert.rules_store import publish
from storage.sql.migrate import upgrade
from tests.integration.conftest import REPO
from tests.score_sheets import FULL_MARKS
from workflows.fake_clock import FakeClock


def test_refresh_loads_new_versions_and_held_rulesets_stay_as_they_were(
    tmp_path: Path, v2: Path
) -> None:
    config = Config(
        database=DatabaseConfig(url=""),
        paths=PathsConfig(data_dir=tmp_path / "data", rules_dir=REPO / "rules"),
    )
    config.paths.data_dir.mkdir()
    upgrade(config.database_url)
    now = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)
    daemon = App(config, clock=FakeClock(now))
    author = App(config, clock=FakeClock(now))
    try:
        book = daemon.rules.book
        held = book.versions  # what an evaluation under way holds
        assert [v.version for v in held] == ["1"]
        assert daemon.refresh_rules() == []  # nothing new: one cheap query

        publish(
            author.uow, Publication.from_file(v2, date(2026, 7, 1), "alice", date(2026, 5, 1), now)
        )
        added = daemon.refresh_rules()
        assert [v.version for v in added] == ["2"]
        assert [v.version for v in book.versions] == ["1", "2"]
        assert [v.version for v in held] == ["1"]  # the tuple held before is untouched
        assert book.in_force(date(2026, 6, 30)).version == "1"  # decisions dated before: old
        assert book.in_force(date(2026, 7, 1)).version == "2"
        facts = {
            "score_sheet": {"results": {**FULL_MARKS, "complaint_handling": 2.5}}
        }  # 90.5 points
        before = book.evaluate(facts, date(2026, 6, 30), checks=[Check.SCORING])
        after = book.evaluate(facts, date(2026, 7, 1), checks=[Check.SCORING])
        assert (before.band, before.version) == ("four_star", "1")
        assert (after.band, after.version) == ("three_star", "2")
        assert daemon.refresh_rules() == []
    finally:
        daemon.close()
        author.close()
