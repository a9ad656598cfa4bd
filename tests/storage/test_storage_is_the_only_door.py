"""Nothing above storage/ imports the database libraries: every module of engine/, workflows/ and
starcert/ is parsed and its imports read, those inside functions included."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATABASE_LIBRARIES = ("sqlalchemy", "sqlmodel", "alembic", "psycopg", "sqlite3")
ABOVE_STORAGE = ("engine", "workflows", "starcert")


def _imported(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.lineno, node.module))
    return found


def test_no_module_above_storage_imports_a_database_library() -> None:
    offending = []
    for package in ABOVE_STORAGE:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for line, name in _imported(tree):
                if name.split(".")[0] in DATABASE_LIBRARIES:
                    offending.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert offending == []
