"""Fixtures for publishing rule versions: the real CLI on SQLite and PostgreSQL, and a v2 file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.conftest import REPO, Starcert, starcert, starcert_pg, starcert_sqlite

__all__ = ["starcert", "starcert_pg", "starcert_sqlite"]

SHIPPED = REPO / "rules" / "gbt27922-2011.yaml"


def stricter(version: str = "2", *, four_star_from: int = 91, suspension_limit: int = 4) -> str:
    """The shipped rule file as a body's next version: a harder four-star band and a shorter
    suspension limit and surveillance window (its examples still hold)."""
    text = SHIPPED.read_text(encoding="utf-8")
    replaced = (
        text.replace('version: "1"', f'version: "{version}"', 1)
        .replace(
            "- {band: four_star, from: 90, below: 95}",
            f"- {{band: four_star, from: {four_star_from}, below: 95}}",
        )
        .replace(
            "- {band: three_star, from: 80, below: 90}",
            f"- {{band: three_star, from: 80, below: {four_star_from}}}",
        )
        .replace("suspension_limit_months: 6", f"suspension_limit_months: {suspension_limit}")
        .replace("surveillance_window_months: 3", "surveillance_window_months: 2")
    )
    assert replaced != text
    return replaced


@pytest.fixture
def v2(tmp_path: Path) -> Path:
    path = tmp_path / "gbt27922-v2.yaml"
    path.write_text(stricter(), encoding="utf-8")
    return path


def run(starcert: Starcert, *args: str) -> str:
    return starcert(*args).out
