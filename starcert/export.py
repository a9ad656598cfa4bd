"""The certificate register as CSV: safe to open in a spreadsheet, written whole or not at all.

- A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return would be run as a formula
  by Excel or LibreOffice (an organisation named `=HYPERLINK(...)`): it gets a leading single
  quote, as OWASP recommends against CSV injection. Only the CSV does; JSON keeps the stored text.
- A file (`export --out`, the API's download) starts with a UTF-8 byte order mark by default, so
  Excel reads Chinese names as UTF-8 instead of the local code page; other CSV readers take it as
  the UTF-8 signature (`utf-8-sig`). `write_register_csv` writes the mark, so every copy of the
  register is the same bytes.
- A file is written beside its target and renamed over it once complete, so a failure (no
  database, a full disk) leaves an existing register as it was. Its folder is checked first, so a
  path that cannot be written is refused before any work is done.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import IO

from starcert import views
from starcert.views import REGISTER_FIELDS
from workflows.errors import InvalidInput, StarcertError
from workflows.read_ports import ReadingUnitOfWork

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula (OWASP, CSV injection)."""
BOM = "\ufeff"


class ExportFailed(StarcertError):
    """The file could not be written in full (a full disk, for one); nothing was replaced."""


def neutralise(value: str) -> str:
    """`value` as a spreadsheet shows it as text, never runs it."""
    return "'" + value if value.startswith(FORMULA_START) else value


def register_rows(uow_factory: Callable[[], ReadingUnitOfWork]) -> list[dict[str, str]]:
    """The certificate register (IAF CertSearch field names), holders' codes included."""
    with uow_factory() as uow:
        return [
            views.register_row(e.case, e.organisation, e.first_issued_on)
            for e in uow.reads.register()
        ]


def write_register_csv(
    rows: Iterable[Mapping[str, str]], stream: IO[str], *, bom: bool = False
) -> None:
    """Register rows (register_rows) as CSV with the IAF CertSearch field names; with `bom`,
    after the UTF-8 byte order mark Excel needs."""
    if bom:
        stream.write(BOM)
    writer = csv.DictWriter(stream, fieldnames=REGISTER_FIELDS)
    writer.writeheader()
    writer.writerows({k: neutralise(v) for k, v in row.items()} for row in rows)


def check_writable(path: Path, option: str) -> None:
    """Refuse, naming `option` and the path, a file that could not be written."""
    folder = path.parent
    if path.is_dir():
        raise InvalidInput(option, f"{path} is a folder, not a file")
    if not folder.is_dir():
        raise InvalidInput(option, f"cannot write {path}: there is no folder {folder}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InvalidInput(option, f"cannot write {path}: the folder {folder} is not writable")
    if path.exists() and not os.access(path, os.W_OK):
        raise InvalidInput(option, f"cannot write {path}: the file is read-only")


def register_csv(rows: Iterable[Mapping[str, str]]) -> bytes:
    """The register as the bytes of a CSV file, byte order mark first (what `export --out`
    writes): the API's download."""
    out = io.StringIO(newline="")
    write_register_csv(rows, out, bom=True)
    return out.getvalue().encode("utf-8")


def write_file(path: Path, write: Callable[[IO[str]], None], option: str) -> None:
    """Run `write` on a new UTF-8 file at `path`: all of it lands there, or nothing changes."""
    check_writable(path, option)
    try:
        fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    except OSError as exc:
        raise InvalidInput(option, f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as stream:
            write(stream)
        os.chmod(partial, _mode_for(path))
        os.replace(partial, path)
    except BaseException as exc:
        Path(partial).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise ExportFailed(f"cannot write {path}: {exc.strerror or exc}") from None
        raise


def _mode_for(path: Path) -> int:
    """An existing file's permissions, else those a plainly created file would get."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask
