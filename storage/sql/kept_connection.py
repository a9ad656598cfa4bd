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
        self._state = threading.Lock()  # guards the two flags below
        self._lent = False
        self._close_on_return = False

    def lend(self) -> Connection:
        """The kept connection (opened again if it was closed or invalidated), or a pooled one."""
        with self._state:
            busy, self._lent = self._lent, True
        if busy:
            return self._engine.connect()
        try:
            conn = self._connection
            if conn is None or conn.closed or conn.invalidated:
                if conn is not None:
                    conn.close()
                conn = self._connection = self._engine.connect()
        except BaseException:
            with self._state:
                self._lent = False
            raise
        return conn

    def give_back(self, conn: Connection) -> None:
        """Take back a lent connection, with no transaction open on it; close a pooled one."""
        if conn is not self._connection:
            conn.close()
            return
        with self._state:
            close, self._close_on_return = self._close_on_return, False
            if close:
                self._connection = None
            self._lent = False
        if close:
            conn.close()

    def close(self) -> None:
        """Close the kept connection (before the engine is disposed), or have the unit of work
        that holds it close it when done; a later lend opens a new one."""
        with self._state:
            if self._lent:
                self._close_on_return = True
                return
            conn, self._connection = self._connection, None
        if conn is not None:
            conn.close()


def keep_for(engine: Engine) -> KeptConnection | None:
    """A kept connection for a SQLite engine; None (the pool alone) for PostgreSQL."""
    return KeptConnection(engine) if engine.dialect.name == "sqlite" else None
