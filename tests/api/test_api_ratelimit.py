"""The token bucket on a hand-moved clock: burst, then the sustained rate, per client."""

from __future__ import annotations

from starcert.api.ratelimit import TokenBuckets, retry_after


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_client_bursts_then_gets_the_rate_and_others_are_unaffected() -> None:
    clock = Clock()
    buckets = TokenBuckets(rate=2, burst=3, clock=clock)
    assert [buckets.take("a") for _ in range(3)] == [0, 0, 0]
    wait = buckets.take("a")
    assert wait == 0.5 and retry_after(wait) == "1"
    assert buckets.take("b") == 0
    clock.now = 0.5
    assert buckets.take("a") == 0
    assert buckets.take("a") > 0


def test_the_table_of_clients_stays_bounded() -> None:
    clock = Clock()
    buckets = TokenBuckets(rate=1, burst=1, clock=clock, max_clients=10)
    for i in range(100):
        buckets.take(f"client-{i}")
        clock.now += 0.01
    assert len(buckets._buckets) <= 10
