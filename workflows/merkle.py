"""RFC 6962 Merkle tree hash (Certificate Transparency's): one root over a list of leaves.

A leaf is hashed as SHA-256(0x00 || leaf) and an inner node as SHA-256(0x01 || left || right),
so no leaf can pass for a node; a tree of n leaves splits at the largest power of two below n;
the empty tree's hash is SHA-256 of nothing (RFC 6962, section 2.1).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

LEAF = b"\x00"
NODE = b"\x01"


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(LEAF + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE + left + right).digest()


def tree_hash(leaves: Sequence[bytes]) -> bytes:
    """MTH(leaves) of RFC 6962, built bottom-up: the same tree as its recursive definition
    (an odd node at a level is carried up unpaired), without recursion on large registers."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    level = [leaf_hash(leaf) for leaf in leaves]
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]
