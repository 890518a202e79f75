"""Refunds in the REST shape of ``refunds/create`` (reference §2.2), built with Decimal money.

The operator posts what a merchant would choose (lines, quantities, restock type, shipping); the
emulator computes the amounts from the order like Shopify does: line subtotal = (unit price -
per-unit discount allocation) x quantity, tax pro rata of the line's tax lines, shipping from
``refund_shipping_lines``. Inventory moves by ``restock_type``: ``cancel`` releases committed
stock, ``return`` puts fulfilled units back on hand, ``no_restock`` leaves ``available`` alone.
"""

from __future__ import annotations

import copy
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sandbox.emulators.shopify.orders import OPEN_FO_STATUSES, OrderError, fulfillment_orders_of, touch
from sandbox.emulators.shopify.store import Store, gid, now_rest

CENT = Decimal("0.01")
SIDES = ("shop_money", "presentment_money")


def _amount(holder: dict[str, Any], plain: str, side: str) -> Decimal:
    """``holder[plain + "_set"][side].amount`` (what Shopify sends), else the plain string field."""
    money_set = holder.get(f"{plain}_set") or {}
    amount = (money_set.get(side) or {}).get("amount")
    return Decimal(str(amount if amount is not None else holder.get(plain) or "0"))


def _currency(order: dict[str, Any], side: str) -> str:
    return order["currency"] if side == "shop_money" else order.get("presentment_currency") or order["currency"]


def _money_set(order: dict[str, Any], amounts: dict[str, Decimal]) -> dict[str, Any]:
    return {
        side: {"amount": f"{amounts[side].quantize(CENT):f}", "currency_code": _currency(order, side)} for side in SIDES
    }


def _line_amounts(line: dict[str, Any], quantity: int, side: str) -> tuple[Decimal, Decimal]:
    ordered = int(line.get("quantity") or 1)
    price = _amount(line, "price", side)
    discount = sum(
        (
            Decimal(str(((a.get("amount_set") or {}).get(side) or {}).get("amount", a.get("amount", "0"))))
            for a in line.get("discount_allocations") or []
        ),
        Decimal(0),
    )
    if not line.get("discount_allocations"):
        discount = _amount(line, "total_discount", side)
    tax = sum((_amount(t, "price", side) for t in line.get("tax_lines") or []), Decimal(0))
    subtotal = (price * quantity - discount * quantity / ordered).quantize(CENT, rounding=ROUND_HALF_UP)
    return subtotal, (tax * quantity / ordered).quantize(CENT, rounding=ROUND_HALF_UP)


def _refunded_quantity(order: dict[str, Any], line_id: int) -> int:
    return sum(
        int(r["quantity"])
        for refund in order["refunds"]
        for r in refund.get("refund_line_items", [])
        if r.get("line_item_id") == line_id
    )


def create_refund(store: Store, order: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    lines = {line["id"]: line for line in order["line_items"]}
    stamp = now_rest()
    refund_id = int(body.get("id") or store.next_id())
    totals = dict.fromkeys(SIDES, Decimal(0))
    refund_lines = []
    for request in body.get("refund_line_items") or []:
        line = lines.get(int(request.get("line_item_id") or 0))
        if line is None:
            raise OrderError(422, f"line item {request.get('line_item_id')} is not on order {order['id']}")
        quantity = int(request.get("quantity") or 0)
        if quantity <= 0 or quantity + _refunded_quantity(order, line["id"]) > int(line["quantity"]):
            raise OrderError(422, f"quantity {quantity} is more than can be refunded on line item {line['id']}")
        restock_type = request.get("restock_type") or "no_restock"
        subtotals, taxes = {}, {}
        for side in SIDES:
            subtotals[side], taxes[side] = _line_amounts(line, quantity, side)
            totals[side] += subtotals[side] + taxes[side]
        location_id = _restock(store, order, line, quantity, restock_type, request.get("location_id"))
        refund_lines.append(
            {
                "id": store.next_id(),
                "quantity": quantity,
                "line_item_id": line["id"],
                "location_id": location_id,
                "restock_type": restock_type,
                "subtotal": subtotals["shop_money"],
                "total_tax": taxes["shop_money"],
                "subtotal_set": _money_set(order, subtotals),
                "total_tax_set": _money_set(order, taxes),
                "line_item": copy.deepcopy(line),
            }
        )
    shipping_lines = _refund_shipping(store, order, body.get("shipping") or {}, totals)
    if not refund_lines and not shipping_lines:
        raise OrderError(422, "a refund needs refund_line_items or shipping")
    refund = {
        "id": refund_id,
        "admin_graphql_api_id": gid("Refund", refund_id),
        "order_id": order["id"],
        "created_at": stamp,
        "processed_at": stamp,
        "note": body.get("note") or "",
        "user_id": None,
        "restock": any(r["restock_type"] != "no_restock" for r in refund_lines),
        "duties": [],
        "total_duties_set": _money_set(order, dict.fromkeys(SIDES, Decimal(0))),
        "return": None,
        "refund_shipping_lines": shipping_lines,
        "order_adjustments": [],
        "refund_line_items": refund_lines,
        "transactions": body.get("transactions")
        or [_transaction(store, order, totals["shop_money"], stamp, str(body.get("transaction_status") or "success"))],
    }
    order["refunds"].append(refund)
    _refresh_financial_status(order)
    touch(order)
    return refund


def _refund_shipping(
    store: Store, order: dict[str, Any], shipping: dict[str, Any], totals: dict[str, Decimal]
) -> list[dict[str, Any]]:
    if not (shipping.get("full_refund") or shipping.get("amount")) or not order.get("shipping_lines"):
        return []
    line = order["shipping_lines"][0]
    amounts, taxes = {}, {}
    for side in SIDES:
        full = (
            _amount(line, "discounted_price", side)
            if line.get("discounted_price_set") or line.get("discounted_price")
            else _amount(line, "price", side)
        )
        amounts[side] = full if shipping.get("full_refund") else Decimal(str(shipping["amount"]))
        # The shipping tax refunded with it (``tax_amount_set``, API 2024-10+), pro rata of the line's tax.
        tax = sum((_amount(t, "price", side) for t in line.get("tax_lines") or []), Decimal(0))
        share = amounts[side] / full if full else Decimal(0)
        taxes[side] = (tax * share).quantize(CENT, rounding=ROUND_HALF_UP)
        totals[side] += amounts[side] + taxes[side]
    return [
        {
            "id": store.next_id(),
            "shipping_line_id": line.get("id"),
            "shipping_line": copy.deepcopy(line),
            "subtotal_amount_set": _money_set(order, amounts),
            "tax_amount_set": _money_set(order, taxes),
        }
    ]


def settle_refund(store: Store, refund_id: int, status: str) -> dict[str, Any] | None:
    """The payment provider answered: every pending refund transaction of the refund gets ``status``
    (Shopify sends no new ``refunds/create``; an app re-reads the refund to see it)."""
    for order in store.orders.values():
        for refund in order.get("refunds") or []:
            if int(refund["id"]) != refund_id:
                continue
            for transaction in refund.get("transactions") or []:
                if transaction.get("kind") == "refund" and transaction.get("status") == "pending":
                    transaction["status"] = status
            _refresh_financial_status(order)
            touch(order)
            return refund
    return None


def _transaction(
    store: Store, order: dict[str, Any], amount: Decimal, stamp: str, status: str = "success"
) -> dict[str, Any]:
    transaction_id = store.next_id()
    gateways = order.get("payment_gateway_names") or ["manual"]
    return {
        "id": transaction_id,
        "admin_graphql_api_id": gid("OrderTransaction", transaction_id),
        "order_id": order["id"],
        "kind": "refund",
        "gateway": gateways[0],
        "status": status,
        "message": None,
        "created_at": stamp,
        "processed_at": stamp,
        "test": bool(order.get("test")),
        "authorization": None,
        "parent_id": None,
        "amount": f"{amount.quantize(CENT):f}",
        "currency": order["currency"],
    }


def _restock(
    store: Store, order: dict[str, Any], line: dict[str, Any], quantity: int, restock_type: str, location_id: Any
) -> int | None:
    """Apply the inventory side of a refunded line; returns the location it was restocked at."""
    unfulfilled = quantity
    chosen: int | None = int(location_id) if location_id else None
    for fo in fulfillment_orders_of(store, order["id"]):
        for li in fo.line_items:
            if li.line_item_id != line["id"]:
                continue
            chosen = chosen or fo.location_id
            take = min(unfulfilled, li.remaining) if fo.status in OPEN_FO_STATUSES else 0
            if take:
                li.remaining -= take
                store.commit(li.item_id, fo.location_id, -take)
                if restock_type == "no_restock" and li.item_id is not None:
                    store.stock(li.item_id, fo.location_id).on_hand -= take
                unfulfilled -= take
            if all(x.remaining == 0 for x in fo.line_items) and fo.status in OPEN_FO_STATUSES:
                fo.status, fo.updated_at = "CLOSED", now_rest()
    cancelled = quantity - unfulfilled
    line["fulfillable_quantity"] = max(0, int(line.get("fulfillable_quantity") or 0) - cancelled)
    line["current_quantity"] = max(0, int(line.get("current_quantity", line["quantity"])) - quantity)
    item_id = store.items_by_sku.get(line.get("sku") or "")
    if restock_type == "return" and item_id is not None and chosen is not None and unfulfilled:
        store.stock(item_id, chosen).on_hand += unfulfilled  # fulfilled units come back on hand
    return chosen if restock_type != "no_restock" else None


def _refresh_financial_status(order: dict[str, Any]) -> None:
    refunded = sum(
        (
            Decimal(t.get("amount") or "0")
            for r in order["refunds"]
            for t in r.get("transactions", [])
            if t.get("kind") == "refund" and t.get("status") == "success"
        ),
        Decimal(0),
    )
    total = Decimal(str(order.get("total_price") or "0"))
    order["financial_status"] = "refunded" if total and refunded >= total else "partially_refunded"
