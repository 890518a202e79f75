"""``fulfillmentCreate`` and tracking updates against fulfillment orders (reference §4.2)."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import quote

from sandbox.emulators.shopify.orders import OPEN_FO_STATUSES, refresh_fulfillment_status, touch
from sandbox.emulators.shopify.store import FOLineItem, Fulfillment, FulfillmentOrder, Store, gid, now_rest, parse_gid

# Shopify fills in the tracking URL for carriers it knows when only company + number are given.
TRACKING_URLS = {
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={number}",
    "ups": "https://www.ups.com/track?loc=en&tracknum={number}",
    "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}",
}


class FulfillmentError(ValueError):
    def __init__(self, field: list[str], message: str) -> None:
        super().__init__(message)
        self.field = field


def tracking_entries(info: dict[str, Any] | None) -> list[dict[str, str | None]]:
    if not info:
        return []
    numbers = list(info.get("numbers") or ([info["number"]] if info.get("number") else []))
    urls = list(info.get("urls") or ([info["url"]] if info.get("url") else []))
    company = info.get("company")
    template = TRACKING_URLS.get((company or "").strip().lower())
    entries = []
    for index, number in enumerate(numbers or [None]):
        url = urls[index] if index < len(urls) else None
        if url is None and template and number:
            url = template.format(number=quote(str(number)))
        entries.append({"company": company, "number": number, "url": url})
    return entries


def _plan(store: Store, groups: list[dict[str, Any]]) -> list[tuple[FulfillmentOrder, FOLineItem, int]]:
    if not groups:
        raise FulfillmentError(
            ["fulfillment", "lineItemsByFulfillmentOrder"], "Line items by fulfillment order must not be empty."
        )
    plan: list[tuple[FulfillmentOrder, FOLineItem, int]] = []
    orders: set[int] = set()
    for index, group in enumerate(groups):
        where = ["fulfillment", "lineItemsByFulfillmentOrder", str(index)]
        fo = store.fulfillment_orders.get(parse_gid(group.get("fulfillmentOrderId"), "FulfillmentOrder") or -1)
        if fo is None:
            raise FulfillmentError([*where, "fulfillmentOrderId"], "Fulfillment order does not exist.")
        if fo.status not in OPEN_FO_STATUSES:
            raise FulfillmentError(
                [*where, "fulfillmentOrderId"],
                f"Fulfillment order {fo.id} has an unfulfillable status= {fo.status.lower()}.",
            )
        orders.add(fo.order_id)
        requested = group.get("fulfillmentOrderLineItems")
        if not requested:  # blank means "everything still to fulfil on this fulfillment order"
            plan.extend((fo, li, li.remaining) for li in fo.line_items if li.remaining > 0)
            continue
        by_id = {li.id: li for li in fo.line_items}
        for line in requested:
            li = by_id.get(parse_gid(line.get("id"), "FulfillmentOrderLineItem") or -1)
            if li is None:
                raise FulfillmentError(
                    [*where, "fulfillmentOrderLineItems"], "Fulfillment order line item does not exist."
                )
            plan.append((fo, li, int(line.get("quantity") or 0)))
    if len(orders) > 1:
        raise FulfillmentError(["fulfillment"], "All fulfillment orders must belong to the same order.")
    if len({fo.location_id for fo, _, _ in plan}) > 1:
        raise FulfillmentError(["fulfillment"], "All fulfillment orders must be assigned to the same location.")
    wanted: dict[int, int] = {}
    for _fo, li, quantity in plan:
        wanted[li.id] = wanted.get(li.id, 0) + quantity
        if quantity <= 0 or wanted[li.id] > li.remaining:
            raise FulfillmentError(["fulfillment"], "Invalid fulfillment order line item quantity requested.")
    if not plan:
        raise FulfillmentError(["fulfillment"], "Invalid fulfillment order line item quantity requested.")
    return plan


def create_fulfillment(store: Store, data: dict[str, Any]) -> Fulfillment:
    """Validate everything first, then apply: nothing changes when a user error is returned."""
    plan = _plan(store, list(data.get("lineItemsByFulfillmentOrder") or []))
    order = store.orders[plan[0][0].order_id]
    lines_by_id = {line["id"]: line for line in order["line_items"]}
    stamp = now_rest()
    touched: dict[int, FulfillmentOrder] = {}
    fulfilled: list[tuple[int, int, int]] = []
    for fo, li, quantity in plan:
        li.remaining -= quantity
        store.commit(li.item_id, fo.location_id, -quantity)
        if li.item_id is not None:  # shipped stock leaves on_hand (it was committed until now)
            store.stock(li.item_id, fo.location_id).on_hand -= quantity
        line = lines_by_id[li.line_item_id]
        line["fulfillable_quantity"] = max(0, int(line.get("fulfillable_quantity") or 0) - quantity)
        line["fulfillment_status"] = "fulfilled" if line["fulfillable_quantity"] == 0 else "partial"
        touched[fo.id] = fo
        fulfilled.append((store.next_id(), li.line_item_id, quantity))
    for fo in touched.values():
        fo.status = "CLOSED" if all(li.remaining == 0 for li in fo.line_items) else "IN_PROGRESS"
        fo.updated_at = stamp
    count = len(store.fulfillments_of(order["id"])) + 1
    fulfillment = Fulfillment(
        store.next_id(),
        order["id"],
        plan[0][0].location_id,
        f"{order['name']}.{count}",
        stamp,
        stamp,
        tracking_entries(data.get("trackingInfo")),
        fulfilled,
    )
    store.add_fulfillment(fulfillment)
    order["fulfillments"].append(rest_fulfillment(fulfillment, lines_by_id, data.get("notifyCustomer")))
    refresh_fulfillment_status(store, order)
    touch(order)
    return fulfillment


def update_tracking(store: Store, fulfillment: Fulfillment, info: dict[str, Any]) -> None:
    fulfillment.tracking = tracking_entries(info)
    fulfillment.updated_at = now_rest()
    order = store.orders[fulfillment.order_id]
    for rest in order["fulfillments"]:
        if rest.get("id") == fulfillment.id:
            rest.update(_rest_tracking(fulfillment), updated_at=fulfillment.updated_at)
    touch(order)


def _rest_tracking(fulfillment: Fulfillment) -> dict[str, Any]:
    numbers = [t["number"] for t in fulfillment.tracking if t["number"]]
    urls = [t["url"] for t in fulfillment.tracking if t["url"]]
    return {
        "tracking_company": fulfillment.tracking[0]["company"] if fulfillment.tracking else None,
        "tracking_number": numbers[0] if numbers else None,
        "tracking_numbers": numbers,
        "tracking_url": urls[0] if urls else None,
        "tracking_urls": urls,
    }


def rest_fulfillment(
    fulfillment: Fulfillment, lines_by_id: dict[int, dict[str, Any]], notify: bool | None
) -> dict[str, Any]:
    line_items = []
    for _fli_id, line_item_id, quantity in fulfillment.lines:
        line = copy.deepcopy(lines_by_id[line_item_id])
        line["quantity"] = quantity
        line_items.append(line)
    return {
        "id": fulfillment.id,
        "admin_graphql_api_id": gid("Fulfillment", fulfillment.id),
        "order_id": fulfillment.order_id,
        "name": fulfillment.name,
        "status": "success",
        "service": "manual",
        "shipment_status": None,
        "location_id": fulfillment.location_id,
        "created_at": fulfillment.created_at,
        "updated_at": fulfillment.updated_at,
        "notify_customer": bool(notify),
        **_rest_tracking(fulfillment),
        "line_items": line_items,
    }
