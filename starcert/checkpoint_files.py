"""Checkpoints as JSON, for whoever keeps them outside the database, and the check of a kept file.

One format serves `starcert audit checkpoint --out`, `GET /checkpoints/latest` and
`starcert audit verify --checkpoints`: {"format", "keys": [...], "checkpoints": [...]}, each
checkpoint with its heads as [case id, seq, hash]. A file is checked in three steps, each
checkpoint in turn: its root recomputes from its heads, its key's signature holds, and today's
trail extends every head it recorded (workflows.checkpoints.first_rewritten).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from starcert.checkpoint_keys import signature_holds
from workflows.audit_trail import BrokenLink
from workflows.checkpoints import FORMAT, Checkpoint, Head, PublicKey, first_rewritten, root_of
from workflows.errors import InvalidInput
from workflows.model import Event


def key_json(key: PublicKey) -> dict[str, Any]:
    return {
        "key_id": key.key_id,
        "algorithm": "ed25519",
        "public_key": key.public_key,
        "created_at": key.created_at.isoformat(),
    }


def checkpoint_json(checkpoint: Checkpoint) -> dict[str, Any]:
    return {
        "key_id": checkpoint.key_id,
        "tree_size": checkpoint.tree_size,
        "root": checkpoint.root,
        "signed_at": checkpoint.signed_at.isoformat(),
        "signature": checkpoint.signature,
        "heads": [[h.case_id, h.seq, h.hash] for h in checkpoint.heads],
    }


def document(checkpoints: Sequence[Checkpoint], keys: Iterable[PublicKey]) -> dict[str, Any]:
    """The file: the checkpoints and the public keys that signed them (and only those)."""
    used = {c.key_id for c in checkpoints}
    return {
        "format": FORMAT,
        "keys": [key_json(k) for k in keys if k.key_id in used],
        "checkpoints": [checkpoint_json(c) for c in checkpoints],
    }


def read(path: Path) -> tuple[list[Checkpoint], dict[str, PublicKey]]:
    """The checkpoints and keys of a kept file; bad input names the file and the field."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput("--checkpoints", f"{path}: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput("--checkpoints", f"{path}: not JSON: {exc}") from None
    where = str(path)
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise InvalidInput(where, f"format: expected {FORMAT!r}")
    keys = {}
    for i, item in enumerate(_list(raw, "keys", where)):
        at = f"{where}: keys[{i}]"
        key = PublicKey(_str(item, "key_id", at), _str(item, "public_key", at), _at(item, at))
        keys[key.key_id] = key
    checkpoints = []
    for i, item in enumerate(_list(raw, "checkpoints", where)):
        at = f"{where}: checkpoints[{i}]"
        heads = []
        for j, head in enumerate(_list(item, "heads", at)):
            ok = isinstance(head, list) and len(head) == 3
            if not ok or not (_int(head[0]) and _int(head[1]) and isinstance(head[2], str)):
                raise InvalidInput(f"{at}.heads[{j}]", "expected [case id, seq, hash]")
            heads.append(Head(head[0], head[1], head[2]))
        size = item.get("tree_size")
        if not _int(size):
            raise InvalidInput(f"{at}.tree_size", "expected a whole number")
        checkpoints.append(
            Checkpoint(
                key_id=_str(item, "key_id", at),
                tree_size=size,
                root=_str(item, "root", at),
                signed_at=_at(item, at, "signed_at"),
                signature=_str(item, "signature", at),
                heads=tuple(heads),
            )
        )
    return checkpoints, keys


def _list(item: Any, name: str, at: str) -> list[Any]:
    value = item.get(name) if isinstance(item, dict) else None
    if not isinstance(value, list):
        raise InvalidInput(f"{at}.{name}" if ":" in at else f"{at}: {name}", "expected a list")
    return value


def _str(item: Any, name: str, at: str) -> str:
    value = item.get(name) if isinstance(item, dict) else None
    if not isinstance(value, str):
        raise InvalidInput(f"{at}.{name}", "expected text")
    return value


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _at(item: Any, at: str, name: str = "created_at") -> datetime:
    text = _str(item, name, at)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{at}.{name}", f"{text!r} is not an ISO instant") from None
    if when.tzinfo is None:
        raise InvalidInput(f"{at}.{name}", f"{text!r} has no UTC offset")
    return when


@dataclass(frozen=True)
class KeptCheck:
    """How a kept file's checkpoints stand against today's trail: the first that fails."""

    checked: int
    broken: BrokenLink | None
    checkpoint: int | None = None  # the failing checkpoint's place in the file (from 0)

    @property
    def ok(self) -> bool:
        return self.broken is None


def check(
    checkpoints: Sequence[Checkpoint],
    keys: dict[str, PublicKey],
    events_of: Callable[[int], Sequence[Event]],
) -> KeptCheck:
    """Each checkpoint: root, signature, then that today's trail extends it (each case's events
    read once, however many checkpoints name it)."""
    read: dict[int, Sequence[Event]] = {}

    def events(case_id: int) -> Sequence[Event]:
        if case_id not in read:
            read[case_id] = events_of(case_id)
        return read[case_id]

    for place, cp in enumerate(checkpoints):
        when = cp.signed_at.isoformat()
        try:
            root = root_of(cp.heads)
        except ValueError as exc:
            return KeptCheck(
                place, BrokenLink(0, 0, "heads", "one per case, in order", str(exc)), place
            )
        if root != cp.root or cp.tree_size != len(cp.heads):
            found = f"root {cp.root} over {cp.tree_size} heads"
            want = f"root {root} over the {len(cp.heads)} heads it lists (checkpoint of {when})"
            return KeptCheck(place, BrokenLink(0, 0, "root", want, found), place)
        key = keys.get(cp.key_id)
        if key is None or not signature_holds(cp, key):
            why = "no such key in the file" if key is None else "the signature does not verify"
            want = f"a signature by key {cp.key_id} (checkpoint of {when})"
            return KeptCheck(place, BrokenLink(0, 0, "signature", want, why), place)
        rewritten = first_rewritten(cp, events)
        if rewritten is not None:
            return KeptCheck(place, rewritten, place)
    return KeptCheck(len(checkpoints), None)
