"""Signed checkpoints and their public keys in `checkpoints` and `checkpoint_keys`.

Kept apart from the unit of work, as heartbeats are: a checkpoint is written in a short
transaction of its own, after the heads it covers were read from the cases' head columns.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from storage.formats import utc
from storage.sql.sql_errors import translated
from storage.sql.tables import CaseRow, CheckpointKeyRow, CheckpointRow
from workflows.checkpoints import Checkpoint, Head, PublicKey


class SqlCheckpoints:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def heads(self) -> list[Head]:
        with translated(), Session(self.engine) as session:
            rows = session.exec(
                select(CaseRow.id, CaseRow.head_seq, CaseRow.head_hash)
                .where(col(CaseRow.head_seq) > 0)
                .order_by(col(CaseRow.id))
            )
            return [Head(int(cid or 0), seq, digest) for cid, seq, digest in rows]

    def add(self, checkpoint: Checkpoint) -> Checkpoint:
        row = CheckpointRow(
            key_id=checkpoint.key_id,
            tree_size=checkpoint.tree_size,
            root=checkpoint.root,
            signed_at=utc(checkpoint.signed_at, "signed_at"),
            signature=checkpoint.signature,
            heads=[[h.case_id, h.seq, h.hash] for h in checkpoint.heads],
        )
        with translated(), Session(self.engine) as session:
            session.add(row)
            session.commit()
            return _checkpoint(row)

    def all(self) -> list[Checkpoint]:
        with translated(), Session(self.engine) as session:
            rows = session.exec(select(CheckpointRow).order_by(col(CheckpointRow.id)))
            return [_checkpoint(r) for r in rows]

    def latest(self) -> Checkpoint | None:
        with translated(), Session(self.engine) as session:
            row = session.exec(
                select(CheckpointRow).order_by(col(CheckpointRow.id).desc()).limit(1)
            ).first()
            return None if row is None else _checkpoint(row)

    def add_key(self, key: PublicKey) -> None:
        with translated(), Session(self.engine) as session:
            if session.get(CheckpointKeyRow, key.key_id) is None:
                session.add(
                    CheckpointKeyRow(
                        key_id=key.key_id,
                        public_key=key.public_key,
                        created_at=utc(key.created_at, "created_at"),
                    )
                )
                session.commit()

    def keys(self) -> list[PublicKey]:
        with translated(), Session(self.engine) as session:
            rows = session.exec(
                select(CheckpointKeyRow).order_by(
                    col(CheckpointKeyRow.created_at), col(CheckpointKeyRow.key_id)
                )
            )
            return [PublicKey(r.key_id, r.public_key, r.created_at) for r in rows]


def _checkpoint(row: CheckpointRow) -> Checkpoint:
    return Checkpoint(
        key_id=row.key_id,
        tree_size=row.tree_size,
        root=row.root,
        signed_at=row.signed_at,
        signature=row.signature,
        heads=tuple(Head(int(c), int(s), str(h)) for c, s, h in row.heads),
        id=row.id,
    )
