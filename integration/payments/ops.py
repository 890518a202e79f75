"""Ops routes for payments: the report (``GET /api/ops/money/payments``) and a one-order run
(``POST /api/ops/payments/sync/{id}``). Registered by ``integration.ops.flows.register``."""

from __future__ import annotations

import re
from typing import Any

from integration.ops.api import ApiError, Request, Route, extend
from integration.payments.entry import build_sync, report
from shared.settings import get_settings
from shared.storage import Storage

DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _day(request: Request, name: str, default: str) -> str:
    value = request.params.get(name) or default
    if value != default and not DAY.match(value):
        raise ApiError(400, f"{name} must be a date YYYY-MM-DD")
    return value


def _report(storage: Storage, request: Request, _: dict[str, str]) -> Any:
    return report(storage, _day(request, "since", ""), _day(request, "until", "9999"))


def _sync(storage: Storage, request: Request, args: dict[str, str]) -> Any:
    if not args["id"].isdigit():
        raise ApiError(400, "id must be a Shopify order id (digits)")
    sync = build_sync(get_settings(), storage)
    try:
        return sync.sync_order(args["id"])
    finally:
        sync.d365.close()
        sync.shopify.close()


def register() -> None:
    extend(Route("GET", "money/payments", _report, "Payments per day and status, with every line", ("since", "until")))
    extend(Route("POST", "payments/sync/{id}", _sync, "Write the payment journal lines of one invoiced order now"))
