"""Revisions are numbered 0001, 0002, ... one after the other, so a stored revision above the
code's is known to be a newer release's without reading the migration scripts."""

from __future__ import annotations

from alembic.script import ScriptDirectory

from storage.sql.migrate import alembic_config
from storage.sql.schema import SCHEMA_REVISION, is_newer


def test_migrations_are_numbered_in_order_up_to_the_codes_revision() -> None:
    scripts = ScriptDirectory.from_config(alembic_config(""))
    chain = list(reversed(list(scripts.walk_revisions())))
    assert [s.revision for s in chain] == [f"{n:04d}" for n in range(1, len(chain) + 1)]
    assert [s.down_revision for s in chain] == [None, *(s.revision for s in chain[:-1])]
    assert chain[-1].revision == SCHEMA_REVISION
    assert not any(is_newer(s.revision) for s in chain)
    assert is_newer(f"{int(SCHEMA_REVISION) + 1:04d}") and is_newer("ae1027a6acf")
