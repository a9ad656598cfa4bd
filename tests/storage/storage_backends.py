"""The Backend handle the storage fixtures give tests (outside conftest, so tests import it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine

from storage.memory.memory_store import MemoryStore
from storage.sql.engines import default_sqlite_url
from workflows.ports import UnitOfWork


@dataclass
class Backend:
    name: str
    new_uow: Callable[[], UnitOfWork]
    url: str | None = None  # None for memory
    engine: Engine | None = None
    store: MemoryStore | None = field(default=None, repr=False)


def sqlite_url(tmp_path: Path) -> str:
    return default_sqlite_url(tmp_path)
