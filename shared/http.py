"""The outbound HTTP policy every client shares: explicit timeouts, retries of 408/429/5xx and of
transport failures with exponential backoff and jitter, ``Retry-After`` honoured, other 4xx never
retried. Errors are classified once, here, into transient or not."""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})
TRANSPORT_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)


@dataclass
class RetryPolicy:
    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 20.0
    max_retry_after: float = 60.0
    # Total time budget across attempts; a queue redelivery takes over after that.
    deadline: float = 120.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def backoff(self, attempt: int) -> float:
        return min(self.max_delay, self.base_delay * (2 ** (attempt - 1))) * random.uniform(0.5, 1.0)


def retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


@dataclass
class CallStats:
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    failures: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


class Exhausted(Exception):
    """Retries ran out. ``response`` is the last response (None when the last failure was a transport error)."""

    def __init__(self, message: str, response: httpx.Response | None, cause: BaseException | None) -> None:
        super().__init__(message)
        self.response = response
        self.cause = cause


def send_with_retry(
    client: httpx.Client,
    request: httpx.Request,
    policy: RetryPolicy,
    stats: CallStats,
    retry_transport_errors: bool = True,
) -> httpx.Response:
    """Send ``request``; return the first non-retryable response, or raise :class:`Exhausted`.

    ``retry_transport_errors=False`` is for writes that are not idempotent: a dropped connection or a
    5xx may mean the write happened, so the caller must find out rather than send it again (only 429 is
    retried).
    """
    started = time.monotonic()
    attempt = 0
    while True:
        attempt += 1
        stats.requests += 1
        try:
            response = client.send(request)
        except TRANSPORT_ERRORS as error:
            stats.failures += 1
            if not retry_transport_errors:
                raise Exhausted(f"{type(error).__name__} (not retried: the outcome is unknown)", None, error) from error
            if attempt >= policy.attempts or time.monotonic() - started > policy.deadline:
                raise Exhausted(f"{type(error).__name__} after {attempt} attempts", None, error) from error
            stats.retries += 1
            policy.sleep(policy.backoff(attempt))
            continue
        if response.status_code not in RETRYABLE_STATUS:
            return response
        response.read()
        stats.failures += 1
        if response.status_code == 429:
            stats.throttled += 1
        elif not retry_transport_errors:
            # A 5xx/408 may come back after a gateway applied the write: a write that must not be sent
            # twice is handed to the caller, who checks what happened. A 429 means "not done", so it retries.
            raise Exhausted(f"HTTP {response.status_code} (not retried: the outcome is unknown)", response, None)
        wait = retry_after_seconds(response)
        delay = min(policy.max_retry_after, wait) if wait is not None else policy.backoff(attempt)
        if attempt >= policy.attempts or time.monotonic() - started + delay > policy.deadline:
            raise Exhausted(f"HTTP {response.status_code} after {attempt} attempts", response, None)
        stats.retries += 1
        policy.sleep(delay)
