"""The shared Shopify cost bucket: bulk callers (inventory, catalog) leave room for a document's calls
and wait while one is waiting. Interleavings are forced with a fake clock and a sleep that blocks on
events; nothing sleeps for real."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from integration.clients.shopify_bucket import BLOCKED_TICK_S, CostBucket, Priority


class Clock:
    """Time moves only when a caller "sleeps"."""

    def __init__(self) -> None:
        self.now = 0.0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        with self.lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds


def bucket(clock: Clock, sleep: Callable[[float], None], available: float) -> CostBucket:
    made = CostBucket(maximum=1000, restore_rate=50, clock=clock, sleep=sleep)
    made.observe(1000, available, 50)
    return made


def test_an_urgent_request_goes_when_its_cost_fits_a_bulk_one_waits_for_the_reserve() -> None:
    clock, slept = Clock(), []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds)

    shared = bucket(clock, sleep, available=300)
    assert shared.acquire(100, Priority.URGENT) == 0 and slept == []
    assert shared.available() == pytest.approx(200)
    # Bulk needs its cost plus half the bucket (600): 400 missing at 50/s.
    assert shared.acquire(100, Priority.BULK) == pytest.approx(8.0)
    assert slept == [pytest.approx(8.0)] and shared.available() == pytest.approx(500)


def test_a_bulk_caller_waiting_for_the_bucket_lets_an_urgent_one_go_first() -> None:
    clock = Clock()
    bulk_sleeping, let_bulk_wake = threading.Event(), threading.Event()
    order: list[str] = []

    def sleep(seconds: float) -> None:
        if threading.current_thread().name == "bulk" and not bulk_sleeping.is_set():
            bulk_sleeping.set()
            assert let_bulk_wake.wait(5)
        clock.advance(seconds)

    shared = bucket(clock, sleep, available=150)

    def bulk() -> None:
        shared.acquire(100, Priority.BULK)
        order.append("bulk")

    worker = threading.Thread(target=bulk, name="bulk")
    worker.start()
    assert bulk_sleeping.wait(5)  # the inventory push waits for the bucket to refill
    shared.acquire(100, Priority.URGENT)  # an order write-back arrives meanwhile: it goes at once
    order.append("urgent")
    let_bulk_wake.set()
    worker.join(5)
    assert order == ["urgent", "bulk"]


def test_bulk_waits_while_an_urgent_request_is_waiting_even_with_room_for_itself() -> None:
    clock = Clock()
    urgent_sleeping, let_urgent_wake, bulk_blocked = threading.Event(), threading.Event(), threading.Event()
    order: list[str] = []
    bulk_waits: list[float] = []

    def sleep(seconds: float) -> None:
        name = threading.current_thread().name
        if name == "urgent" and not urgent_sleeping.is_set():
            urgent_sleeping.set()
            assert let_urgent_wake.wait(5)
        elif name == "bulk" and not bulk_blocked.is_set():
            bulk_waits.append(seconds)
            bulk_blocked.set()
            assert let_urgent_wake.wait(5)
        clock.advance(seconds)

    # An urgent request of the bucket's whole size must wait; a small bulk one would fit otherwise.
    shared = bucket(clock, sleep, available=700)

    def run(name: str, cost: float, priority: Priority) -> threading.Thread:
        def body() -> None:
            shared.acquire(cost, priority)
            order.append(name)

        thread = threading.Thread(target=body, name=name)
        thread.start()
        return thread

    urgent = run("urgent", 1000, Priority.URGENT)
    assert urgent_sleeping.wait(5) and shared.urgent_waiting == 1
    bulk = run("bulk", 10, Priority.BULK)
    assert bulk_blocked.wait(5)  # 700 available, bulk needs 510: it still waits behind the urgent one
    assert order == [] and bulk_waits == [BLOCKED_TICK_S]
    let_urgent_wake.set()
    urgent.join(5)
    bulk.join(5)
    assert order == ["urgent", "bulk"] and shared.urgent_waiting == 0


def test_shopify_answers_replace_the_estimate() -> None:
    clock = Clock()
    shared = bucket(clock, clock.advance, available=1000)
    shared.acquire(400)
    shared.observe(2000, 1900, 100)
    assert shared.maximum == 2000 and shared.available() == pytest.approx(1900)
    assert shared.threshold(10, Priority.BULK) == pytest.approx(1010)
