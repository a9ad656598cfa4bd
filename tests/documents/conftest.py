"""Certificate document tests run the `starcert` command on SQLite and PostgreSQL, as the
integration tests do (their fixtures, shared)."""

from tests.integration.conftest import starcert, starcert_pg, starcert_sqlite

__all__ = ["starcert", "starcert_pg", "starcert_sqlite"]
