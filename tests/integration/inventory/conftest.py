"""The inventory push against real servers: the F&O and Shopify Admin emulators over HTTP on
127.0.0.1 and Azurite for the ledger, cache, lease and checkpoint tables."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from integration.clients.d365 import D365Client
from integration.clients.shopify import ShopifyAdmin
from integration.inventory.config import InventoryConfig, parse_config
from integration.inventory.service import InventorySync, Summary
from sandbox.emulators.d365.app import create_app as create_d365
from sandbox.emulators.d365.config import D365EmulatorConfig
from sandbox.emulators.serve import RunningServer, start_in_thread
from sandbox.emulators.shopify.app import create_app as create_shopify
from sandbox.emulators.shopify.config import ShopifyEmulatorConfig
from shared import tables
from shared.http import RetryPolicy
from shared.settings import SHOPIFY_API_VERSION_DEFAULT
from shared.storage import Storage

TOKEN = "shpat_local_dev"
D365_TOKEN = "local-dev-token"
# Seeded F&O items (sandbox/emulators/d365/seed.py): 1000 in warehouse 11, 100 in 12 and 21.
SKUS = ["IPOD2008GREEN", "IPOD2008BLACK", "SNOWBOARD-GREEN"]
BASE_CONFIG: dict[str, Any] = {
    "locations": [
        {"shopify_location": "Main Warehouse", "warehouses": [{"site": "1", "warehouse": "11"}, "12"]},
        {"shopify_location": "East Warehouse", "warehouses": ["21"]},
    ],
}


@dataclass
class World:
    d365_url: str
    shop_url: str
    storage: Storage
    shop: httpx.Client
    fo: httpx.Client
    clients: list[Any] = field(default_factory=list)

    # -- Shopify emulator ------------------------------------------------------------------------
    def locations(self) -> dict[str, int]:
        return {loc["name"]: loc["id"] for loc in self.shop.get("/_emulator/state").json()["locations"]}

    def add_items(self, skus: list[str], on_hand: int = 0) -> None:
        for sku in skus:
            response = self.shop.post("/_emulator/inventory_items", json={"sku": sku, "on_hand": on_hand})
            assert response.status_code == 201, response.text

    def levels(self) -> dict[tuple[str, str], dict[str, int]]:
        """(sku, location name) -> {available, on_hand, committed}."""
        state = self.shop.get("/_emulator/state").json()
        names = {loc["id"]: loc["name"] for loc in state["locations"]}
        return {
            (row["sku"], names[row["location_id"]]): {k: row[k] for k in ("available", "on_hand", "committed")}
            for row in state["inventory"]
        }

    def shopify_log(self) -> dict[str, Any]:
        return self.shop.get("/_emulator/requests", params={"last": 0}).json()

    def mutations(self) -> int:
        return self.shopify_log()["counts"].get("graphql inventorySetQuantities", 0)

    def clear_logs(self) -> None:
        self.shop.delete("/_emulator/requests")
        self.fo.delete("/_emulator/requests")

    # -- F&O emulator ------------------------------------------------------------------------------
    def set_on_hand(self, item: str, warehouse: str, quantity: int | str, **more: Any) -> None:
        body = {"ItemNumber": item, "InventoryWarehouseId": warehouse, "OnHandQuantity": quantity, **more}
        response = self.fo.put("/_emulator/on-hand", json=[body])
        assert response.status_code == 200, response.text

    # -- the integration ---------------------------------------------------------------------------
    def sync(
        self,
        config: dict[str, Any] | InventoryConfig | None = None,
        *,
        api_version: str = SHOPIFY_API_VERSION_DEFAULT,
        shopify: ShopifyAdmin | None = None,
    ) -> InventorySync:
        parsed = config if isinstance(config, InventoryConfig) else parse_config({**BASE_CONFIG, **(config or {})})
        d365 = D365Client(self.d365_url, "usmf", lambda: D365_TOKEN, policy=RetryPolicy(attempts=4, base_delay=0.05))
        shopify = shopify or self.shopify(api_version)
        self.clients += [d365, shopify]
        return InventorySync(parsed, self.storage, d365, shopify, legal_entity="usmf")

    def shopify(
        self, api_version: str = SHOPIFY_API_VERSION_DEFAULT, transport: httpx.BaseTransport | None = None
    ) -> ShopifyAdmin:
        return ShopifyAdmin(
            self.shop_url, TOKEN, api_version, transport=transport, policy=RetryPolicy(attempts=4, base_delay=0.05)
        )

    def run(self, config: dict[str, Any] | None = None, full: bool = False, **kwargs: Any) -> Summary:
        return self.sync(config, **kwargs).run(full=full)


Hook = Callable[[httpx.Request, "httpx.Response | None"], None]


class Wire(httpx.BaseTransport):
    """A real HTTP transport with hooks around each GraphQL mutation: what happens on the network
    or beside us (another writer, a lost response, a dying worker), not a fake of our code."""

    def __init__(self, before: Hook | None = None, after: Hook | None = None) -> None:
        self.inner = httpx.HTTPTransport()
        self.before, self.after = before, after
        self.mutations = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        is_mutation = b'"query": "mutation' in request.content or b'"query":"mutation' in request.content
        if is_mutation:
            self.mutations += 1
            if self.before:
                self.before(request, None)
        response = self.inner.handle_request(request)
        if is_mutation and self.after:
            response.read()
            self.after(request, response)
        return response

    def close(self) -> None:
        self.inner.close()


def _clear(storage: Storage) -> None:
    for name in (tables.INVENTORY_ITEMS, tables.INVENTORY_LEDGER, tables.INVENTORY_RUNS):
        table = storage.table(name)
        for row in table.query_entities("PartitionKey ne ''", select=["PartitionKey", "RowKey"]):
            table.delete_entity(row["PartitionKey"], row["RowKey"])


@pytest.fixture
def shop_config() -> ShopifyEmulatorConfig:
    return ShopifyEmulatorConfig()


@pytest.fixture
def world(storage: Storage, shop_config: ShopifyEmulatorConfig) -> Iterator[World]:
    _clear(storage)
    servers: list[RunningServer] = [
        start_in_thread(create_d365(D365EmulatorConfig())),
        start_in_thread(create_shopify(shop_config)),
    ]
    d365_server, shop_server = servers
    w = World(
        d365_server.url,
        shop_server.url,
        storage,
        httpx.Client(base_url=shop_server.url, timeout=30),
        httpx.Client(base_url=d365_server.url, timeout=30),
    )
    try:
        yield w
    finally:
        for client in w.clients:
            client.close()
        w.shop.close()
        w.fo.close()
        for server in servers:
            server.stop()
