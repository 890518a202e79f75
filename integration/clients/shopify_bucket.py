"""Shopify's GraphQL cost bucket, shared by every flow of a worker, with priorities.

Shopify rate-limits the Admin GraphQL API per app and shop with one leaky bucket of query cost
(``extensions.cost.throttleStatus``: ``maximumAvailable``, ``currentlyAvailable``, ``restoreRate``).
All flows of a worker spend from that one bucket, so they pace against one :class:`CostBucket`
(``integration.bootstrap`` gives every flow a view of the same ``ShopifyAdmin``).

Two priorities:

* ``Priority.URGENT`` (the default): a document's own calls, such as order write-back, fulfillments,
  refund and order reads. It waits only until its expected cost fits.
* ``Priority.BULK``: inventory and catalog pushes, which spend a lot and can wait. A bulk request also
  leaves ``bulk_reserve`` of the bucket's maximum untouched for urgent ones, and waits while any urgent
  request is waiting, so a throttled inventory push never delays order write-back.

The bucket takes a request's expected cost as it is sent (several threads do not all spend the same
credit); the next answer's ``throttleStatus`` replaces the estimate with Shopify's figures.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from enum import IntEnum

DEFAULT_MAXIMUM = 1000.0  # Shopify's standard plan; the first answer tells the real figures
DEFAULT_RESTORE_RATE = 50.0
BULK_RESERVE = 0.5  # share of the maximum that bulk callers leave for urgent ones
BLOCKED_TICK_S = 0.25  # how long a bulk caller waits while an urgent one is waiting, before it looks again
EPSILON = 1e-6  # cost units: a refill computed a rounding error short counts as full


class Priority(IntEnum):
    BULK = 0
    URGENT = 1


class CostBucket:
    def __init__(
        self,
        *,
        maximum: float = DEFAULT_MAXIMUM,
        restore_rate: float = DEFAULT_RESTORE_RATE,
        bulk_reserve: float = BULK_RESERVE,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.clock, self.sleep = clock, sleep
        self.bulk_reserve = bulk_reserve
        self._lock = threading.Lock()
        self._maximum, self._available, self._restore_rate = maximum, maximum, restore_rate
        self._seen_at = clock()
        self._urgent_waiting = 0

    @property
    def maximum(self) -> float:
        return self._maximum

    @property
    def urgent_waiting(self) -> int:
        return self._urgent_waiting

    def available(self) -> float:
        with self._lock:
            return self._now_available()

    def _now_available(self) -> float:
        return min(self._maximum, self._available + (self.clock() - self._seen_at) * self._restore_rate)

    def threshold(self, cost: float, priority: Priority) -> float:
        """What must be in the bucket before a request of this cost and priority is sent."""
        need = min(cost, self._maximum)
        if priority is Priority.BULK:
            need = min(self._maximum, need + self.bulk_reserve * self._maximum)
        return need

    def observe(self, maximum: float, available: float, restore_rate: float) -> None:
        """Shopify's ``throttleStatus`` from an answer: the bucket as Shopify sees it now."""
        with self._lock:
            self._maximum, self._available, self._restore_rate = maximum, available, restore_rate
            self._seen_at = self.clock()

    def acquire(self, cost: float, priority: Priority = Priority.URGENT) -> float:
        """Wait until a request of ``cost`` may be sent at ``priority``, take its cost from the bucket and
        return the seconds waited."""
        waited = 0.0
        registered = False
        try:
            while True:
                with self._lock:
                    available = self._now_available()
                    need = self.threshold(cost, priority)
                    blocked = priority is Priority.BULK and self._urgent_waiting > 0
                    if not blocked and available + EPSILON >= need:
                        self._available, self._seen_at = available - min(cost, self._maximum), self.clock()
                        return waited
                    if priority is Priority.URGENT and not registered:
                        self._urgent_waiting += 1
                        registered = True
                    rate = self._restore_rate
                    wait = (need - available) / rate if rate > 0 else 1.0
                    if blocked:
                        wait = max(wait, BLOCKED_TICK_S)
                self.sleep(wait)
                waited += wait
        finally:
            if registered:
                with self._lock:
                    self._urgent_waiting -= 1
