"""How a refund stops short of a credit note: later (``RefundNotYet``) or never without a person
(``RefundBlocked``). Both carry a stable reason code and the values that explain it."""

from __future__ import annotations

from typing import Any

from integration.errors import IntegrationError, Permanent, Transient


class RefundProblem(IntegrationError):
    def __init__(self, reason_code: str, message: str, values: dict[str, Any] | None = None) -> None:
        super().__init__(f"{reason_code}: {message}")
        self.reason_code = reason_code
        self.message = message
        self.values = values or {}


class RefundNotYet(RefundProblem, Transient):
    """Retryable: the refund's money is still pending, the order or its invoice is not in F&O yet.
    The queue retries with backoff up to the wait horizon, then it becomes an exception."""


class RefundBlocked(RefundProblem, Permanent):
    """Not retryable as is: an exception for a person (unmapped line, amounts that do not match, ...)."""
