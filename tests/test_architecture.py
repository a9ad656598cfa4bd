"""The rooms of the house and their doors, checked on the source of every product module.

- Only `storage/` talks to the database (sqlalchemy, sqlmodel, alembic, psycopg, sqlite3); only
  `engine/` uses durable-rules.
- `engine/`, `workflows/` and `storage/` never import `starcert/` (composition and entry points);
  `workflows/` imports neither `storage/` nor `engine/` (it declares the ports they serve).
- No module is over 400 lines without saying why ("long because ...") in its first 12 lines.
- No two modules share a file name.

Imports are found by walking each module's syntax tree, so an import inside a function, under
`if TYPE_CHECKING:` or through `importlib.import_module("...")` counts like one at the top.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("engine", "workflows", "storage", "starcert")
MAX_LINES = 400
REASON = "long because"
REASON_WITHIN = 12  # lines from the top
DATABASE_LIBRARIES = {"sqlalchemy", "sqlmodel", "alembic", "psycopg", "sqlite3"}


@cache
def modules() -> tuple[Path, ...]:
    found = tuple(sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py")))
    assert len(found) > 50, f"expected the product modules under {PACKAGES}, found {len(found)}"
    return found


def package_of(path: Path) -> str:
    return path.relative_to(ROOT).parts[0]


def where(path: Path, line: int | None = None) -> str:
    name = path.relative_to(ROOT).as_posix()
    return name if line is None else f"{name}:{line}"


def _dotted(path: Path) -> list[str]:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, top-level package) of every import in the module, wherever it sits."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _dotted(path) if path.name == "__init__.py" else _dotted(path)[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the module's own package
                base = package[: len(package) - (node.level - 1)] or [""]
                yield node.lineno, base[0]
            elif node.module:
                yield node.lineno, node.module.split(".")[0]
        elif (
            isinstance(node, ast.Call)
            and (
                (
                    isinstance(node.func, ast.Name)
                    and node.func.id in {"__import__", "import_module"}
                )
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
            )
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value.split(".")[0]


def offenders(imported: set[str], allowed_in: set[str], checked: set[str] | None = None) -> str:
    """Lines naming each import of `imported` from a package outside `allowed_in` (among the
    `checked` packages, all of them when None)."""
    found = [
        f"  {where(path, line)} imports {name}"
        for path in modules()
        if package_of(path) not in allowed_in and (checked is None or package_of(path) in checked)
        for line, name in imports(path)
        if name in imported
    ]
    return "\n".join(found)


def test_only_storage_imports_a_database_library() -> None:
    found = offenders(DATABASE_LIBRARIES, allowed_in={"storage"})
    named = ", ".join(sorted(DATABASE_LIBRARIES))
    assert not found, f"only storage/ may import a database library ({named}):\n{found}"


def test_only_the_engine_imports_durable_rules() -> None:
    found = offenders({"durable"}, allowed_in={"engine"})
    assert not found, f"only engine/ may import durable (durable-rules):\n{found}"


def test_engine_workflows_and_storage_never_import_starcert() -> None:
    inner = {"engine", "workflows", "storage"}
    found = offenders({"starcert"}, allowed_in=set(), checked=inner)
    assert not found, f"engine/, workflows/ and storage/ may not import starcert:\n{found}"


def test_workflows_imports_neither_storage_nor_engine() -> None:
    found = offenders({"storage", "engine"}, allowed_in=set(), checked={"workflows"})
    assert not found, f"workflows/ may not import storage or engine:\n{found}"


def test_no_module_is_long_without_a_reason_at_its_top() -> None:
    found = []
    for path in modules():
        lines = path.read_text(encoding="utf-8").splitlines()
        top = "\n".join(lines[:REASON_WITHIN]).lower()
        if len(lines) > MAX_LINES and REASON not in top:
            found.append(f"  {where(path)}: {len(lines)} lines")
    assert not found, (
        f"modules over {MAX_LINES} lines must say why ({REASON!r} in their first "
        f"{REASON_WITHIN} lines), or be split:\n" + "\n".join(found)
    )


def test_no_two_modules_share_a_file_name() -> None:
    by_name: dict[str, list[str]] = defaultdict(list)
    for path in modules():
        if path.name != "__init__.py":
            by_name[path.name].append(where(path))
    shared = [f"  {name}: {', '.join(paths)}" for name, paths in by_name.items() if len(paths) > 1]
    assert not shared, "module file names must be unique:\n" + "\n".join(shared)
