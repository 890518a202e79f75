"""Ops API routes for refunds (``GET /api/ops/refunds``, ``/refunds/{refund_id}``,
``/orders/{order_id}/refunds``): the audit link refund id ↔ credit note ↔ invoice(s) ↔ lines."""

from __future__ import annotations

from typing import Any

from integration.ops.api import ApiError, Request, Route
from integration.refunds.records import RefundRecords
from shared.storage import Storage


def _list(storage: Storage, request: Request, _: dict[str, str]) -> Any:
    records = RefundRecords(storage).list(status=request.params.get("status") or None, limit=request.int("limit", 100))
    return {"refunds": [r.to_dict() for r in records]}


def _one(storage: Storage, request: Request, args: dict[str, str]) -> Any:
    record = RefundRecords(storage).find(args["refund_id"])
    if record is None:
        raise ApiError(404, f"no refund record {args['refund_id']!r}")
    return record.to_dict()


def _of_order(storage: Storage, request: Request, args: dict[str, str]) -> Any:
    return {"refunds": [r.to_dict() for r in RefundRecords(storage).of_order(args["order_id"])]}


ROUTES: tuple[Route, ...] = (
    Route("GET", "refunds", _list, "Refund records: refund ↔ credit note ↔ invoices ↔ lines", ("status", "limit")),
    Route("GET", "refunds/{refund_id}", _one, "One refund's credit note link"),
    Route("GET", "orders/{order_id}/refunds", _of_order, "The refunds of one Shopify order"),
)
