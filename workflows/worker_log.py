"""What a worker tells its operator: one JSON object per line, stamped with its clock's time."""

from __future__ import annotations

import json
import logging
from typing import Any

from workflows.ports import Clock


class JsonLog:
    """`log(level, event, **fields)` writes {"ts": ..., "event": event, **fields} on one line."""

    def __init__(self, clock: Clock, logger: str = "starcert.daemon") -> None:
        self.clock = clock
        self.logger = logging.getLogger(logger)

    def __call__(self, level: int, event: str, **fields: Any) -> None:
        record = {"ts": self.clock.now().isoformat(), "event": event, **fields}
        self.logger.log(level, json.dumps(record, ensure_ascii=False, default=str))
