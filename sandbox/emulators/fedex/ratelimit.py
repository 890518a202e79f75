"""FedEx's per-project rate limit and daily quota (reference §2.9).

"Each project has a transaction rate limit of 1400 transactions in the span of 10 seconds": a
fixed window that starts with the first request; once the limit is used, every request gets 429
until the window ends, then a new window starts. The daily quota resets at 00:00 GMT.
The exact FedEx 429 body is undocumented (reference §7), so the code here is an assumption; the
``Retry-After`` header (seconds to the end of the window) is one too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sandbox.emulators.fedex.config import FedexEmulatorConfig
from sandbox.emulators.fedex.errors import FedexError

DAY = 86400


@dataclass
class RateLimiter:
    window_start: float | None = None
    window_count: int = 0
    day: int | None = None
    day_count: int = 0
    rejected: int = 0

    def admit(self, config: FedexEmulatorConfig) -> None:
        now = config.clock()
        today = int(now // DAY)
        if self.day != today:
            self.day, self.day_count = today, 0
        if config.daily_quota is not None and self.day_count >= config.daily_quota:
            self.rejected += 1
            raise FedexError(
                429, "DAILY.QUOTA.EXCEEDED", headers={"Retry-After": str(int((today + 1) * DAY - now) + 1)}
            )
        if config.rate_limit is not None:
            if self.window_start is None or now - self.window_start >= config.rate_window_s:
                self.window_start, self.window_count = now, 0
            if self.window_count >= config.rate_limit:
                self.rejected += 1
                left = self.window_start + config.rate_window_s - now
                raise FedexError(429, "TOO.MANY.REQUESTS", headers={"Retry-After": str(max(1, math.ceil(left)))})
            self.window_count += 1
        self.day_count += 1
