"""Orders in their REST shape: creation from a (sample) body, tags, statuses, cancellation."""

from __future__ import annotations

import copy
from typing import Any

from sandbox.emulators.shopify.store import FOLineItem, FulfillmentOrder, Store, gid, now_rest


class OrderError(ValueError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


OPEN_FO_STATUSES = ("OPEN", "IN_PROGRESS")


def create_order(
    store: Store, body: dict[str, Any], *, currency: str, split_locations: bool, default_on_hand: int
) -> dict[str, Any]:
    """Store an order from a REST body (``{"order": {...}}`` or bare), filling what is missing."""
    order = copy.deepcopy(body.get("order", body) if isinstance(body, dict) else None)
    if not isinstance(order, dict):
        raise OrderError(400, "body must be a JSON object (a REST order)")
    order_id = int(order.get("id") or store.next_id())
    if order_id in store.orders:
        raise OrderError(409, f"order {order_id} already exists")
    number = int(order.get("order_number") or 1001 + len(store.orders))
    stamp = now_rest()
    defaults: dict[str, Any] = {
        "id": order_id,
        "admin_graphql_api_id": gid("Order", order_id),
        "order_number": number,
        "number": number - 1000,
        "name": f"#{number}",
        "created_at": stamp,
        "updated_at": stamp,
        "processed_at": stamp,
        "currency": currency,
        "presentment_currency": order.get("currency") or currency,
        "tags": "",
        "note": None,
        "email": "",
        "test": False,
        "financial_status": "paid",
        "fulfillment_status": None,
        "cancelled_at": None,
        "cancel_reason": None,
        "closed_at": None,
        "line_items": [],
        "shipping_lines": [],
        "fulfillments": [],
        "refunds": [],
    }
    for key, value in defaults.items():
        if (order.get(key) is None and value is not None) or key not in order:
            order[key] = value
    order["id"] = order_id
    order["tags"] = ", ".join(parse_tags(order["tags"]))
    for line in order["line_items"]:
        line_id = int(line.get("id") or store.next_id())
        quantity = int(line.get("quantity") or 1)
        for key, value in {
            "id": line_id,
            "admin_graphql_api_id": gid("LineItem", line_id),
            "quantity": quantity,
            "current_quantity": quantity,
            "fulfillable_quantity": quantity,
            "fulfillment_status": None,
            "requires_shipping": True,
            "sku": "",
            "price": "0.00",
            "title": line.get("name") or "Item",
        }.items():
            if key not in line or (line[key] is None and value is not None):
                line[key] = value
        line.setdefault("name", line["title"])
        if line["sku"]:
            store.add_item(line["sku"], on_hand=default_on_hand)
    store.orders[order_id] = order
    _create_fulfillment_orders(store, order, split_locations)
    return order


def _create_fulfillment_orders(store: Store, order: dict[str, Any], split: bool) -> None:
    """One fulfillment order per location; split mode deals line items round-robin to two."""
    locations = list(store.locations.values())[: 2 if split else 1]
    by_location: dict[int, FulfillmentOrder] = {}
    stamp = now_rest()
    for index, line in enumerate(order["line_items"]):
        if not line.get("requires_shipping", True):
            continue
        location = locations[index % len(locations)]
        fo = by_location.get(location.id)
        if fo is None:
            fo = FulfillmentOrder(store.next_id(), order["id"], location.id, "OPEN", stamp, stamp)
            by_location[location.id] = fo
        remaining = int(line.get("fulfillable_quantity") or 0)
        item_id = store.items_by_sku.get(line["sku"]) if line["sku"] else None
        if item_id is not None:
            store.stock(item_id, location.id)
        fo.line_items.append(FOLineItem(store.next_id(), line["id"], item_id, int(line["quantity"]), remaining))
        store.commit(item_id, location.id, remaining)
    for fo in by_location.values():
        if not any(li.remaining for li in fo.line_items):
            fo.status = "CLOSED"
        store.fulfillment_orders[fo.id] = fo
    store.order_fulfillment_orders[order["id"]] = [fo.id for fo in by_location.values()]


def fulfillment_orders_of(store: Store, order_id: int) -> list[FulfillmentOrder]:
    return [store.fulfillment_orders[i] for i in store.order_fulfillment_orders.get(order_id, [])]


def parse_tags(value: Any) -> list[str]:
    """Tags from a list or a comma-separated string; trimmed, de-duplicated, sorted like Shopify."""
    # A single string (or a list holding one, as GraphQL coerces it) may itself be comma-separated.
    items = [
        part for chunk in ([value] if isinstance(value, str) else list(value or [])) for part in str(chunk).split(",")
    ]
    seen: dict[str, str] = {}
    for tag in items:
        tag = str(tag).strip()
        if tag and tag.lower() not in seen:
            seen[tag.lower()] = tag
    return sorted(seen.values(), key=str.lower)


def add_tags(order: dict[str, Any], tags: Any) -> bool:
    before = order["tags"]
    order["tags"] = ", ".join(parse_tags(parse_tags(before) + parse_tags(tags)))
    return touch(order, before != order["tags"])


def remove_tags(order: dict[str, Any], tags: Any) -> bool:
    before = order["tags"]
    drop = {t.lower() for t in parse_tags(tags)}
    order["tags"] = ", ".join(t for t in parse_tags(before) if t.lower() not in drop)
    return touch(order, before != order["tags"])


def set_tags(order: dict[str, Any], tags: Any) -> bool:
    before = order["tags"]
    order["tags"] = ", ".join(parse_tags(tags))
    return touch(order, before != order["tags"])


def touch(order: dict[str, Any], changed: bool = True) -> bool:
    if changed:
        order["updated_at"] = now_rest()
    return changed


def display_fulfillment_status(store: Store, order: dict[str, Any]) -> str:
    fulfilled = sum(q for f in store.fulfillments_of(order["id"]) for _, _, q in f.lines)
    open_remaining = sum(
        li.remaining
        for fo in fulfillment_orders_of(store, order["id"])
        if fo.status in OPEN_FO_STATUSES
        for li in fo.line_items
    )
    if fulfilled == 0:
        return "UNFULFILLED"
    return "PARTIALLY_FULFILLED" if open_remaining else "FULFILLED"


def refresh_fulfillment_status(store: Store, order: dict[str, Any]) -> None:
    status = display_fulfillment_status(store, order)
    order["fulfillment_status"] = {"FULFILLED": "fulfilled", "PARTIALLY_FULFILLED": "partial"}.get(status)


def cancel_order(store: Store, order: dict[str, Any], reason: str = "other", refund: bool = False) -> None:
    """Cancel: close the open fulfillment orders, release committed stock, set the REST fields."""
    if order.get("cancelled_at"):
        raise OrderError(422, "Order has already been cancelled")
    for fo in fulfillment_orders_of(store, order["id"]):
        if fo.status in OPEN_FO_STATUSES:
            for li in fo.line_items:
                store.commit(li.item_id, fo.location_id, -li.remaining)
                li.remaining = 0
            fo.status, fo.updated_at = "CLOSED", now_rest()
    for line in order["line_items"]:
        line["fulfillable_quantity"] = 0
    stamp = now_rest()
    order.update(cancelled_at=stamp, cancel_reason=reason, updated_at=stamp)
    if order.get("financial_status") in ("authorized", "pending"):
        order["financial_status"] = "voided"
    elif refund and order.get("financial_status") in ("paid", "partially_refunded"):
        order["financial_status"] = "refunded"
