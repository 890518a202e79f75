"""Ops routes for payments: the report (``GET /api/ops/money/payments``) and a one-order run
(``POST /api/ops/payments/sync/{id}``), listed by ``integration.bootstrap.ops_router``."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from integration.ops.api import ApiError, Request, Route
from integration.payments.entry import report
from integration.payments.service import PaymentSync
from shared.storage import Storage

DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _day(request: Request, name: str, default: str) -> str:
    value = request.params.get(name) or default
    if value != default and not DAY.match(value):
        raise ApiError(400, f"{name} must be a date YYYY-MM-DD")
    return value


def _report(storage: Storage, request: Request, _: dict[str, str]) -> Any:
    return report(storage, _day(request, "since", ""), _day(request, "until", "9999"))


def _sync(args: dict[str, str], payment_sync: Callable[[], PaymentSync]) -> Any:
    if not args["id"].isdigit():
        raise ApiError(400, "id must be a Shopify order id (digits)")
    return payment_sync().sync_order(args["id"])


def routes(payment_sync: Callable[[], PaymentSync]) -> list[Route]:
    return [
        Route("GET", "money/payments", _report, "Payments per day and status, with every line", ("since", "until")),
        Route(
            "POST",
            "payments/sync/{id}",
            lambda s, r, a: _sync(a, payment_sync),
            "Write the payment journal lines of one invoiced order now",
        ),
    ]
