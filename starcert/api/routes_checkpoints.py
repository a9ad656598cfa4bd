"""Public, anonymous, read-only: the latest signed checkpoint and the keys that sign them.

What an outsider keeps to hold the certification body to its history: save
`/checkpoints/latest` now, and later `starcert audit verify --checkpoints FILE` (or any RFC 6962
and Ed25519 implementation) shows whether today's trail still extends it. Nothing private here:
public keys, roots, signatures and chain heads (case id, seq, hash) only.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from starcert import checkpoint_files
from starcert.api.auth import application_of
from starcert.api.error_responses import ERROR_RESPONSES, ApiError
from starcert.api.routes_public import limit_lookups
from workflows.checkpoints import FORMAT

router = APIRouter(responses=ERROR_RESPONSES, tags=["public"])


class CheckpointKey(BaseModel):
    key_id: str
    algorithm: str
    public_key: str
    created_at: str


class SignedCheckpoint(BaseModel):
    key_id: str
    tree_size: int
    root: str
    signed_at: str
    signature: str
    heads: list[tuple[int, int, str]]


class CheckpointFile(BaseModel):
    format: str
    keys: list[CheckpointKey]
    checkpoints: list[SignedCheckpoint]


class CheckpointKeys(BaseModel):
    format: str
    keys: list[CheckpointKey]


@router.get("/checkpoints/latest", response_model=CheckpointFile)
async def latest_checkpoint(request: Request) -> CheckpointFile:
    """The newest signed checkpoint with its heads and its key, as a file to keep (rate
    limited as lookups are: it lists every case's head)."""
    await limit_lookups(request)
    return await run_in_threadpool(_latest, request)


def _latest(request: Request) -> CheckpointFile:
    store = application_of(request).database.checkpoints
    latest = store.latest()
    if latest is None:
        raise ApiError(404, "not_found", "no checkpoint has been signed yet")
    return CheckpointFile.model_validate(checkpoint_files.document([latest], store.keys()))


@router.get("/checkpoints/keys", response_model=CheckpointKeys)
def checkpoint_keys(request: Request) -> CheckpointKeys:
    """Every public key that ever signed a checkpoint (rotated ones too), oldest first."""
    keys = application_of(request).database.checkpoints.keys()
    return CheckpointKeys.model_validate(
        {"format": FORMAT, "keys": [checkpoint_files.key_json(k) for k in keys]}
    )
