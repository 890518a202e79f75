"""The legacy REST subset the integration re-fetches and reconciles with (same shape as webhooks).

``GET orders/<id>.json``, ``GET orders.json`` (``updated_at_min``... ``status``, ``limit``, cursor
pagination with ``page_info`` and a ``Link`` header), ``GET orders/count.json`` and
``GET orders/<id>/refunds.json``. Every call goes through the REST leaky bucket (40, 2/s):
``X-Shopify-Shop-Api-Call-Limit`` on each response, 429 + ``Retry-After`` when full.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from sandbox.emulators.shopify.emulator import ShopifyEmulator
from sandbox.emulators.shopify.graphql_api import INVALID_TOKEN, VERSION, authorised
from sandbox.emulators.shopify.store import to_utc
from sandbox.emulators.shopify.wire import json_response

MAX_LIMIT = 250
FILTERS = (
    "updated_at_min",
    "updated_at_max",
    "created_at_min",
    "created_at_max",
    "processed_at_min",
    "processed_at_max",
    "status",
    "financial_status",
    "fulfillment_status",
    "since_id",
    "ids",
    "order",
)
TOO_MANY = {
    "errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."
}


def _guard(request: Request, operation: str) -> tuple[ShopifyEmulator, Response | None]:
    emulator: ShopifyEmulator = request.app.state.emulator
    if not VERSION.match(request.path_params["version"]):
        return emulator, json_response({"errors": "Not Found"}, 404)
    if not authorised(emulator, request):
        emulator.log.record("rest", operation, 401, outcome="unauthorised")
        return emulator, json_response(INVALID_TOKEN, 401)
    bucket = emulator.rest_bucket
    if not bucket.hit():
        emulator.log.record("rest", operation, 429, outcome="throttled")
        return emulator, json_response(
            TOO_MANY,
            429,
            {"Retry-After": f"{bucket.retry_after():.1f}", "X-Shopify-Shop-Api-Call-Limit": bucket.header()},
        )
    emulator.log.record("rest", operation, 200)
    return emulator, None


def _trim(order: dict[str, Any], fields: str | None) -> dict[str, Any]:
    if not fields:
        return order
    wanted = {f.strip() for f in fields.split(",")}
    return {k: v for k, v in order.items() if k in wanted}


async def get_order(request: Request) -> Response:
    emulator, denied = _guard(request, "GET orders/{id}")
    if denied:
        return denied
    order = emulator.store.orders.get(request.path_params["order_id"])
    if order is None:
        return _reply(request, emulator, {"errors": "Not Found"}, 404)
    return _reply(request, emulator, {"order": _trim(order, request.query_params.get("fields"))})


async def get_refunds(request: Request) -> Response:
    emulator, denied = _guard(request, "GET orders/{id}/refunds")
    if denied:
        return denied
    order = emulator.store.orders.get(request.path_params["order_id"])
    if order is None:
        return _reply(request, emulator, {"errors": "Not Found"}, 404)
    return _reply(request, emulator, {"refunds": order.get("refunds") or []})


def _matches(order: dict[str, Any], f: dict[str, str]) -> bool:
    status = f.get("status", "open")
    state = "cancelled" if order.get("cancelled_at") else "closed" if order.get("closed_at") else "open"
    if status != "any" and not (state == status or (status == "closed" and state == "cancelled")):
        return False
    for name in ("updated_at", "created_at", "processed_at"):
        value = to_utc(order.get(name)) or ""
        if f.get(f"{name}_min") and value < (to_utc(f[f"{name}_min"]) or ""):
            return False
        if f.get(f"{name}_max") and value > (to_utc(f[f"{name}_max"]) or ""):
            return False
    if f.get("financial_status") not in (None, "any") and order.get("financial_status") != f["financial_status"]:
        return False
    wanted = f.get("fulfillment_status")
    if wanted not in (None, "any"):
        actual = order.get("fulfillment_status")
        ok = {
            "shipped": actual == "fulfilled",
            "partial": actual == "partial",
            "unshipped": actual is None,
            "unfulfilled": actual != "fulfilled",
        }.get(wanted, actual == wanted)
        if not ok:
            return False
    if f.get("since_id") and order["id"] <= int(f["since_id"]):
        return False
    return not f.get("ids") or str(order["id"]) in f["ids"].split(",")


def _sort(f: dict[str, str]) -> tuple[str, bool]:
    field, _, direction = (f.get("order") or "id asc").partition(" ")
    return (
        field if field in ("id", "created_at", "updated_at", "processed_at") else "id",
        direction.strip().lower() == "desc",
    )


def _key(order: dict[str, Any], field: str) -> list[Any]:
    return [order["id"]] if field == "id" else [to_utc(order.get(field)) or "", order["id"]]


def _encode(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")


def _decode(token: str) -> dict[str, Any] | None:
    try:
        return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except ValueError:
        return None


async def list_orders(request: Request) -> Response:
    emulator, denied = _guard(request, "GET orders")
    if denied:
        return denied
    params = request.query_params
    try:
        limit = int(params.get("limit", 50))
    except ValueError:
        limit = -1
    if not 1 <= limit <= MAX_LIMIT:
        return _reply(request, emulator, {"errors": {"limit": f"must be between 1 and {MAX_LIMIT}"}}, 400)
    cursor: dict[str, Any] = {"f": {k: params[k] for k in FILTERS if k in params}, "after": None, "before": None}
    if params.get("page_info"):
        decoded = _decode(params["page_info"])
        if decoded is None:
            return _reply(request, emulator, {"errors": "Invalid page_info"}, 400)
        cursor = decoded
    field, descending = _sort(cursor["f"])
    found = sorted(
        (o for o in emulator.store.orders.values() if _matches(o, cursor["f"])),
        key=lambda o: _key(o, field),
        reverse=descending,
    )

    def beyond(order: dict[str, Any], mark: list[Any], forward: bool) -> bool:
        key = _key(order, field)
        return (key > mark) != descending if forward else (key < mark) != descending

    if cursor.get("after") is not None:
        found = [o for o in found if beyond(o, cursor["after"], True)]
        page, more_after, more_before = found[:limit], len(found) > limit, True
    elif cursor.get("before") is not None:
        found = [o for o in found if beyond(o, cursor["before"], False)]
        page, more_after, more_before = found[-limit:], True, len(found) > limit
    else:
        page, more_after, more_before = found[:limit], len(found) > limit, False
    links = []
    base = str(request.url.replace(query=""))
    fields = {"fields": params["fields"]} if params.get("fields") else {}
    if page and more_before:
        token = _encode({"f": cursor["f"], "after": None, "before": _key(page[0], field)})
        links.append(f'<{base}?{urlencode({"limit": limit, **fields, "page_info": token})}>; rel="previous"')
    if page and more_after:
        token = _encode({"f": cursor["f"], "after": _key(page[-1], field), "before": None})
        links.append(f'<{base}?{urlencode({"limit": limit, **fields, "page_info": token})}>; rel="next"')
    headers = {"Link": ", ".join(links)} if links else {}
    body = {"orders": [_trim(o, params.get("fields")) for o in page]}
    return _reply(request, emulator, body, 200, headers)


async def count_orders(request: Request) -> Response:
    emulator, denied = _guard(request, "GET orders/count")
    if denied:
        return denied
    filters = {k: request.query_params[k] for k in FILTERS if k in request.query_params}
    return _reply(request, emulator, {"count": sum(_matches(o, filters) for o in emulator.store.orders.values())})


def _reply(
    request: Request, emulator: ShopifyEmulator, data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return json_response(
        data,
        status,
        {
            **(headers or {}),
            "X-Shopify-Shop-Api-Call-Limit": emulator.rest_bucket.header(),
            "X-Shopify-API-Version": request.path_params["version"],
        },
    )
