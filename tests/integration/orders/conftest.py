"""The order flow against the real emulators (F&O OData + Shopify Admin, served on 127.0.0.1) and
Azurite. Servers start once per module; every test resets both emulators and clears the order
tables, so tests stay independent."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from integration.clients.d365 import D365Client
from integration.clients.shopify import ShopifyAdmin
from integration.orders.products import ProductCache
from integration.orders.salesorder import OrderSettings
from integration.orders.service import OrderFlowConfig, OrderSync
from sandbox.emulators.d365.app import create_app as create_d365
from sandbox.emulators.serve import RunningServer, start_in_thread
from sandbox.emulators.shopify.app import create_app as create_shopify
from sandbox.harness.demo.sample_orders import erp_ready_order
from shared import tables
from shared.http import RetryPolicy
from shared.settings import SHOPIFY_API_VERSION_DEFAULT
from shared.storage import Storage

TABLES = (tables.ORDERS, tables.CUSTOMER_LINKS, tables.EXCEPTIONS, tables.MAPPINGS, tables.SYNC_STATE)


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
    shopify = ShopifyAdmin(shop_url, "shpat_local_dev", SHOPIFY_API_VERSION_DEFAULT, policy=policy)
    return OrderSync(storage, d365, shopify, OrderFlowConfig(OrderSettings("usmf")), ProductCache())


@pytest.fixture
def sync(clean_storage: Storage, admin: Admin, fo_server: RunningServer, shop_server: RunningServer) -> OrderSync:
    return make_sync(clean_storage, fo_server.url, shop_server.url)


# ERP-ready orders (tax as F&O computes it) come from the sandbox, shared with the demo and benchmarks.
good_order = erp_ready_order
