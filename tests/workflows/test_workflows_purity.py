"""The lifecycle is pure domain: no module of `workflows` may import I/O or read the wall clock."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import workflows

PACKAGE = Path(workflows.__file__).parent
FORBIDDEN_MODULES = {
    "os", "pathlib", "socket", "time", "sqlalchemy", "sqlmodel", "psycopg", "storage", "engine",
    "starcert", "durable", "apscheduler", "subprocess", "shutil", "io", "requests", "httpx",
    "urllib", "tempfile", "sqlite3", "threading", "asyncio",
}  # fmt: skip
WALL_CLOCK_CALLS = {"now", "utcnow", "today", "time", "monotonic"}
MODULES = sorted(PACKAGE.rglob("*.py"))


def _imports(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_module_imports_no_io(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = [name for name in _imports(tree) if name.split(".")[0] in FORBIDDEN_MODULES]
    assert bad == [], f"{path.name} imports {bad}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_module_reads_no_wall_clock(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    calls = [
        f"{node.func.value.id}.{node.func.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id in {"datetime", "date", "time"}
        and node.func.attr in WALL_CLOCK_CALLS
    ]
    assert calls == [], f"{path.name} reads the wall clock: {calls}"


def test_the_check_sees_every_module() -> None:
    names = {p.name for p in MODULES}
    assert {
        "certificate_machine.py",
        "case_service.py",
        "deadline_firing.py",
        "audit_trail.py",
    } <= names
