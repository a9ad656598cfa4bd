"""`SqlDatabase`: the handle starcert holds on a SQLite or PostgreSQL database.

It owns the engine (and, on SQLite, the connection kept between units of work), makes units of
work, and serves the whole-database reads, the heartbeats, console sessions and rate limits; a database's errors come out of
it as starcert's own (storage.sql.sql_errors).
"""

from __future__ import annotations

from sqlalchemy import inspect

from storage.sql.engines import make_engine
from storage.sql.kept_connection import keep_for
from storage.sql.schema import require_current
from storage.sql.sql_assignments import SqlAssignments
from storage.sql.sql_auditors import SqlAuditors
from storage.sql.sql_checkpoints import SqlCheckpoints
from storage.sql.sql_console_sessions import SqlConsoleSessions
from storage.sql.sql_database_reads import SqlDatabaseReads
from storage.sql.sql_errors import translated
from storage.sql.sql_heartbeats import SqlHeartbeats
from storage.sql.sql_public_lookups import SqlPublicLookups
from storage.sql.sql_rate_limits import SqlRateLimits
from storage.sql.sql_unit_of_work import SqlUnitOfWork
from storage.sql.sql_warnings import SqlWarnings
from workflows.read_ports import Heartbeat


class SqlDatabase:
    def __init__(self, url: str) -> None:
        self.url = url
        with translated():
            self.engine = make_engine(url)
        self.backend = self.engine.dialect.name
        self._kept = keep_for(self.engine)
        self.reads = SqlDatabaseReads(self.engine)
        self.heartbeats = SqlHeartbeats(self.engine)
        self.checkpoints = SqlCheckpoints(self.engine)
        self.console_sessions = SqlConsoleSessions(self.engine)
        self.rate_limits = SqlRateLimits(self.engine)
        self.auditors = SqlAuditors(self.engine)
        self.assignments = SqlAssignments(self.engine)
        self.warnings = SqlWarnings(self.engine)

    def shown_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def require_current(self) -> None:
        """Refuse a database that is missing, empty or at another schema revision (see
        storage.sql.schema), before anything else touches it."""
        with translated():
            require_current(self.engine)

    def unit_of_work(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, self._kept)

    def public_lookups(self) -> SqlPublicLookups:
        return SqlPublicLookups(self.url)

    def close(self) -> None:
        if self._kept is not None:
            self._kept.close()
        self.engine.dispose()


def daemon_beats(url: str) -> list[Heartbeat]:
    """The heartbeats recorded in the database at `url` (none when it has no such table)."""
    with translated():
        engine = make_engine(url)
    try:
        with translated():
            with engine.connect() as conn:
                if not inspect(conn).has_table("daemon_status"):
                    return []
            return list(SqlHeartbeats(engine).all())
    finally:
        engine.dispose()
