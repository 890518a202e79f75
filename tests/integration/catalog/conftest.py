"""The catalog sync against real servers: the F&O and Shopify Admin emulators over HTTP on
127.0.0.1 and Azurite for the state, checkpoint, exceptions and mappings tables."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import pytest

from integration.catalog.config import CatalogConfig, load_config
from integration.catalog.service import CatalogSync
from integration.clients.d365 import D365Client
from integration.clients.shopify import ShopifyAdmin
from sandbox.emulators.d365.app import create_app as create_d365
from sandbox.emulators.d365.config import D365EmulatorConfig
from sandbox.emulators.serve import RunningServer, start_in_thread
from sandbox.emulators.shopify.app import create_app as create_shopify
from sandbox.emulators.shopify.config import ShopifyEmulatorConfig
from shared import tables
from shared.http import RetryPolicy
from shared.storage import Storage

TOKEN = "shpat_local_dev"
D365_TOKEN = "local-dev-token"
API_VERSION = "2026-04"


@dataclass
class World:
    d365_url: str
    shop_url: str
    storage: Storage
    shop: httpx.Client
    clients: list[Any] = field(default_factory=list)
    records: int = 0

    def fo(self) -> D365Client:
        client = D365Client(self.d365_url, "usmf", lambda: D365_TOKEN, policy=RetryPolicy(attempts=4, base_delay=0.05))
        self.clients.append(client)
        return client

    def shopify(self, transport: httpx.BaseTransport | None = None) -> ShopifyAdmin:
        client = ShopifyAdmin(
            self.shop_url, TOKEN, API_VERSION, transport=transport, policy=RetryPolicy(attempts=4, base_delay=0.05)
        )
        self.clients.append(client)
        return client

    # -- F&O master data (written the way F&O users' imports do: through OData) -------------------
    def product(self, item: str, *, master: bool = True, state: str = "Released for sale", **more: Any) -> None:
        body = {
            "dataAreaId": "usmf",
            "ItemNumber": item,
            "ProductNumber": item,
            "ProductSubType": "ProductMaster" if master else "Product",
            "ProductType": "Item",
            "SearchName": item.lower(),
            "ProductLifecycleStateId": state,
            "SalesPrice": Decimal("20.00"),
            "SalesPriceQuantity": Decimal(1),
            "NetProductWeight": Decimal("0.5"),
            **more,
        }
        self.fo().create("ReleasedProductsV2", body)

    def update_product(self, item: str, **changes: Any) -> None:
        self.fo().update("ReleasedProductsV2", {"dataAreaId": "usmf", "ItemNumber": item}, changes)

    def variants(self, item: str, colors: list[str], sizes: list[str]) -> None:
        client = self.fo()
        for color in colors:
            for size in sizes:
                client.create(
                    "ReleasedProductVariantsV2",
                    {
                        "dataAreaId": "usmf",
                        "ProductMasterNumber": item,
                        "ItemNumber": item,
                        "ProductColorId": color,
                        "ProductSizeId": size,
                        "ProductVariantNumber": f"{item}-{color}-{size}",
                    },
                )

    def barcode(self, item: str, code: str, *, color: str = "", size: str = "", setup: str = "UPC") -> None:
        self.fo().create(
            "ProductBarcodesV3",
            {
                "dataAreaId": "usmf",
                "ItemNumber": item,
                "ProductColorId": color,
                "ProductSizeId": size,
                "BarcodeSetupId": setup,
                "Barcode": code,
                "ProductQuantity": Decimal(1),
                "ProductQuantityUnitSymbol": "ea",
                "IsDefaultDisplayedBarcode": "Yes",
            },
        )

    def agreement(
        self, item: str, price: str, *, group: str = "", currency: str = "USD", color: str = "", from_qty: int = 1
    ) -> int:
        self.records += 1
        self.fo().create(
            "SalesPriceAgreements",
            {
                "dataAreaId": "usmf",
                "RecordId": 5_637_000_000 + self.records,
                "ItemNumber": item,
                "ProductColorId": color,
                "PriceCustomerGroupCode": group,
                "PriceCurrencyCode": currency,
                "Price": Decimal(price),
                "SalesPriceQuantity": Decimal(1),
                "FromQuantity": Decimal(from_qty),
            },
        )
        return 5_637_000_000 + self.records

    def translation(self, product_number: str, language: str, name: str) -> None:
        # A shared (company-less) entity: the body has no dataAreaId (the client's create adds one).
        body = {"ProductNumber": product_number, "LanguageId": language, "ProductName": name}
        headers = {"Authorization": f"Bearer {D365_TOKEN}"}
        response = httpx.post(f"{self.d365_url}/data/ProductTranslations", json=body, headers=headers, timeout=30)
        assert response.status_code == 201, response.text

    # -- Shopify ---------------------------------------------------------------------------------------
    def catalog(self) -> dict[str, Any]:
        return self.shop.get("/_emulator/catalog").json()  # type: ignore[no-any-return]

    def products(self) -> dict[str, dict[str, Any]]:
        return {p["metafields"]["d365.product_number"]: p for p in self.catalog()["products"]}

    def product_sets(self) -> int:
        counts = self.shop.get("/_emulator/requests", params={"last": 0}).json()["counts"]
        return int(counts.get("graphql productSet", 0))

    def sync(self, config: CatalogConfig | None = None, shopify: ShopifyAdmin | None = None) -> CatalogSync:
        return CatalogSync(
            config or load_config(), self.storage, self.fo(), shopify or self.shopify(), legal_entity="usmf"
        )


def _clear(storage: Storage) -> None:
    for name in (
        tables.CATALOG_PRODUCTS,
        tables.EXCEPTIONS,
        tables.MAPPINGS,
        tables.CATALOG_SKUS,
        tables.INVENTORY_ITEMS,
        tables.INVENTORY_LEDGER,
        tables.INVENTORY_RUNS,
    ):
        table = storage.table(name)
        for row in table.query_entities("PartitionKey ne ''", select=["PartitionKey", "RowKey"]):
            table.delete_entity(row["PartitionKey"], row["RowKey"])


@pytest.fixture
def world(storage: Storage) -> Iterator[World]:
    _clear(storage)
    servers: list[RunningServer] = [
        start_in_thread(create_d365(D365EmulatorConfig())),
        start_in_thread(create_shopify(ShopifyEmulatorConfig())),
    ]
    d365_server, shop_server = servers
    w = World(d365_server.url, shop_server.url, storage, httpx.Client(base_url=shop_server.url, timeout=30))
    try:
        yield w
    finally:
        for client in w.clients:
            client.close()
        w.shop.close()
        for server in servers:
            server.stop()
