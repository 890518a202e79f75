"""In-process quote cache (TTL, bounded) and single-flight (concurrent identical requests share
one FedEx call). One Functions worker process serves many checkouts, so this already removes
most repeat calls; ``shared_cache.py`` adds an optional Redis behind it (``REDIS_URL``).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable


class TTLCache[T]:
    def __init__(self, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self._items: OrderedDict[str, tuple[float, T]] = OrderedDict()
        self._max, self._clock = max_entries, clock

    def get(self, key: str) -> T | None:
        item = self._items.get(key)
        if item is None:
            return None
        expires, value = item
        if self._clock() >= expires:
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return value

    def set(self, key: str, value: T, ttl_s: float) -> None:
        if ttl_s <= 0:
            return
        self._items[key] = (self._clock() + ttl_s, value)
        self._items.move_to_end(key)
        while len(self._items) > self._max:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


class SingleFlight[T]:
    """``run(key, fn)``: the first caller starts ``fn`` as a task; callers with the same key while it
    runs await the same task. The task is shielded, so a caller giving up at its deadline does not
    cancel the call for the others (and a late answer still fills the cache)."""

    def __init__(self) -> None:
        self._running: dict[str, asyncio.Task[T]] = {}
        self.coalesced = 0

    @property
    def in_flight(self) -> int:
        return len(self._running)

    def task(self, key: str, fn: Callable[[], Awaitable[T]]) -> asyncio.Task[T]:
        running = self._running.get(key)
        if running is not None:
            self.coalesced += 1
            return running

        async def call() -> T:
            try:
                return await fn()
            finally:
                self._running.pop(key, None)

        task = asyncio.ensure_future(call())
        self._running[key] = task
        # Retrieve a failure nobody awaited (every caller timed out) so asyncio does not log it.
        task.add_done_callback(lambda t: t.cancelled() or t.exception())
        return task
