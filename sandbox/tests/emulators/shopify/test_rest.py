"""The REST subset: exact stored order, Link-header pagination, refunds, call-limit bucket."""

from __future__ import annotations

import re

import httpx

from .conftest import sample

API = "/admin/api/2025-10"


def _orders(shop, count: int) -> list[int]:
    base = sample("shopify_python_api__fixtures__order.json")["order"]
    ids = []
    for n in range(count):
        order = {
            **base,
            "id": 5000 + n,
            "name": f"#{3000 + n}",
            "order_number": 3000 + n,
            "updated_at": f"2025-03-{n + 1:02d}T08:00:00+00:00",
        }
        ids.append(shop.create_order(order)["order"]["id"])
    return ids


def _next(link: str | None) -> str | None:
    match = re.search(r'<([^>]+)>; rel="next"', link or "")
    return match[1] if match else None


def test_get_order_returns_exactly_the_stored_rest_order(shop) -> None:
    created = shop.create_order(sample("itakastudio__orders_create__line_item_discount.json"))["order"]
    response = shop.client.get(f"{API}/orders/6200354537772.json")
    assert response.status_code == 200
    assert response.json() == {"order": created}
    original = sample("itakastudio__orders_create__line_item_discount.json")
    assert response.json()["order"]["total_price_set"] == original["total_price_set"]
    assert (
        response.json()["order"]["line_items"][0]["discount_allocations"]
        == original["line_items"][0]["discount_allocations"]
    )
    assert re.fullmatch(r"\d+/40", response.headers["x-shopify-shop-api-call-limit"])
    trimmed = shop.client.get(f"{API}/orders/6200354537772.json", params={"fields": "id,name"}).json()
    assert trimmed == {"order": {"id": 6200354537772, "name": "#1069"}}


def test_unknown_order_404_and_token_required(shop) -> None:
    assert shop.client.get(f"{API}/orders/1.json").status_code == 404
    response = httpx.get(f"{shop.url}{API}/orders/1.json")
    assert response.status_code == 401
    assert response.json()["errors"].startswith("[API] Invalid API key or access token")


def test_list_orders_paginates_with_link_header(shop) -> None:
    ids = _orders(shop, 5)
    url: str | None = f"{shop.url}{API}/orders.json?status=any&limit=2&updated_at_min=2025-03-02T00:00:00Z"
    seen, pages = [], 0
    while url and pages < 10:
        response = shop.client.get(url)
        assert response.status_code == 200
        seen += [o["id"] for o in response.json()["orders"]]
        if pages == 1:
            assert 'rel="previous"' in response.headers["link"]
        url, pages = _next(response.headers.get("link")), pages + 1
    assert seen == ids[1:] and pages == 2
    count = shop.client.get(f"{API}/orders/count.json", params={"status": "any"}).json()
    assert count == {"count": 5}


def test_list_orders_status_filter_and_sorting(shop) -> None:
    ids = _orders(shop, 3)
    shop.client.post(f"/_emulator/orders/{ids[0]}/cancel", json={"reason": "customer"})
    open_only = shop.client.get(f"{API}/orders.json").json()["orders"]
    assert [o["id"] for o in open_only] == ids[1:]
    cancelled = shop.client.get(f"{API}/orders.json", params={"status": "cancelled"}).json()["orders"]
    assert [o["id"] for o in cancelled] == ids[:1]
    newest_first = shop.client.get(f"{API}/orders.json", params={"status": "any", "order": "updated_at desc"})
    assert newest_first.json()["orders"][0]["id"] == ids[0]  # cancel touched updated_at
    assert shop.client.get(f"{API}/orders.json", params={"limit": 300}).status_code == 400


def test_refunds_list(shop) -> None:
    shop.create_order()
    shop.client.post(
        "/_emulator/orders/450789469/refunds",
        json={"refund_line_items": [{"line_item_id": 703073504, "quantity": 1, "restock_type": "cancel"}]},
    )
    refunds = shop.client.get(f"{API}/orders/450789469/refunds.json").json()["refunds"]
    assert len(refunds) == 1 and refunds[0]["order_id"] == 450789469


def test_rest_bucket_429_with_retry_after_then_leaks(make_shop) -> None:
    small = make_shop(rest_bucket_size=3, rest_leak_rate=1)
    limits = [small.client.get(f"{API}/orders.json").headers["x-shopify-shop-api-call-limit"] for _ in range(3)]
    assert limits == ["1/3", "2/3", "3/3"]
    throttled = small.client.get(f"{API}/orders.json")
    assert throttled.status_code == 429
    assert float(throttled.headers["retry-after"]) >= 1
    assert "Exceeded 2 calls per second" in throttled.json()["errors"]
    small.clock.advance(1)
    again = small.client.get(f"{API}/orders.json")
    assert again.status_code == 200 and again.headers["x-shopify-shop-api-call-limit"] == "3/3"
    assert small.client.get("/_emulator/requests").json()["counts"]["rest GET orders"] == 5
