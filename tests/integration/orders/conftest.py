"""The order flow against the real emulators (F&O OData + Shopify Admin, served on 127.0.0.1) and
Azurite. Servers start once per module; every test resets both emulators and clears the order
tables, so tests stay independent."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import pytest

from integration.clients.d365 import D365Client
from integration.clients.shopify import ShopifyAdmin
from integration.orders.products import ProductCache
from integration.orders.salesorder import OrderSettings
from integration.orders.service import OrderFlowConfig, OrderSync
from sandbox.d365.app import create_app as create_d365
from sandbox.serve import RunningServer, start_in_thread
from sandbox.shopify.app import create_app as create_shopify
from shared.http import RetryPolicy
from shared.storage import Storage

TABLES = ("orders", "customerlinks", "exceptions", "mappings", "syncstate")
CENT = Decimal("0.01")


@pytest.fixture(scope="module")
def fo_server() -> Iterator[RunningServer]:
    server = start_in_thread(create_d365())
    yield server
    server.stop()


@pytest.fixture(scope="module")
def shop_server() -> Iterator[RunningServer]:
    server = start_in_thread(create_shopify())
    yield server
    server.stop()


class Admin:
    """The emulators' operator APIs."""

    def __init__(self, fo: str, shop: str) -> None:
        self.fo, self.shop = httpx.Client(base_url=fo, timeout=10), httpx.Client(base_url=shop, timeout=10)

    def fo_rows(self, set_name: str) -> list[dict[str, Any]]:
        return self.fo.get("/_emulator/state", params={"set": set_name}).json()["value"]

    def fo_requests(self) -> int:
        return int(self.fo.get("/_emulator/requests", params={"limit": 0}).json()["http_requests"])

    def fo_faults(self, **config: Any) -> None:
        self.fo.put("/_emulator/faults", json=config).raise_for_status()

    def shop_order(self, body: dict[str, Any]) -> dict[str, Any]:
        response = self.shop.post("/_emulator/orders", params={"webhook": "false"}, json={"order": body})
        response.raise_for_status()
        return response.json()["order"]

    def shop_summary(self, order_id: int) -> dict[str, Any]:
        return self.shop.get(f"/_emulator/orders/{order_id}").json()["summary"]


@pytest.fixture
def admin(fo_server: RunningServer, shop_server: RunningServer) -> Iterator[Admin]:
    a = Admin(fo_server.url, shop_server.url)
    a.fo.post("/_emulator/reset").raise_for_status()
    a.shop.post("/_emulator/reset").raise_for_status()
    a.fo_faults()
    a.fo.put("/_emulator/tax-groups", json={"TaxGroupCode": "KY", "Rate": "0.06"}).raise_for_status()
    yield a
    a.fo_faults()


@pytest.fixture
def clean_storage(storage: Storage) -> Storage:
    for name in TABLES:
        table = storage.table(name)
        for row in table.query_entities("PartitionKey ne ''", select=["PartitionKey", "RowKey"]):
            table.delete_entity(row["PartitionKey"], row["RowKey"])
    return storage


def make_sync(storage: Storage, fo_url: str, shop_url: str, attempts: int = 3) -> OrderSync:
    policy = RetryPolicy(attempts=attempts, base_delay=0.01, max_delay=0.05, max_retry_after=0.2, deadline=10)
    d365 = D365Client(fo_url, "usmf", lambda: "local-dev-token", policy=policy)
    shopify = ShopifyAdmin(shop_url, "shpat_local_dev", "2025-10", policy=policy)
    return OrderSync(storage, d365, shopify, OrderFlowConfig(OrderSettings("usmf")), ProductCache())


@pytest.fixture
def sync(clean_storage: Storage, admin: Admin, fo_server: RunningServer, shop_server: RunningServer) -> OrderSync:
    return make_sync(clean_storage, fo_server.url, shop_server.url)


def money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def good_order(lines: list[tuple[str, int, str, str]] | None = None, shipping: tuple[str, str] = ("Standard", "10.00"),
               state: str = "CA", tax_title: str = "CA State Tax", rate: str = "0.0725", customer_id: int = 501,
               email: str = "ada@example.com", phone: str = "+1 415 555 0100", order_number: int | None = None,
               ) -> dict[str, Any]:
    """A REST order whose tax is what F&O computes (rate x line amount, rounded per line, freight
    taxed too), so a correct mapping gives equal totals. lines: (sku, qty, unit price, line discount)."""
    lines = lines or [("IPOD2008GREEN", 2, "199.00", "10.00"), ("IPOD2008RED", 1, "199.00", "0.00")]
    r = Decimal(rate)
    items, gross, discounts, tax = [], Decimal(0), Decimal(0), Decimal(0)
    for sku, qty, price, discount in lines:
        amount = Decimal(price) * qty - Decimal(discount)
        line_tax = (amount * r).quantize(CENT, rounding=ROUND_HALF_UP)
        gross, discounts, tax = gross + Decimal(price) * qty, discounts + Decimal(discount), tax + line_tax
        items.append({"sku": sku, "quantity": qty, "price": price, "title": sku, "taxable": True,
                      "discount_allocations": [{"amount": discount, "discount_application_index": 0}]
                      if Decimal(discount) else [],
                      "tax_lines": [{"title": tax_title, "rate": rate, "price": money(line_tax)}]})
    ship_tax = (Decimal(shipping[1]) * r).quantize(CENT, rounding=ROUND_HALF_UP)
    tax += ship_tax
    total = gross - discounts + Decimal(shipping[1]) + tax
    address = {"first_name": "Ada", "last_name": "Lovelace", "address1": "1 Market St", "city": "San Francisco",
               "province_code": state, "zip": "94105", "country_code": "US", "country": "United States"}
    body: dict[str, Any] = {
        "currency": "USD", "email": email, "taxes_included": False,
        "customer": {"id": customer_id, "email": email, "phone": phone, "first_name": "Ada", "last_name": "Lovelace"},
        "shipping_address": address, "billing_address": address, "line_items": items,
        "shipping_lines": [{"title": shipping[0], "code": shipping[0], "price": shipping[1],
                            "tax_lines": [{"title": tax_title, "rate": rate, "price": money(ship_tax)}]}],
        "tax_lines": [{"title": tax_title, "rate": rate, "price": money(tax)}],
        "total_line_items_price": money(gross), "total_discounts": money(discounts), "total_tax": money(tax),
        "subtotal_price": money(gross - discounts), "total_price": money(total),
    }
    if order_number:
        body["order_number"] = order_number
    return body
