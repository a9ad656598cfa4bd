"""`starcert ...` run inside the test process, as the console script runs it in its own.

The console script's own `main` runs (so its argument checks before typer run too), with the
arguments, STARCERT_* environment, working folder and stdin given, stdout and stderr captured
apart, and the exit code the process would have ended with: an unexpected exception is its
traceback on stderr and exit 1, as Python prints it. A database connection the command opened
and left open fails the test. Starting Python and importing starcert costs more than a second
a command; tests where the process itself is the point (kill -9, signals, races between
processes, `serve`, the installed console script) start real ones.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import sys
import traceback
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import typer.main
from sqlalchemy import event
from sqlalchemy.pool import Pool
from typer.testing import CliRunner

from starcert.cli import main

_built = functools.cache(typer.main.get_command)
"""Typer builds the click command tree of the whole CLI on every run (most of a short command's
time); a process builds it once, and so do the runs here."""


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


def run_starcert(
    args: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
) -> Ran:
    """`starcert *args` in folder `cwd`: the STARCERT_* variables are exactly those in `env`."""
    given = dict(env or {})
    unset: dict[str, str | None] = {k: None for k in os.environ if k.startswith("STARCERT_")}
    runner = CliRunner()
    argv, hook = sys.argv, sys.excepthook  # typer installs its own hook on every run
    with (
        _connections_closed(args),
        contextlib.chdir(cwd),
        _logging_kept(),
        mock.patch.object(typer.main, "get_command", _built),
        runner.isolation(input=stdin, env={**unset, **given}) as (out, err, _),
    ):
        sys.argv = ["starcert", *args]
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = _exit_code(exc.code)
        except Exception:
            traceback.print_exc()
            code = 1
        finally:
            sys.argv, sys.excepthook = argv, hook
            sys.stdout.flush()
            sys.stderr.flush()
        return Ran(code, _text(out.getvalue()), _text(err.getvalue()))


@contextlib.contextmanager
def _connections_closed(args: Sequence[str]) -> Iterator[None]:
    """Every database connection opened inside the block is closed by its end."""
    left: dict[int, str] = {}

    def opened(dbapi: object, _record: object) -> None:
        left[id(dbapi)] = repr(dbapi)

    def closed(dbapi: object, _record: object = None) -> None:
        left.pop(id(dbapi), None)

    hooks = [("connect", opened), ("close", closed), ("close_detached", closed)]
    for name, hook in hooks:
        event.listen(Pool, name, hook)
    try:
        yield
    finally:
        for name, hook in hooks:
            event.remove(Pool, name, hook)
    assert not left, f"starcert {' '.join(args)} left connections open: {list(left.values())}"


@contextlib.contextmanager
def _logging_kept() -> Iterator[None]:
    """Logging as it was before the command (`serve` sets it up for its process)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    known = logging.Logger.manager.loggerDict
    levels = {n: lg.level for n, lg in known.items() if isinstance(lg, logging.Logger)}
    try:
        yield
    finally:
        for handler in root.handlers:
            if handler not in handlers:
                handler.close()
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, logger in list(known.items()):
            if isinstance(logger, logging.Logger):
                logger.setLevel(levels.get(name, logging.NOTSET))


def _exit_code(code: object) -> int:
    """What `sys.exit(code)` ends a process with (a message goes to stderr, exit 1)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _text(data: bytes) -> str:
    return data.decode("utf-8")
