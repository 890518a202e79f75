# ruff: noqa: F811  (pytest fixtures imported from the refund tests are parameters here)
"""Quote-to-order matching by the cart key: the carrier-rate callback and the order it became share the
destination and the shippable items, so the quote the shopper saw is found even when a later quote for
another cart in the same area exists; without a cart quote the audit says it guessed by area."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from integration.clients.d365 import D365Client
from integration.clients.shopify import ShopifyAdmin
from integration.rates.quotes import QuoteRecorder, quote_row, rate_cart_key
from integration.rates.request import parse_rate_request
from sandbox.emulators.serve import RunningServer
from shared.settings import reset_settings_cache
from shared.storage import Storage
from tests.integration.freight.test_freight_audit import call, env, shipped  # noqa: F401
from tests.integration.refunds.conftest import d365, d365_server, make_sale, shopify, shopify_server  # noqa: F401


def callback(order: dict) -> bytes:
    """The carrier-rate callback Shopify sent for this cart (destination and items as in the order)."""
    address = order["shipping_address"]
    return json.dumps(
        {
            "rate": {
                "origin": {"country": "US", "postal_code": "38017", "city": "Collierville"},
                "destination": {"country": address["country_code"], "postal_code": address["zip"],
                                "address1": f"  {address['address1'].upper()} ", "city": address.get("city")},
                "items": [{"name": li["title"], "sku": li["sku"], "quantity": li["quantity"], "grams": 500,
                           "price": 1000, "requires_shipping": True, "variant_id": li.get("variant_id")}
                          for li in order["line_items"]],
                "currency": "USD",
                "locale": "en",
            }
        }
    ).encode()  # fmt: skip


def store_quote(storage: Storage, order: dict, cents: int, minutes_ago: int, cart: str) -> None:
    at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    address = order["shipping_address"]
    row = quote_row(
        source="live", reason="", latency_ms=1.0, body={"rates": [{"service_code": "GROUND", "total_price": cents}]},
        destination_country=address["country_code"], destination_postal=address["zip"], currency="USD",
        correlation_id="test", cart=cart, at=at,
    )  # fmt: skip
    recorder = QuoteRecorder(lambda: storage, interval_s=3600)
    recorder.add(row)
    recorder.flush()


def test_the_quote_of_the_same_cart_wins_over_a_later_one_in_the_area(
    env: None,
    monkeypatch: pytest.MonkeyPatch,
    storage: Storage,
    d365: D365Client,
    shopify: ShopifyAdmin,
    d365_server: RunningServer,
    shopify_server: RunningServer,
) -> None:
    monkeypatch.setenv("REDACTION_KEY", "test-redaction-key-0123456789abcdef")
    reset_settings_cache()
    address = {"address1": "12 Market Street", "city": "New York", "zip": "10001", "country_code": "US",
               "province_code": "NY", "first_name": "Ada", "last_name": "Byron"}  # fmt: skip
    mine, other = (
        make_sale(d365, d365_server.url, shopify_server.url, extra={"shipping_address": address | {"address1": street}})
        for street in ("12 Market Street", "40 Pine Street")  # same area, another cart
    )
    for sale in (mine, other):
        sale.invoice()
        shipped(storage, sale, f"Q{sale.order_id}")
    order = shopify.get_order(mine.order_id)
    assert order is not None and order["shipping_address"]["address1"]
    key = rate_cart_key(parse_rate_request(callback(order)))
    assert key and len(key) == 32 and order["shipping_address"]["address1"].lower() not in key
    store_quote(storage, order, 1250, 10, key)  # what this shopper saw
    store_quote(storage, order, 990, 2, "someone-elses-cart")  # a later quote, same area, another cart
    status, result = call(storage, "POST", "freight/audit")
    assert status == 200, result
    status, rep = call(storage, "GET", "money/freight", top="100")
    lines = {line["order_id"]: line for line in rep["lines"]}
    assert (lines[str(mine.order_id)]["quoted"], lines[str(mine.order_id)]["quote_match"]) == ("12.50", "cart")
    # The other order's cart was never quoted: the audit falls back to the area and says so.
    assert (lines[str(other.order_id)]["quoted"], lines[str(other.order_id)]["quote_match"]) == ("9.90", "area")
