"""A progress bar on the terminal for work that may take seconds (simulate, rules impact, export,
plan).

Shown on stderr only when a person is watching: stdout and stderr both terminals and the output
not --json. Piped, redirected or machine-read output stays exactly what it was. rich (a
dependency of typer) draws it, and is imported only when a bar is shown.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def wanted(as_json: bool, asked: bool | None = None) -> bool:
    """Whether to show one: as asked (--progress/--no-progress), else when a person watches."""
    if asked is not None:
        return asked
    return not as_json and sys.stdout.isatty() and sys.stderr.isatty()


class Bar:
    """One bar per step, each named by what it does; `update` and `advance` move them."""

    def __init__(self, progress: Any = None) -> None:
        self._progress = progress  # rich.progress.Progress, or None: nothing shown
        self._tasks: dict[str, Any] = {}

    def _task(self, what: str, total: int | None) -> Any:
        if what not in self._tasks:
            self._tasks[what] = self._progress.add_task(what, total=total)
        return self._tasks[what]

    def update(self, what: str, done: int, total: int | None) -> None:
        if self._progress is not None:
            self._progress.update(self._task(what, total), completed=done, total=total)

    def advance(self, what: str, n: int, total: int | None = None) -> None:
        if self._progress is not None:
            self._progress.advance(self._task(what, total), n)


@contextmanager
def progress_bar(show: bool) -> Iterator[Bar]:
    """A Bar drawn on stderr while the block runs and cleared after it; with show False, one
    that draws nothing."""
    if not show:
        yield Bar()
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(transient=True, console=Console(stderr=True)) as progress:
        yield Bar(progress)
