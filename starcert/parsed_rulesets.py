"""Rule versions as parsed, kept on disk by the sha256 of their text, so that a CLI command which
needs the rules does not parse the YAML again on every call (~40 ms a version).

One file per version: the RuleSet as the engine built it (pickle), named by the text's hash and
by a digest of the code that defines a RuleSet, so another starcert never reads what this one
wrote. The cache is trusted as the database beside it in the data directory is: files are
written readable by their owner alone, and one owned by someone else or writable by others is
never read. Anything wrong with a file (unreadable, another object, another hash) makes it a
miss: the text is parsed and the file written again.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import tempfile
from functools import cache
from pathlib import Path

from engine import RuleSet

_CODE = ("engine", "workflows/model.py", "workflows/errors.py")
"""What a pickled RuleSet is made of: the engine's classes and the domain's values in them."""


@cache
def code_digest() -> str:
    """A digest of the source of _CODE, as this process runs it."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for name in _CODE:
        path = root / name
        for source in sorted(path.glob("*.py")) if path.is_dir() else [path]:
            digest.update(source.name.encode())
            digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


class ParsedRulesets:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, text_hash: str) -> Path:
        return self.directory / f"{text_hash}-{code_digest()}.pickle"

    def get(self, text_hash: str) -> RuleSet | None:
        path = self._path(text_hash)
        try:
            with path.open("rb") as stream:
                found = os.fstat(stream.fileno())
                if found.st_uid != os.getuid() or found.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                    return None
                kept = pickle.load(stream)
        except Exception:  # missing, unreadable or not a pickle of this code: parse instead
            return None
        if not isinstance(kept, RuleSet) or kept.content_hash != text_hash:
            return None
        return kept

    def put(self, text_hash: str, ruleset: RuleSet) -> None:
        """Write it whole or not at all (a reader never sees half a file); a directory that
        cannot be written leaves the cache empty, never the command failed."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            handle, name = tempfile.mkstemp(dir=self.directory, suffix=".part")
            try:
                with os.fdopen(handle, "wb") as stream:  # mkstemp: readable by its owner alone
                    pickle.dump(ruleset, stream, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(name, self._path(text_hash))
            except BaseException:
                Path(name).unlink(missing_ok=True)
                raise
        except OSError:
            return
