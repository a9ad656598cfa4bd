"""Shared helpers for the engine tests: the shipped rule files and ready-made facts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from engine import RuleBook
from tests.score_sheets import FULL_MARKS

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "rules"
STRICT = RULES / "examples" / "strict-cb"
DEFAULT_FILE = RULES / "gbt27922-2011.yaml"


def application(**changes: Any) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "application_date": date(2026, 3, 2),
        "service_system_since": date(2025, 11, 30),
        "has_service_documents": True,
        "has_dedicated_manager": True,
        "has_dedicated_funds": True,
        "has_trained_staff": True,
        "is_prc_legal_entity": True,
        "last_major_failure": None,
    }
    facts.update(changes)
    return facts


def sheet(points: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    results: dict[str, Any] = {k: {"points": v} for k, v in FULL_MARKS.items()}
    for key, value in (points or {}).items():
        if value is None:
            results.pop(key)
        else:
            results[key] = value if isinstance(value, dict) else {"points": value}
    return {"results": results, **extra}


@pytest.fixture(scope="session")
def book() -> RuleBook:
    return RuleBook.from_directory(RULES)


@pytest.fixture(scope="session")
def strict_book() -> RuleBook:
    return RuleBook.from_directory(STRICT)


@pytest.fixture
def write_rules(tmp_path: Path) -> Callable[..., Path]:
    """Write a variant of the shipped default file: edit(text) -> text, into tmp_path/name."""

    def write(edit: Callable[[str], str], name: str = "rules.yaml") -> Path:
        path = tmp_path / name
        path.write_text(edit(DEFAULT_FILE.read_text(encoding="utf-8")), encoding="utf-8")
        return path

    return write
