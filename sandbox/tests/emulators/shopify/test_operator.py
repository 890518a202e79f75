"""Operator API: merchant actions that fire signed webhooks, inventory seeding, state, faults."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import httpx
import pytest

from sandbox.emulators.shopify.webhooks import DEFAULT_API_VERSION

from .conftest import SECRET, sample


def signed_ok(headers: dict[str, str], body: bytes, secret: str = SECRET) -> bool:
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected, headers["x-shopify-hmac-sha256"])


def wait_for(condition, seconds: float = 5.0) -> bool:
    """Bounded wait for background deliveries (a condition, not a timing assertion)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_admin_create_order_delivers_signed_orders_create(shop, receiver) -> None:
    config = shop.client.post("/_emulator/webhooks/config", json={"url": receiver.url, "secret": "s3cret"}).json()
    assert {s["topic"] for s in config["subscriptions"]} == {
        "orders/create",
        "orders/updated",
        "orders/cancelled",
        "refunds/create",
    }
    order = sample("itakastudio__orders_create__line_item_discount.json")
    result = shop.create_order(order)
    assert [d["status"] for d in result["deliveries"]] == [200]
    ((headers, body),) = receiver.received
    assert signed_ok(headers, body, "s3cret")
    assert not signed_ok(headers, body, SECRET)
    assert headers["x-shopify-topic"] == "orders/create"
    assert headers["x-shopify-shop-domain"] == "emulator.myshopify.com"
    assert headers["x-shopify-api-version"] == DEFAULT_API_VERSION
    assert headers["x-shopify-webhook-id"] == result["deliveries"][0]["webhook_id"]
    delivered = json.loads(body)
    assert delivered == result["order"]
    assert delivered["id"] == order["id"] and delivered["total_price_set"] == order["total_price_set"]


def test_order_without_ids_gets_them_assigned(shop) -> None:
    order = {
        "line_items": [{"sku": "NEW-SKU", "quantity": 2, "price": "5.00", "title": "Thing"}],
        "total_price": "10.00",
        "email": "a@example.com",
    }
    created = shop.create_order(order, webhook="false")["order"]
    assert created["id"] and created["admin_graphql_api_id"] == f"gid://shopify/Order/{created['id']}"
    line = created["line_items"][0]
    assert line["admin_graphql_api_id"] == f"gid://shopify/LineItem/{line['id']}"
    assert line["fulfillable_quantity"] == 2 and created["name"].startswith("#")
    duplicate = shop.client.post("/_emulator/orders", json=created)
    assert duplicate.status_code == 409


def test_refund_computes_rest_amounts_restocks_and_fires_refunds_create(shop, receiver) -> None:
    shop.client.post("/_emulator/webhooks/config", json={"url": receiver.url})
    shop.create_order(sample("itakastudio__orders_create__line_item_discount.json"))
    response = shop.client.post(
        "/_emulator/orders/6200354537772/refunds",
        json={
            "refund_line_items": [{"line_item_id": 15518808539436, "quantity": 1, "restock_type": "cancel"}],
            "shipping": {"full_refund": True},
            "note": "damaged",
        },
    )
    assert response.status_code == 201
    refund = response.json()["refund"]
    (line,) = refund["refund_line_items"]
    assert line["subtotal"] == 94.0  # 99.00 - 5.00 discount allocation, a JSON number like Shopify's
    assert line["subtotal_set"]["shop_money"] == {"amount": "94.00", "currency_code": "HKD"}
    assert refund["refund_shipping_lines"][0]["subtotal_amount_set"]["shop_money"]["amount"] == "10.00"
    assert refund["transactions"][0]["amount"] == "104.00" and refund["transactions"][0]["kind"] == "refund"
    assert receiver.topics() == ["orders/create", "refunds/create"]
    headers, body = receiver.received[1]
    assert signed_ok(headers, body) and json.loads(body)["id"] == refund["id"]
    assert b'"subtotal":94.00' in body
    order = shop.client.get("/admin/api/2025-10/orders/6200354537772.json").json()["order"]
    assert order["financial_status"] == "partially_refunded"
    assert order["line_items"][0]["fulfillable_quantity"] == 0
    too_much = shop.client.post(
        "/_emulator/orders/6200354537772/refunds",
        json={"refund_line_items": [{"line_item_id": 15518808539436, "quantity": 1}]},
    )
    assert too_much.status_code == 422


def test_refund_cancel_releases_committed_stock_and_return_restocks(shop) -> None:
    shop.create_order()

    def red() -> dict:
        return next(
            r
            for r in shop.client.get("/_emulator/state").json()["inventory"]
            if r["sku"] == "IPOD2008RED" and r["committed"] + r["on_hand"] > 100 - 1
        )

    assert red()["available"] == 99
    shop.client.post(
        "/_emulator/orders/450789469/refunds",
        json={"refund_line_items": [{"line_item_id": 518995019, "quantity": 1, "restock_type": "cancel"}]},
    )
    assert red() == {**red(), "available": 100, "on_hand": 100, "committed": 0}


def test_cancel_fires_orders_cancelled_and_closes_fulfillment_orders(shop, receiver) -> None:
    shop.client.post("/_emulator/webhooks/config", json={"url": receiver.url, "topics": ["orders/cancelled"]})
    shop.create_order()
    response = shop.client.post("/_emulator/orders/450789469/cancel", json={"reason": "customer"})
    assert response.status_code == 200
    assert receiver.topics() == ["orders/cancelled"]
    body = json.loads(receiver.received[0][1])
    assert body["cancel_reason"] == "customer" and body["cancelled_at"]
    assert body["financial_status"] == "voided"  # it was only authorized
    summary = shop.client.get("/_emulator/orders/450789469").json()["summary"]
    assert [fo["status"] for fo in summary["fulfillment_orders"]] == ["CLOSED"]
    assert shop.client.post("/_emulator/orders/450789469/cancel").status_code == 422


def test_inventory_seeding_and_state(shop) -> None:
    location = shop.client.post("/_emulator/locations", json={"name": "West"}).json()
    item = shop.client.post("/_emulator/inventory_items", json={"sku": "SKU-1"}).json()
    rows = shop.client.put(
        "/_emulator/inventory",
        json={
            "levels": [
                {"sku": "SKU-1", "location_id": location["id"], "available": 7},
                {"inventory_item_id": item["id"], "on_hand": 3},
            ]
        },
    ).json()["inventory"]
    assert sorted((r["location_id"] == location["id"], r["available"]) for r in rows) == [(False, 3), (True, 7)]
    state = shop.client.get("/_emulator/state").json()
    assert [loc["name"] for loc in state["locations"]] == ["Main Warehouse", "East Warehouse", "West"]
    assert state["bucket"]["maximumAvailable"] == 2000
    assert shop.client.put("/_emulator/inventory", json={"available": 1}).status_code == 400


def test_orders_updated_fires_on_tags_add_when_enabled(make_shop, receiver) -> None:
    chatty = make_shop(fire_orders_updated=True)
    chatty.client.post("/_emulator/webhooks/config", json={"url": receiver.url})
    chatty.create_order()
    chatty.data(
        'mutation { tagsAdd(id: "gid://shopify/Order/450789469", tags: ["erp-synced"]) { userErrors { message } } }'
    )
    assert wait_for(lambda: "orders/updated" in receiver.topics())
    headers, body = receiver.received[-1]
    assert signed_ok(headers, body) and json.loads(body)["tags"] == "erp-synced"


def test_orders_updated_is_not_fired_by_default(shop, receiver) -> None:
    shop.client.post("/_emulator/webhooks/config", json={"url": receiver.url})
    shop.create_order()
    shop.data('mutation { tagsAdd(id: "gid://shopify/Order/450789469", tags: ["x"]) { userErrors { message } } }')
    assert shop.client.get("/_emulator/webhooks").json()["deliveries"][-1]["topic"] == "orders/create"
    assert receiver.topics() == ["orders/create"]


def test_request_log_counts_operations_and_cost(shop) -> None:
    shop.client.delete("/_emulator/requests")
    shop.gql("{ shop { name } }")
    shop.gql("{ shop { name } }")
    shop.gql('mutation { tagsAdd(id: "gid://shopify/Order/1", tags: ["x"]) { userErrors { message } } }')
    shop.client.get("/admin/api/2025-10/orders.json")
    log = shop.client.get("/_emulator/requests").json()
    assert log["counts"] == {"graphql shop": 2, "graphql tagsAdd": 1, "rest GET orders": 1}
    assert log["total_cost"] == 12 and log["total"] == 4
    assert log["recent"][-2]["requested_cost"] == 10


def _statuses(client: httpx.Client, count: int) -> list[int]:
    return [
        client.post("/admin/api/2025-10/graphql.json", json={"query": "{ shop { name } }"}).status_code
        for _ in range(count)
    ]


def test_seeded_faults_repeat_exactly(shop) -> None:
    faults = {"seed": 42, "rate_500": 0.3, "rate_429": 0.3, "retry_after_s": 2}
    shop.client.put("/_emulator/faults", json=faults)
    first = _statuses(shop.client, 12)
    shop.client.put("/_emulator/faults", json=faults)
    assert _statuses(shop.client, 12) == first
    assert {429, 500, 200} == set(first)
    shop.client.put("/_emulator/faults", json=faults)
    throttled = next(
        r
        for r in (
            shop.client.post("/admin/api/2025-10/graphql.json", json={"query": "{ shop { name } }"}) for _ in range(12)
        )
        if r.status_code == 429
    )
    assert throttled.headers["retry-after"] == "2"
    assert shop.client.get("/_emulator/state").status_code == 200  # admin routes are never faulted
    shop.client.delete("/_emulator/faults")


def test_applied_but_response_lost(shop) -> None:
    shop.create_order()
    shop.client.put("/_emulator/faults", json={"seed": 1, "rate_lost_response": 1.0})
    with pytest.raises(httpx.RemoteProtocolError):
        shop.client.post(
            "/admin/api/2025-10/graphql.json",
            json={
                "query": 'mutation { tagsAdd(id: "gid://shopify/Order/450789469", tags: ["lost"]) { userErrors '
                "{ message } } }"
            },
        )
    shop.client.delete("/_emulator/faults")
    assert shop.client.get("/_emulator/orders/450789469").json()["order"]["tags"] == "lost"
