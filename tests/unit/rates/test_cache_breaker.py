"""TTL cache, single-flight and circuit breaker with hand-moved clocks."""

from __future__ import annotations

import asyncio

import pytest

from integration.rates.breaker import CircuitBreaker
from integration.rates.cache import SingleFlight, TTLCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_ttl_cache_expires_and_is_bounded() -> None:
    clock = Clock()
    cache: TTLCache[int] = TTLCache(max_entries=2, clock=clock)
    cache.set("a", 1, 10)
    cache.set("zero", 0, 0)  # ttl 0: not cached
    assert cache.get("a") == 1 and cache.get("zero") is None
    clock.now = 10
    assert cache.get("a") is None
    cache.set("a", 1, 10)
    cache.set("b", 2, 10)
    cache.get("a")  # a is now the most recent
    cache.set("c", 3, 10)
    assert (cache.get("a"), cache.get("b"), cache.get("c"), len(cache)) == (1, None, 3, 2)


async def test_single_flight_shares_one_call_and_forgets_it_afterwards() -> None:
    flights: SingleFlight[int] = SingleFlight()
    calls = []
    gate = asyncio.Event()

    async def work() -> int:
        calls.append(1)
        await gate.wait()
        return 42

    tasks = [flights.task("k", work) for _ in range(5)]
    gate.set()
    assert await asyncio.gather(*tasks) == [42] * 5
    assert (len(calls), flights.coalesced) == (1, 4)
    assert await flights.task("k", work) == 42 and len(calls) == 2


async def test_single_flight_failure_reaches_every_waiter() -> None:
    flights: SingleFlight[int] = SingleFlight()

    async def boom() -> int:
        await asyncio.sleep(0)
        raise RuntimeError("down")

    tasks = [flights.task("k", boom) for _ in range(3)]
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)


def test_breaker_opens_half_opens_and_closes() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=3, cool_down_s=30, clock=clock)
    for _ in range(2):
        assert breaker.allow()
        breaker.failure()
    assert breaker.state == "closed"
    breaker.failure()
    assert breaker.state == "open" and not breaker.allow()
    clock.now = 30
    assert breaker.state == "half-open"
    assert breaker.allow() and not breaker.allow()  # one trial at a time
    breaker.failure()
    assert breaker.state == "open"
    clock.now = 60
    assert breaker.allow()
    breaker.success()
    assert breaker.state == "closed" and breaker.allow()


@pytest.mark.parametrize("successes", [0, 1])
def test_success_resets_the_failure_count(successes: int) -> None:
    breaker = CircuitBreaker(threshold=2)
    breaker.failure()
    for _ in range(successes):
        breaker.success()
    breaker.failure()
    assert breaker.state == ("open" if successes == 0 else "closed")
