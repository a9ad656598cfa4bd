"""The checkpoint signing key: an Ed25519 key file outside the database, and signing with it.

The private key is a PKCS#8 PEM file, 0600, at `[audit] key_file`; `starcert audit keygen`
makes it. Its public half goes into the database (`checkpoint_keys`) when it is made and
whenever it signs, so the public site can offer every key that ever signed: a rotated key's
checkpoints stay verifiable. A key file others may read is refused, as ssh refuses one.
"""

from __future__ import annotations

import hashlib
import os
import stat
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from workflows.checkpoints import Checkpoint, CheckpointStore, PublicKey, root_of, signed_text
from workflows.errors import InvalidInput

FIELD = "audit.key_file"


def key_id_of(raw_public: bytes) -> str:
    """First 16 hex digits of SHA-256 of the raw 32-byte public key."""
    return hashlib.sha256(raw_public).hexdigest()[:16]


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_of(private: Ed25519PrivateKey, now: datetime) -> PublicKey:
    raw = _raw(private.public_key())
    return PublicKey(key_id_of(raw), raw.hex(), now)


def generate(path: Path, now: datetime, *, rotate: bool = False) -> PublicKey:
    """A new key at `path` (0600). An existing key is replaced only with `rotate`; its public
    half stays in the database, so what it signed still verifies."""
    if path.exists() and not rotate:
        raise InvalidInput(
            FIELD, f"{path} already holds a key; `starcert audit keygen --rotate` replaces it"
        )
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fresh = path.with_name(path.name + ".new")
    fresh.unlink(missing_ok=True)
    fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
        out.flush()
        os.fsync(out.fileno())
    os.replace(fresh, path)
    return public_of(private, now)


def load(path: Path) -> Ed25519PrivateKey:
    """The private key at `path`; refused, saying how to make one, when there is none."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise InvalidInput(
            FIELD, f"no checkpoint key at {path}: make one with `starcert audit keygen`"
        ) from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InvalidInput(
            FIELD, f"{path} may be read by others (mode {stat.S_IMODE(mode):o}): chmod 600 {path}"
        )
    try:
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except ValueError as exc:
        raise InvalidInput(FIELD, f"{path} is not a PEM private key: {exc}") from None
    if not isinstance(private, Ed25519PrivateKey):
        raise InvalidInput(FIELD, f"{path} is not an Ed25519 key")
    return private


def sign(store: CheckpointStore, private: Ed25519PrivateKey, now: datetime) -> Checkpoint:
    """Sign the root over every case's chain head as it stands now, and keep the checkpoint."""
    key = public_of(private, now)
    store.add_key(key)
    heads = tuple(store.heads())
    root = root_of(heads)
    signature = private.sign(signed_text(key.key_id, len(heads), root, now))
    return store.add(Checkpoint(key.key_id, len(heads), root, now, signature.hex(), heads))


def signature_holds(checkpoint: Checkpoint, key: PublicKey) -> bool:
    """Does `key` (whose id must be its own hash) sign exactly this checkpoint?"""
    try:
        raw = bytes.fromhex(key.public_key)
        if key_id_of(raw) != key.key_id or key.key_id != checkpoint.key_id:
            return False
        Ed25519PublicKey.from_public_bytes(raw).verify(
            bytes.fromhex(checkpoint.signature), checkpoint.signed_text()
        )
    except (ValueError, InvalidSignature):
        return False
    return True


def sign_if_keyed(
    store: CheckpointStore, path: Path, now: datetime, *, unless_unchanged: bool = True
) -> Checkpoint | None:
    """What the daemon (periodically) and a rule publication (always) do: sign when a key is
    configured (its file exists); the daemon skips when no head moved since the latest
    checkpoint by the same key. No key: nothing, and no error (checkpoints are opt-in)."""
    if not path.exists():
        return None
    private = load(path)
    if unless_unchanged:
        latest = store.latest()
        key_id = public_of(private, now).key_id
        if latest is not None and latest.key_id == key_id and list(latest.heads) == store.heads():
            return None
    return sign(store, private, now)
