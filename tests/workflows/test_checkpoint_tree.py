"""The Merkle root a checkpoint signs, the extension check, and which case fields verify holds."""

from __future__ import annotations

import hashlib
from dataclasses import fields, replace
from datetime import UTC, datetime

import pytest

from tests.workflows.test_audit_chain import chain
from workflows.audit_trail import seal
from workflows.case_replay import COMPARED, NOT_FROM_EVENTS
from workflows.checkpoints import Checkpoint, Head, first_rewritten, root_of
from workflows.merkle import leaf_hash, node_hash, tree_hash
from workflows.model import Case

RFC6962_LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                  "606162636465666768696a6b6c6d6e6f"]  # fmt: skip
RFC6962_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
"""Certificate Transparency's reference vectors for RFC 6962 tree hashes of 1..8 leaves."""


def test_the_root_is_rfc_6962s() -> None:
    leaves = [bytes.fromhex(x) for x in RFC6962_LEAVES]
    assert [tree_hash(leaves[:n]).hex() for n in range(1, 9)] == RFC6962_ROOTS
    assert tree_hash([]) == hashlib.sha256(b"").digest()


def _recursive(leaves: list[bytes]) -> bytes:
    """RFC 6962's own definition: split at the largest power of two below n."""
    if len(leaves) == 1:
        return leaf_hash(leaves[0])
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(_recursive(leaves[:k]), _recursive(leaves[k:]))


@pytest.mark.parametrize("n", range(1, 70))
def test_the_bottom_up_tree_is_the_recursive_definitions(n: int) -> None:
    leaves = [str(i).encode() for i in range(n)]
    assert tree_hash(leaves) == _recursive(leaves)


def test_heads_out_of_case_order_are_refused() -> None:
    with pytest.raises(ValueError, match="case id order"):
        root_of([Head(2, 1, "a"), Head(1, 1, "b")])
    with pytest.raises(ValueError, match="one per case"):
        root_of([Head(1, 1, "a"), Head(1, 2, "b")])


def _checkpoint(heads: list[Head]) -> Checkpoint:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    return Checkpoint("k" * 16, len(heads), root_of(heads), at, "", tuple(heads))


def test_a_trail_extends_a_checkpoint_until_its_history_is_rewritten() -> None:
    trails = {1: chain(1, 3), 2: chain(2, 4)}
    kept = _checkpoint([Head(1, 3, trails[1][2].hash), Head(2, 2, trails[2][1].hash)])
    assert first_rewritten(kept, trails.__getitem__) is None  # case 2 grew since: still extends
    rewritten = [seal(replace(trails[2][0], actor="mallory"), None)]  # hashes all recomputed
    for event in trails[2][1:]:
        rewritten.append(seal(event, rewritten[-1]))
    broken = first_rewritten(kept, {1: trails[1], 2: rewritten}.__getitem__)
    assert broken is not None and (broken.case_id, broken.seq, broken.field) == (2, 2, "checkpoint")
    short = first_rewritten(kept, {1: trails[1][:2], 2: trails[2]}.__getitem__)
    assert short is not None and short.case_id == 1 and "only 2 events" in short.found


def test_every_case_field_is_compared_or_listed_with_its_reason() -> None:
    names = {f.name for f in fields(Case)}
    assert set(COMPARED) | set(NOT_FROM_EVENTS) == names
    assert not set(COMPARED) & set(NOT_FROM_EVENTS)
    assert all(reason.strip() for reason in NOT_FROM_EVENTS.values())
