"""One SQL transaction (SQLite or PostgreSQL): what the repositories of a unit of work run on.

`with SqlUnitOfWork(engine) as uow: ...; uow.commit()` is one database transaction; leaving the
block without commit (or by an exception) rolls it back, and a process killed inside it leaves the
database as it was, since nothing is written outside a transaction. On SQLite the transaction is
`BEGIN IMMEDIATE` (see storage.sql.engines), so writers take turns; on PostgreSQL writers of
different rows run side by side and the version check and `SKIP LOCKED` keep them apart.
A database's error leaves the unit of work as starcert's own (storage.sql.sql_errors).
`savepoint()` undoes one block alone: the deadline runner commits a batch of firings at once.
"""

from __future__ import annotations

from types import SimpleNamespace, TracebackType
from typing import Any, Self, TypeVar

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel
from sqlmodel.sql.expression import SelectOfScalar

from storage.sql import statements as st
from storage.sql.kept_connection import KeptConnection
from storage.sql.sql_errors import (
    raise_integrity,
    reraise_translated,
    sqlalchemy_error,
    storage_error,
)
from storage.sql.tables import CaseRow
from storage.sql.transaction_memo import TransactionMemo

R = TypeVar("R", bound=SQLModel)


class SqlTransaction:
    """One transaction on `engine`; repositories are usable only inside `with`.

    The transaction lives on one Connection (the kept one on SQLite, when free). The prepared
    statements of a transition begin and end it on the driver itself; an ORM Session, made only
    when a repository asks for one (`join_transaction_mode="control_fully"`), or a Core
    statement joins the same transaction, and it then ends through SQLAlchemy.
    """

    def __init__(self, engine: Engine, kept: KeptConnection | None = None) -> None:
        self.engine = engine
        self._kept = kept  # lends its connection when free, else the pool gives one
        self._open = False
        self._session: Session | None = None
        self._connection: Connection | None = None
        # What this transaction has already read or written (empty again after commit or
        # rollback): a plain attribute, the repositories read it at every step.
        self.memo = TransactionMemo()
        self._on_driver = False  # a transaction begun on the driver, unknown to SQLAlchemy
        self._in_transaction: tuple[Connection, Any, type[Exception]] | None = None
        self._savepoints: list[int] = []  # serials of the open ones, innermost last
        self._savepoint_serial = 0

    def __enter__(self) -> Self:
        self._open = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._open = False
        try:
            self._close()
        except Exception as failed:  # a rollback on a lost connection, say
            found = storage_error(failed, in_unit_of_work=True)
            if found is None:
                raise
            raise found from failed
        if exc is not None:
            found = storage_error(exc, in_unit_of_work=True)
            if found is not None:
                raise found from exc

    def _close(self) -> None:
        session, self._session = self._session, None
        conn, self._connection = self._connection, None
        try:
            if session is not None:
                try:
                    session.rollback()
                finally:
                    session.close()
        finally:
            if conn is not None:
                try:
                    self._leave_no_transaction(conn)
                finally:
                    self._on_driver = False
                    self._in_transaction = None
                    self._savepoints = []
                    self.memo = TransactionMemo()
                    if self._kept is not None:
                        self._kept.give_back(conn)
                    else:
                        conn.close()

    def commit(self) -> None:
        self._end(commit=True)

    def rollback(self) -> None:
        self._end(commit=False)

    def _end(self, *, commit: bool) -> None:
        if not self._open:
            raise RuntimeError("use the unit of work inside `with uow:`")
        self.memo = TransactionMemo()
        if self._session is not None:  # flushes, and ends the transaction if it joined it
            self._session.commit() if commit else self._session.rollback()
        conn = self._connection
        if conn is not None and conn.in_transaction():
            conn.commit() if commit else conn.rollback()
        elif conn is not None and self._on_driver:
            # A COMMIT the database refuses (a deferred constraint) leaves the transaction
            # open: it stays ours to roll back, here or when the unit of work is left.
            self._finish_on_driver(conn, commit=commit)
        self._on_driver = False
        self._in_transaction = None
        self._savepoints = []

    def savepoint(self) -> _Savepoint:
        """`SAVEPOINT`: the block's writes are undone alone if it raises (workflows.ports).

        Sent on the driver inside the transaction (SQLite's `BEGIN IMMEDIATE` first, so no
        savepoint ever opens a deferred transaction; psycopg sends BEGIN itself). On an error,
        `ROLLBACK TO` it, the only way on in PostgreSQL after a failed statement, and the memo is
        forgotten: it may hold what the undone writes did, and each fact it drops is read again
        when next needed. The error leaves as starcert's own, as from the unit of work.
        """
        return _Savepoint(self)

    def _open_savepoint(self) -> int:
        """Named by its depth, `sp_1` for the outermost: the same few SQL texts every time, which
        the driver keeps prepared (a new name per savepoint was a new statement to compile)."""
        self._savepoint_serial += 1
        self._translated_on_driver(f"SAVEPOINT sp_{len(self._savepoints) + 1}")
        self._savepoints.append(self._savepoint_serial)
        return self._savepoint_serial

    def _close_savepoint(self, serial: int, *, undo: bool) -> None:
        """RELEASE it, after rolling back to it when `undo`; nothing if the transaction ended."""
        savepoints = self._savepoints
        if serial not in savepoints:
            return
        depth = savepoints.index(serial)
        del savepoints[depth:]
        name = f"sp_{depth + 1}"
        if undo:
            self.memo = TransactionMemo()
            if self._session is not None:
                self._session.expunge_all()  # rows it holds may be undone ones
            self._translated_on_driver(f"ROLLBACK TO SAVEPOINT {name}")
        self._translated_on_driver(f"RELEASE SAVEPOINT {name}")

    def _translated_on_driver(self, sql: str) -> None:
        try:
            self._on_the_driver(sql)
        except Exception as exc:
            reraise_translated(exc, in_unit_of_work=True)

    def _on_the_driver(self, sql: str) -> None:
        conn, driver, error = self._driver()
        try:
            driver.execute(sql)
        except error as exc:
            raise sqlalchemy_error(conn, driver, sql, exc) from exc

    def _leave_no_transaction(self, conn: Connection) -> None:
        """Roll back whatever is still open, so the connection goes back with no transaction.

        SQLAlchemy's transaction is rolled back even when a failed commit left it inactive
        (that sends no ROLLBACK), then the driver's own if it is still in one. A connection
        lost to the database is left alone: asking it anything would reconnect it.
        """
        if conn.get_transaction() is not None:
            conn.rollback()
        if conn.invalidated:
            return
        driver: Any = conn.connection.driver_connection
        if self._on_driver or getattr(driver, "in_transaction", False):  # the attribute: SQLite
            self._finish_on_driver(conn, commit=False)

    def _finish_on_driver(self, conn: Connection, *, commit: bool) -> None:
        found = self._in_transaction  # the driver as looked up when the transaction began
        driver: Any = (
            found[1]
            if found is not None and found[0] is conn
            else conn.connection.driver_connection
        )
        try:
            driver.commit() if commit else driver.rollback()
        except conn.dialect.loaded_dbapi.Error as exc:
            sql = "COMMIT" if commit else "ROLLBACK"
            raise sqlalchemy_error(conn, driver, sql, exc) from exc

    @property
    def session(self) -> Session:
        if not self._open:
            raise RuntimeError("use the unit of work inside `with uow:`")
        if self._session is None:
            self._session = Session(
                bind=self.connection,
                join_transaction_mode="control_fully",
                expire_on_commit=False,
                autoflush=False,
            )
        return self._session

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    # --- helpers for the repositories ----------------------------------------------------------

    def _connected(self) -> Connection:
        if not self._open:
            raise RuntimeError("use the unit of work inside `with uow:`")
        conn = self._connection
        if conn is None:
            kept = self._kept
            conn = self._connection = kept.lend() if kept is not None else self.engine.connect()
        return conn

    @property
    def connection(self) -> Connection:
        """The unit of work's connection, inside a SQLAlchemy transaction (begun if none is).

        A transaction already begun on the driver carries on as that one (storage.sql.engines).
        """
        conn = self._connected()
        if not conn.in_transaction():
            conn.begin()  # on SQLite: BEGIN IMMEDIATE (storage.sql.engines)
        return conn

    def _driver(self) -> tuple[Connection, Any, type[Exception]]:
        """The connection, its driver's and the driver's error type, inside a transaction.

        One begun on the driver if none is open: SQLAlchemy's begin and commit cost more than
        the statements of a SQLite transaction. psycopg begins one by itself at the first
        statement; SQLite is told BEGIN IMMEDIATE. Looked up once per transaction.
        """
        found = self._in_transaction
        if found is not None:
            return found
        conn = self._connected()
        driver: Any = conn.connection.driver_connection
        error: type[Exception] = conn.dialect.loaded_dbapi.Error
        if not conn.in_transaction():
            if self.dialect == "sqlite":
                try:
                    driver.execute("BEGIN IMMEDIATE")
                except error as exc:
                    raise sqlalchemy_error(conn, driver, "BEGIN IMMEDIATE", exc) from exc
            self._on_driver = True
        found = self._in_transaction = (conn, driver, error)
        return found

    def core(self, stmt: Any, params: dict[str, Any] | None = None) -> Any:
        """Execute a prebuilt Core statement (storage.statements) in the unit of work."""
        return self.connection.execute(stmt, params)

    def _run(self, prepared: st.Prepared, params: dict[str, Any]) -> tuple[Any, Any]:
        conn, driver, error = self._in_transaction or self._driver()
        compiled = prepared.compiled(conn.dialect)
        try:
            return compiled, driver.execute(compiled.sql, compiled.parameters(params))
        except error as exc:
            wrapped = sqlalchemy_error(conn, driver, compiled.sql, exc)
            if isinstance(wrapped, IntegrityError):
                if not self._savepoints:  # else rolled back to the savepoint, as it is left
                    self.rollback()  # on PostgreSQL a failed statement poisons the transaction
                raise_integrity(wrapped)
            raise wrapped from exc

    def fetch_one(self, prepared: st.Prepared, params: dict[str, Any]) -> Any:
        """The first row of a prepared SELECT (attribute access by column name), or None."""
        compiled, cursor = self._run(prepared, params)
        row = cursor.fetchone()
        return None if row is None else compiled.records([row])[0]

    def fetch_all(self, prepared: st.Prepared, params: dict[str, Any]) -> list[Any]:
        compiled, cursor = self._run(prepared, params)
        return list(compiled.records(cursor.fetchall()))

    def write(self, prepared: st.Prepared, params: dict[str, Any]) -> int:
        """Run a prepared UPDATE/DELETE; how many rows it matched."""
        return int(self._run(prepared, params)[1].rowcount)

    def insert_row(self, prepared: st.Prepared, values: dict[str, Any]) -> int:
        """Run a prepared INSERT of one row; its new id (RETURNING, or SQLite's lastrowid)."""
        compiled, cursor = self._run(prepared, values)
        new_id = cursor.fetchone()[0] if compiled.returns_id else cursor.lastrowid
        assert new_id is not None
        return int(new_id)

    def insert_rows(self, prepared: st.Prepared, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """Run a prepared multi-row INSERT ... RETURNING; the rows it returns, in no set order."""
        _compiled, cursor = self._run(prepared, params)
        return [tuple(row) for row in cursor.fetchall()]

    def rows(self, stmt: SelectOfScalar[R]) -> list[R]:
        """Fresh rows (never stale copies from the session's identity map)."""
        return list(self.session.exec(stmt.execution_options(populate_existing=True)).all())

    def first(self, stmt: SelectOfScalar[R]) -> R | None:
        found = self.rows(stmt.limit(1))
        return found[0] if found else None

    def insert(self, row: R) -> R:
        """INSERT now (so constraint errors surface here) and return the row with its id."""
        prepared = st.insert_of(st.table(type(row)))
        assert prepared.insert_columns is not None
        values = {name: getattr(row, name) for name in prepared.insert_columns}
        row.id = self.insert_row(prepared, values)
        return row

    def insert_values(self, row_class: type[SQLModel], values: dict[str, Any]) -> Any:
        """INSERT one row from its column values; the row as stored (attribute access, with id).

        Cheaper than `insert`: a SQLModel instance costs more to build than the INSERT itself.
        """
        row_table = st.table(row_class)
        new_id = self.insert_row(st.insert_of(row_table), values)
        self.memo.rows.add((row_table.name, new_id))
        return SimpleNamespace(id=new_id, **values)

    def exists(self, table: type[SQLModel], row_id: int) -> bool:
        """Rows are never deleted, so one seen in this transaction is not asked about again."""
        row_table = st.table(table)
        if (row_table.name, row_id) in self.memo.rows:
            return True
        if self.fetch_one(st.exists_by_id_p(row_table), {"b_id": row_id}) is None:
            return False
        self.memo.rows.add((row_table.name, row_id))
        return True

    def seen(self, table: type[SQLModel], row_id: int) -> None:
        """Note a row read in this transaction as existing (a later `exists` asks nothing)."""
        self.memo.rows.add((st.table(table).name, row_id))

    def exists_case(self, case_id: int) -> bool:
        """Cases are never deleted, so one seen in this transaction is not asked about again."""
        memo = self.memo
        if case_id in memo.cases:
            return True
        if self.exists(CaseRow, case_id):
            memo.cases.add(case_id)
            return True
        return False


class _Savepoint:
    """`with transaction.savepoint():` as a plain object: a firing runs in one, so the generator
    and the three error-translating blocks of a `contextmanager` showed in its cost."""

    __slots__ = ("_serial", "_transaction")

    def __init__(self, transaction: SqlTransaction) -> None:
        self._transaction = transaction
        self._serial = 0

    def __enter__(self) -> None:
        self._serial = self._transaction._open_savepoint()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._transaction._close_savepoint(self._serial, undo=exc is not None)
        if isinstance(exc, Exception):
            found = storage_error(exc, in_unit_of_work=True)
            if found is not None:
                raise found from exc
