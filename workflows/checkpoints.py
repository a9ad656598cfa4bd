"""Signed checkpoints: a Merkle root over every case's chain head, as a signed tree head.

A hash chain alone has no secret: whoever can write the database can rewrite an event and
recompute every hash after it. A checkpoint records each case's head (case id, seq, hash) at
one moment, the RFC 6962 root over them in case id order, and the daemon's Ed25519 signature
over that root (the key lives outside the database). Whoever kept a checkpoint can later prove
today's trail extends it: each recorded head is still the event at that seq, its hash
recomputed from today's events. The signing itself is in starcert (it reads the key file);
what is signed, the leaves and the extension check are here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from workflows.audit_trail import BrokenLink, first_broken
from workflows.merkle import tree_hash
from workflows.model import Event

FORMAT = "starcert-checkpoint/1"
"""Carried by every signed text and every exported file: what the bytes mean."""


@dataclass(frozen=True)
class Head:
    """One leaf: a case's newest event when the checkpoint was made."""

    case_id: int
    seq: int
    hash: str

    def leaf(self) -> bytes:
        return f"{self.case_id}:{self.seq}:{self.hash}".encode("ascii")


@dataclass(frozen=True)
class PublicKey:
    """A checkpoint key's public half, kept for as long as a checkpoint it signed is kept."""

    key_id: str  # first 16 hex digits of SHA-256 of the raw 32-byte public key
    public_key: str  # the raw public key, hex
    created_at: datetime


@dataclass(frozen=True)
class Checkpoint:
    """A signed tree head: the root over `heads`, signed by key `key_id` at `signed_at`."""

    key_id: str
    tree_size: int
    root: str  # hex
    signed_at: datetime
    signature: str  # Ed25519 over `signed_text`, hex
    heads: tuple[Head, ...]
    id: int | None = None

    def signed_text(self) -> bytes:
        return signed_text(self.key_id, self.tree_size, self.root, self.signed_at)


def signed_text(key_id: str, tree_size: int, root: str, signed_at: datetime) -> bytes:
    """The exact bytes a checkpoint's signature covers (heads enter through the root)."""
    at = signed_at.astimezone(UTC).isoformat()
    return f"{FORMAT}\n{key_id}\n{tree_size}\n{root}\n{at}\n".encode("ascii")


def root_of(heads: Sequence[Head]) -> str:
    """The RFC 6962 root over heads in case id order (refused when not in that order)."""
    ids = [h.case_id for h in heads]
    if ids != sorted(set(ids)):
        raise ValueError("checkpoint heads must be one per case, in case id order")
    return tree_hash([h.leaf() for h in heads]).hex()


class CheckpointStore(Protocol):
    """Where checkpoints and the public keys that signed them are kept (storage implements)."""

    def heads(self) -> list[Head]:
        """Every case's current chain head, in case id order (cases with events only)."""
        ...

    def add(self, checkpoint: Checkpoint) -> Checkpoint: ...
    def all(self) -> list[Checkpoint]:
        """Every stored checkpoint, oldest first."""
        ...

    def latest(self) -> Checkpoint | None: ...
    def add_key(self, key: PublicKey) -> None:
        """Keep a public key (one already kept is left as it is)."""
        ...

    def keys(self) -> list[PublicKey]: ...


def first_rewritten(
    checkpoint: Checkpoint, events_of: Callable[[int], Sequence[Event]]
) -> BrokenLink | None:
    """The first head of `checkpoint` (in case id order) today's trail no longer extends.

    Each case's events up to the head's seq are re-hashed (the stored hashes and the heads
    table are not trusted) and the event at that seq must hash to the recorded head's hash.
    """
    for head in checkpoint.heads:
        events = list(events_of(head.case_id))
        if len(events) < head.seq:
            return BrokenLink(
                head.case_id, head.seq, "checkpoint", f"event {head.seq} with hash {head.hash}",
                f"only {len(events)} events today",
            )  # fmt: skip
        kept = events[: head.seq]
        broken = first_broken(kept)
        if broken is not None:
            return broken
        if kept[-1].hash != head.hash:
            return BrokenLink(
                head.case_id, head.seq, "checkpoint",
                f"hash {head.hash} (checkpoint of {checkpoint.signed_at.isoformat()})",
                f"{kept[-1].hash}: history rewritten",
            )  # fmt: skip
    return None
