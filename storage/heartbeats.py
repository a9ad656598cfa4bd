"""Daemon heartbeats: what each daemon last said, for `starcert status` and `health`.

One record per worker, replaced at each beat, in a short transaction of its own (operational
state, not part of any case's history). SQL: storage.sql.sql_heartbeats; memory:
storage.memory.memory_reads.
"""

from __future__ import annotations

from workflows.read_ports import Heartbeat
from workflows.read_ports import HeartbeatLog as Heartbeats

__all__ = ["Heartbeat", "Heartbeats"]
