"""Named injection points, so tests can force an interleaving deterministically.

A flow calls ``hooks.reached("order.created_in_fo", order_id)`` at the points where another delivery
could interleave; production code registers nothing (a no-op). A race test registers a callback that
blocks on a barrier or event until the other delivery has run, so the interleaving is forced, never
left to sleeps and timing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

Callback = Callable[[str], None]


class Hooks:
    def __init__(self) -> None:
        self._callbacks: dict[str, list[Callback]] = {}
        self._lock = threading.Lock()

    def on(self, point: str, callback: Callback) -> None:
        with self._lock:
            self._callbacks.setdefault(point, []).append(callback)

    def clear(self) -> None:
        with self._lock:
            self._callbacks.clear()

    def reached(self, point: str, key: str = "") -> None:
        with self._lock:
            callbacks = list(self._callbacks.get(point, ()))
        for callback in callbacks:
            callback(key)
