"""How large a rule file may be, and reading a file no larger than that.

A rule file of a few tens of kilobytes says all a certification body needs; a version of 20 MB,
once published, made every command that parsed it take seconds. Files are refused over the
limit at check, test, diff, impact and publish, before they are read whole, so such a version
never reaches the database.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from engine.rule_errors import Problem, RuleFileError


@dataclass(frozen=True)
class FileCap:
    max_bytes: int
    setting: str  # where the limit is set, named in the hint of a refusal


def too_large(source: str, size: str, cap: FileCap) -> RuleFileError:
    return RuleFileError(
        [
            Problem(
                source,
                None,
                f"too large for a rule file: {size}, over the limit of {cap.max_bytes:,} bytes",
                f"split or shorten it, or raise {cap.setting}",
            )
        ]
    )


def check_size(data: bytes, source: str, cap: FileCap) -> None:
    if len(data) > cap.max_bytes:
        raise too_large(source, f"{len(data):,} bytes", cap)


def read_rule_file(path: Path, cap: FileCap | None) -> bytes:
    """The file's bytes, or RuleFileError naming it when it is over `cap` (then never read whole)
    or cannot be read."""
    try:
        with path.open("rb") as file:
            if cap is None:
                return file.read()
            size = os.fstat(file.fileno()).st_size
            if size > cap.max_bytes:
                raise too_large(str(path), f"{size:,} bytes", cap)
            data = file.read(cap.max_bytes + 1)  # a file growing, or not a plain file
    except OSError as exc:
        raise RuleFileError([Problem(str(path), None, f"cannot read: {exc.strerror}")]) from exc
    if len(data) > cap.max_bytes:
        raise too_large(str(path), f"more than {cap.max_bytes:,} bytes", cap)
    return data
