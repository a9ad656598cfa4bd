"""One SQLite connection kept open between units of work, lent to one at a time.

Taking a connection from the pool and giving it back costs more than a one-row transaction on
SQLite, and the daemon, the simulation and an operator's loop run thousands of transactions one
after another. A unit of work borrows the kept connection when it is free and takes one from the
pool when another thread holds it, so sharing an App across threads stays correct.

Only for SQLite: on PostgreSQL the pool's pre-ping, which catches a server restart before a
transaction begins rather than failing it, is worth its round trip.
"""

from __future__ import annotations

import threading

from sqlalchemy.engine import Connection, Engine


class KeptConnection:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Connection | None = None
        self._lent = threading.Lock()
        self._close_on_return = False

    def lend(self) -> Connection:
        """The kept connection (opened again if it was closed or invalidated), or a pooled one."""
        if not self._lent.acquire(blocking=False):
            return self._engine.connect()
        try:
            conn = self._connection
            if conn is None or conn.closed or conn.invalidated:
                if conn is not None:
                    conn.close()
                conn = self._connection = self._engine.connect()
        except BaseException:
            self._lent.release()
            raise
        return conn

    def give_back(self, conn: Connection) -> None:
        """Take back a lent connection, with no transaction open on it; close a pooled one."""
        if conn is self._connection and self._lent.locked():
            if self._close_on_return:
                self._close_kept()
            self._lent.release()
        else:
            conn.close()

    def close(self) -> None:
        """Close the kept connection (before the engine is disposed), or have the unit of work
        that holds it close it when done; a later lend opens a new one."""
        if self._lent.acquire(blocking=False):
            try:
                self._close_kept()
            finally:
                self._lent.release()
        else:
            self._close_on_return = True

    def _close_kept(self) -> None:
        conn, self._connection = self._connection, None
        self._close_on_return = False
        if conn is not None:
            conn.close()


def keep_for(engine: Engine) -> KeptConnection | None:
    """A kept connection for a SQLite engine; None (the pool alone) for PostgreSQL."""
    return KeptConnection(engine) if engine.dialect.name == "sqlite" else None
