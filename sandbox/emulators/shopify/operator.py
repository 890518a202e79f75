"""Operator API under ``/_emulator/``: seed and inspect the shop, trigger merchant actions (new
order, refund, cancellation) that fire signed webhooks, tune the buckets, read the request log.
Documented in sandbox/emulators/shopify/README.md."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.emulators.shopify.emulator import DEFAULT_TOPICS, ShopifyEmulator
from sandbox.emulators.shopify.orders import (
    OrderError,
    cancel_order,
    create_order,
    display_fulfillment_status,
    fulfillment_orders_of,
)
from sandbox.emulators.shopify.product_types import ROUTES as CATALOG_ROUTES
from sandbox.emulators.shopify.refunds import create_refund, settle_refund
from sandbox.emulators.shopify.store import Store, Subscription, gid, now_rest
from sandbox.emulators.shopify.wire import json_response


def _emulator(request: Request) -> ShopifyEmulator:
    return request.app.state.emulator


async def _json(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError as error:
        raise OrderError(400, f"body is not JSON: {error}") from None


def _error(error: OrderError) -> Response:
    return json_response({"error": str(error)}, error.status)


def _wants_webhook(request: Request) -> bool:
    return request.query_params.get("webhook", "true").lower() not in ("0", "false", "no")


def order_summary(store: Store, order: dict[str, Any]) -> dict[str, Any]:
    owner = gid("Order", order["id"])
    return {
        "id": order["id"],
        "name": order.get("name"),
        "tags": order.get("tags"),
        "updated_at": order.get("updated_at"),
        "cancelled_at": order.get("cancelled_at"),
        "financial_status": order.get("financial_status"),
        "fulfillment_status": order.get("fulfillment_status"),
        "display_fulfillment_status": display_fulfillment_status(store, order),
        "metafields": {f"{m.namespace}.{m.key}": m.value for m in store.metafields_of(owner)},
        "fulfillment_orders": [
            {
                "id": fo.id,
                "status": fo.status,
                "location_id": fo.location_id,
                "line_items": [
                    {
                        "id": li.id,
                        "line_item_id": li.line_item_id,
                        "inventory_item_id": li.item_id,
                        "total": li.total,
                        "remaining": li.remaining,
                    }
                    for li in fo.line_items
                ],
            }
            for fo in fulfillment_orders_of(store, order["id"])
        ],
        "fulfillments": [
            {
                "id": f.id,
                "name": f.name,
                "location_id": f.location_id,
                "tracking": f.tracking,
                "lines": [{"line_item_id": li, "quantity": q} for _, li, q in f.lines],
            }
            for f in store.fulfillments_of(order["id"])
        ],
        "refunds": [r["id"] for r in order.get("refunds") or []],
    }


def inventory_rows(store: Store) -> list[dict[str, Any]]:
    return [
        {
            "sku": store.items[lv.item_id].sku,
            "inventory_item_id": lv.item_id,
            "location_id": lv.location_id,
            **{k: v for k, v in store.quantities(lv).items() if k in ("available", "on_hand", "committed")},
        }
        for lv in store.levels.values()
    ]


async def state(request: Request) -> Response:
    emulator = _emulator(request)
    store = emulator.store
    return json_response(
        {
            "shop": {"domain": emulator.config.shop_domain, "currency": emulator.config.currency_code},
            "locations": [{"id": loc.id, "name": loc.name, "active": loc.active} for loc in store.locations.values()],
            "inventory": inventory_rows(store),
            "orders": [order_summary(store, o) for o in store.orders.values()],
            "carrier_services": [vars(c) for c in store.carrier_services.values()],
            "webhook_subscriptions": [vars(s) for s in store.subscriptions.values()],
            "bucket": emulator.bucket.status(),
            "rest_bucket": emulator.rest_bucket.header(),
        }
    )


async def reset(request: Request) -> Response:
    _emulator(request).reset()
    return json_response({"reset": True})


async def post_order(request: Request) -> Response:
    emulator = _emulator(request)
    try:
        order = create_order(
            emulator.store,
            await _json(request),
            currency=emulator.config.currency_code,
            split_locations=emulator.config.split_locations,
            default_on_hand=emulator.config.default_on_hand,
        )
    except OrderError as error:
        return _error(error)
    deliveries = await emulator.send("orders/create", order) if _wants_webhook(request) else []
    return json_response({"order": order, "deliveries": deliveries}, 201)


async def get_order(request: Request) -> Response:
    store = _emulator(request).store
    order = store.orders.get(request.path_params["order_id"])
    if order is None:
        return json_response({"error": "order not found"}, 404)
    return json_response({"order": order, "summary": order_summary(store, order)})


async def post_refund(request: Request) -> Response:
    emulator = _emulator(request)
    order = emulator.store.orders.get(request.path_params["order_id"])
    if order is None:
        return json_response({"error": "order not found"}, 404)
    try:
        refund = create_refund(emulator.store, order, await _json(request))
    except OrderError as error:
        return _error(error)
    deliveries = await emulator.send("refunds/create", refund) if _wants_webhook(request) else []
    if emulator.config.fire_orders_updated and _wants_webhook(request):
        deliveries += await emulator.send("orders/updated", order)
    return json_response({"refund": refund, "deliveries": deliveries}, 201)


async def post_settle_refund(request: Request) -> Response:
    """Settle a refund's pending transactions (``{"status": "success" | "failure"}``), no webhook."""
    body = await _json(request)
    status = str(body.get("status") or "success")
    if status not in ("success", "failure", "error"):
        return json_response({"error": "status must be success, failure or error"}, 422)
    refund = settle_refund(_emulator(request).store, request.path_params["refund_id"], status)
    if refund is None:
        return json_response({"error": "refund not found"}, 404)
    return json_response({"refund": refund})


async def post_cancel(request: Request) -> Response:
    emulator = _emulator(request)
    order = emulator.store.orders.get(request.path_params["order_id"])
    if order is None:
        return json_response({"error": "order not found"}, 404)
    try:
        body = await _json(request)
        cancel_order(emulator.store, order, str(body.get("reason") or "other"), bool(body.get("refund")))
    except OrderError as error:
        return _error(error)
    deliveries = await emulator.send("orders/cancelled", order) if _wants_webhook(request) else []
    return json_response({"order": order, "deliveries": deliveries})


async def post_location(request: Request) -> Response:
    emulator = _emulator(request)
    body = await _json(request)
    location = emulator.store.add_location(str(body.get("name") or "Warehouse"), body.get("id"))
    return json_response({"id": location.id, "name": location.name, "gid": gid("Location", location.id)}, 201)


async def post_item(request: Request) -> Response:
    """``{"sku", "id"?, "on_hand"?}``: an inventory item, stocked at every location when on_hand is given."""
    store = _emulator(request).store
    body = await _json(request)
    if not body.get("sku"):
        return json_response({"error": "sku is required"}, 400)
    item = store.add_item(str(body["sku"]), body.get("id"), body.get("on_hand"))
    return json_response({"id": item.id, "sku": item.sku, "gid": gid("InventoryItem", item.id)}, 201)


async def put_inventory(request: Request) -> Response:
    """``{"sku"|"inventory_item_id", "location_id"?, "available"|"on_hand"}`` or ``{"levels": [...]}``."""
    store = _emulator(request).store
    body = await _json(request)
    rows = body.get("levels") if isinstance(body.get("levels"), list) else [body]
    for row in rows:
        if row.get("inventory_item_id"):
            item_id = int(row["inventory_item_id"])
            if item_id not in store.items:
                return json_response({"error": f"unknown inventory item {item_id}"}, 400)
        elif row.get("sku"):
            item_id = store.add_item(str(row["sku"])).id
        else:
            return json_response({"error": "sku or inventory_item_id is required"}, 400)
        location_id = int(row.get("location_id") or store.default_location().id)
        if location_id not in store.locations:
            return json_response({"error": f"unknown location {location_id}"}, 400)
        level = store.stock(item_id, location_id)
        name = "on_hand" if "on_hand" in row else "available"
        store.set_quantity(level, name, int(row.get(name) or 0))
    return json_response({"inventory": inventory_rows(store)})


async def bucket(request: Request) -> Response:
    emulator = _emulator(request)
    if request.method == "PUT":
        body = await _json(request)
        emulator.bucket.configure(
            body.get("maximum_available"), body.get("restore_rate"), body.get("currently_available")
        )
        if "rest_bucket_size" in body:
            emulator.rest_bucket.size = int(body["rest_bucket_size"])
        if "rest_leak_rate" in body:
            emulator.rest_bucket.leak_rate = float(body["rest_leak_rate"])
    return json_response({"graphql": emulator.bucket.status(), "rest": emulator.rest_bucket.header()})


async def requests_log(request: Request) -> Response:
    emulator = _emulator(request)
    if request.method == "DELETE":
        emulator.log.clear()
    return json_response(emulator.log.snapshot(int(request.query_params.get("last", 100))))


async def webhooks_config(request: Request) -> Response:
    """``{"url", "secret"?, "topics"?}``: subscribe ``url`` (and set the signing secret)."""
    emulator = _emulator(request)
    body = await _json(request)
    if body.get("secret"):
        emulator.secret = str(body["secret"])
    if body.get("url"):
        store = emulator.store
        for topic in body.get("topics") or DEFAULT_TOPICS:
            if not any(s.topic == topic and s.uri == body["url"] for s in store.subscriptions.values()):
                sub = Subscription(store.next_id(), topic, str(body["url"]), emulator.config.api_version, now_rest())
                store.subscriptions[sub.id] = sub
    return await webhooks(request)


async def webhooks(request: Request) -> Response:
    emulator = _emulator(request)
    if request.method == "DELETE":
        emulator.store.subscriptions.clear()
        emulator.deliveries.clear()
    return json_response(
        {
            "subscriptions": [vars(s) for s in emulator.store.subscriptions.values()],
            "deliveries": list(emulator.deliveries),
        }
    )


async def settings(request: Request) -> Response:
    """Run-time switches: ``{"fire_orders_updated": bool, "split_locations": bool, "default_on_hand": int}``."""
    config = _emulator(request).config
    if request.method == "PUT":
        body = await _json(request)
        for name in ("fire_orders_updated", "split_locations"):
            if name in body:
                setattr(config, name, bool(body[name]))
        if "default_on_hand" in body:
            config.default_on_hand = int(body["default_on_hand"])
    return json_response(
        {
            "fire_orders_updated": config.fire_orders_updated,
            "split_locations": config.split_locations,
            "default_on_hand": config.default_on_hand,
        }
    )


ROUTES = [
    Route("/_emulator/state", state, methods=["GET"]),
    Route("/_emulator/reset", reset, methods=["POST"]),
    Route("/_emulator/orders", post_order, methods=["POST"]),
    Route("/_emulator/orders/{order_id:int}", get_order, methods=["GET"]),
    Route("/_emulator/orders/{order_id:int}/refunds", post_refund, methods=["POST"]),
    Route("/_emulator/orders/{order_id:int}/cancel", post_cancel, methods=["POST"]),
    Route("/_emulator/refunds/{refund_id:int}/settle", post_settle_refund, methods=["POST"]),
    Route("/_emulator/locations", post_location, methods=["POST"]),
    Route("/_emulator/inventory_items", post_item, methods=["POST"]),
    Route("/_emulator/inventory", put_inventory, methods=["PUT", "POST"]),
    Route("/_emulator/bucket", bucket, methods=["GET", "PUT"]),
    Route("/_emulator/requests", requests_log, methods=["GET", "DELETE"]),
    Route("/_emulator/webhooks/config", webhooks_config, methods=["POST"]),
    Route("/_emulator/webhooks", webhooks, methods=["GET", "DELETE"]),
    Route("/_emulator/settings", settings, methods=["GET", "PUT"]),
    *CATALOG_ROUTES,
]
