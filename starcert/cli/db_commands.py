"""`starcert db upgrade|current|backup|restore`: the database schema and its copies."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from starcert import views
from starcert.cli.command_kit import (
    fail,
    load,
    run,
)
from starcert.export import check_writable
from workflows.errors import InvalidInput, StorageError

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending schema migration."""
    from storage.database import current, upgrade

    def go() -> None:
        config = load()
        config.paths.data_dir.mkdir(parents=True, exist_ok=True)
        upgrade(config.database_url)
        typer.echo(
            f"database {views.safe_url(config.database_url)} at {current(config.database_url)}"
        )

    run(go)


@db_app.command("current")
def db_current() -> None:
    """Print the schema revision of the database."""
    from storage.database import DatabaseMissing, address, current

    def go() -> None:
        config = load()
        path = address(config.database_url).sqlite_file
        if path is not None and not path.exists():
            raise DatabaseMissing(path)
        typer.echo(current(config.database_url) or "empty (run: starcert db upgrade)")

    run(go)


@db_app.command("backup")
def db_backup(
    path: Annotated[Path, typer.Argument(help="file to write the copy to")],
    force: Annotated[bool, typer.Option("--force", help="replace the file if it exists")] = False,
) -> None:
    """Copy the SQLite database to PATH while the daemon runs (online and consistent); PATH's
    folder is made if it is not there.

    PostgreSQL is backed up with pg_dump; this says how.
    """
    from storage.database import DatabaseMissing, address, backup_sqlite

    def go() -> None:
        config = load()
        url = address(config.database_url)
        if url.libpq_url is not None:  # PostgreSQL, without the password (pg_dump asks)
            raise InvalidInput(
                "database_url",
                "db backup copies SQLite databases; back PostgreSQL up with pg_dump, e.g. "
                f"pg_dump --format=custom --file={path} "
                f"'{url.libpq_url}'",
            )
        source = url.sqlite_file
        if source is None:
            raise InvalidInput("database_url", "an in-memory database has nothing to back up")
        if not source.exists():
            raise DatabaseMissing(source)
        if _same_file(path, source):
            raise InvalidInput("PATH", f"{path} is the database itself")
        if path.exists() and not path.is_dir() and not force:
            raise InvalidInput("PATH", f"{path} exists: give --force to replace it")
        _make_folder(path.parent)
        check_writable(path, "PATH")
        try:
            size = backup_sqlite(source, path)
        except (StorageError, OSError) as exc:  # a full disk, a damaged database
            raise fail(1, f"backup to {path} failed, nothing written: {exc}") from None
        typer.echo(f"backup of {source} written to {path} ({size} bytes)")

    run(go)


def _make_folder(folder: Path) -> None:
    """The backup's folder, made if it is not there yet (`db backup backups/x.db` on a fresh
    install)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInput("PATH", f"cannot make the folder {folder}: {exc.strerror}") from None


def _same_file(path: Path, database: Path) -> bool:
    target = path.expanduser().resolve()
    live = database.resolve()
    return target in (live, live.with_name(live.name + "-wal"), live.with_name(live.name + "-shm"))


@db_app.command("restore")
def db_restore(
    backup: Annotated[Path, typer.Argument(metavar="BACKUP", help="a copy made by db backup")],
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="replace a database too damaged to show its daemons' heartbeats "
            "(a daemon heard from recently still refuses)",
        ),
    ] = False,
) -> None:
    """Replace the SQLite database with BACKUP, once it opens, is starcert's and verifies.

    Refused while a daemon runs on the database. The replaced file is kept beside it, as
    starcert.db.before-restore-<UTC time>. PostgreSQL is restored with pg_restore; this says how.
    """
    from starcert.cli.daemon_commands import _health_age
    from starcert.db_restore import refuse_running_daemons, restore_sqlite
    from starcert.wall_clock import SystemClock
    from storage.database import address

    def go() -> None:
        config = load()
        url = address(config.database_url)
        if url.libpq_url is not None:
            raise InvalidInput(
                "database_url",
                "db restore replaces SQLite databases; restore PostgreSQL with pg_restore, e.g. "
                f"pg_restore --clean --if-exists --no-owner --dbname='{url.libpq_url}' {backup}, "
                "then run starcert audit verify (docs/operations.md, Backups)",
            )
        live = url.sqlite_file
        if live is None:
            raise InvalidInput("database_url", "an in-memory database has nothing to restore")
        if not backup.is_file():
            raise InvalidInput("BACKUP", f"{backup}: no such file")
        if _same_file(backup, live):
            raise InvalidInput("BACKUP", f"{backup} is the database itself")
        now = SystemClock().now()
        if live.exists():
            refuse_running_daemons(config.database_url, now, _health_age(config), force=force)
        live.parent.mkdir(parents=True, exist_ok=True)
        for line in restore_sqlite(backup, live, now):
            typer.echo(line)

    run(go)
