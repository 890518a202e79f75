"""A small circuit breaker for FedEx: after ``threshold`` consecutive failures, skip FedEx for
``cool_down_s`` and answer with fallback rates at once (no checkout waits for a dead upstream);
then let one trial call through (half-open): success closes the circuit, failure opens it again.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class CircuitBreaker:
    def __init__(
        self, threshold: int = 5, cool_down_s: float = 30.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.threshold, self.cool_down_s, self._clock = threshold, cool_down_s, clock
        self.failures = 0
        self.opened_at: float | None = None
        self._trial_running = False

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "half-open" if self._clock() - self.opened_at >= self.cool_down_s else "open"

    def allow(self) -> bool:
        state = self.state
        if state == "closed":
            return True
        if state == "half-open" and not self._trial_running:
            self._trial_running = True
            return True
        return False

    def success(self) -> None:
        self.failures, self.opened_at, self._trial_running = 0, None, False

    def failure(self) -> None:
        self.failures += 1
        if self._trial_running or self.failures >= self.threshold:
            self.opened_at = self._clock()
        self._trial_running = False
