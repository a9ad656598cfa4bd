"""How the HTTP API guards itself: body size and the public lookup rate, fixed at start-up."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ApiSettings:
    max_body_bytes: int = 256 * 1024
    verify_rate_per_second: float = 5.0  # sustained public lookups per client address
    verify_burst: int = 30  # lookups a client may make at once before the rate applies
    page_limit_max: int = 500

    def __post_init__(self) -> None:
        if self.max_body_bytes < 1:
            raise ValueError("max_body_bytes must be at least 1")
        if self.verify_rate_per_second <= 0 or self.verify_burst < 1:
            raise ValueError("the verification rate and burst must be positive")
