"""Fulfillment sync against the real emulators over HTTP on 127.0.0.1 and a real Azurite.

The Shopify and F&O emulators run once per module and are reset before every test. Order sync's
output (the F&O sales order and its order record with the line item -> lot link) is created here
directly in the shapes order sync produces, so these tests exercise only the fulfillment flow. Sales
order numbers and Shopify ids are unique per test because the Azurite tables live for the whole session.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from integration.clients.d365 import D365Client
from integration.clients.shopify import ShopifyAdmin
from integration.fulfillment.service import FulfillmentConfig, FulfillmentSync
from integration.orders.records import CREATED, OrderRecord, OrderRecords
from sandbox.emulators.d365 import D365EmulatorConfig
from sandbox.emulators.d365 import create_app as create_d365
from sandbox.emulators.serve import RunningServer, start_in_thread
from sandbox.emulators.shopify.app import create_app as create_shopify
from sandbox.emulators.shopify.config import ShopifyEmulatorConfig
from shared.http import RetryPolicy
from shared.settings import SHOPIFY_API_VERSION_DEFAULT
from shared.storage import Storage

SHOPIFY_TOKEN = "shpat_local_dev"
D365_TOKEN = "local-dev-token"
VERSION = SHOPIFY_API_VERSION_DEFAULT

_numbers = itertools.count(random.SystemRandom().randrange(100_000, 900_000) * 10)


@pytest.fixture(scope="module")
def shopify_server() -> Iterator[RunningServer]:
    running = start_in_thread(create_shopify(ShopifyEmulatorConfig()), name="shopify-emulator")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def d365_server() -> Iterator[RunningServer]:
    # Stock levels are not what these tests are about: let packing slips post without on-hand.
    running = start_in_thread(create_d365(D365EmulatorConfig(allow_negative_inventory=True)), name="d365-emulator")
    yield running
    running.stop()


@dataclass
class Order:
    shopify_id: int
    sales_order: str
    line_items: list[int]
    lots: list[str]


@dataclass
class World:
    shopify_url: str
    d365_url: str
    storage: Storage
    shopify_ops: httpx.Client
    d365_ops: httpx.Client
    d365: D365Client
    sleeps: list[float] = field(default_factory=list)

    def admin(self, transport: httpx.BaseTransport | None = None) -> ShopifyAdmin:
        policy = RetryPolicy(attempts=3, base_delay=0.01, max_retry_after=0.2, sleep=self.sleeps.append)
        return ShopifyAdmin(
            self.shopify_url, SHOPIFY_TOKEN, VERSION, transport=transport, policy=policy, timeout=httpx.Timeout(10.0)
        )

    def sync(self, *, admin: ShopifyAdmin | None = None, **config: Any) -> FulfillmentSync:
        return FulfillmentSync(self.storage, self.d365, admin or self.admin(), FulfillmentConfig(**config))

    def order(self, lines: list[tuple[str, int]], *, link: bool = True, freight: bool = False) -> Order:
        """A Shopify order and its F&O sales order (as order sync creates them), plus the order link.
        ``freight``: a last F&O line on the freight service item, linked as ``shipping:<id>`` like
        order sync links the Shopify shipping line (its lot is ``Order.lots[-1]``)."""
        number = next(_numbers)
        shopify_id, sales_order = 5_000_000_000_000 + number, f"SH{number}"
        line_ids = [shopify_id * 10 + index for index in range(1, len(lines) + 1)]
        body = {
            "id": shopify_id,
            "order_number": number,
            "line_items": [
                {"id": line_id, "sku": sku, "quantity": qty, "title": sku, "price": "10.00"}
                for line_id, (sku, qty) in zip(line_ids, lines, strict=True)
            ],
        }
        response = self.shopify_ops.post("/_emulator/orders", params={"webhook": "false"}, json=body)
        assert response.status_code == 201, response.text
        self.d365.create(
            "SalesOrderHeadersV2",
            {
                "SalesOrderNumber": sales_order,
                "OrderingCustomerAccountNumber": "US-002",
                "CustomerRequisitionNumber": str(shopify_id),
                "CustomersOrderReference": f"#{number}",
                "DefaultShippingSiteId": "1",
                "DefaultShippingWarehouseId": "11",
            },
        )
        lots = [f"{sales_order}-{index}" for index in range(1, len(lines) + 1)]
        for lot, (sku, qty) in zip(lots, lines, strict=True):
            self.d365.create(
                "SalesOrderLines",
                {
                    "SalesOrderNumber": sales_order,
                    "ItemNumber": sku,
                    "OrderedSalesQuantity": qty,
                    "InventoryLotId": lot,
                    "ShippingSiteId": "1",
                    "ShippingWarehouseId": "11",
                },
            )
        line_lots = {str(line_id): [lot] for line_id, lot in zip(line_ids, lots, strict=True)}
        if freight:
            lot = f"{sales_order}-F"
            self.d365.create(
                "SalesOrderLines",
                {
                    "SalesOrderNumber": sales_order,
                    "ItemNumber": "FREIGHT",
                    "OrderedSalesQuantity": 1,
                    "InventoryLotId": lot,
                    "ShippingSiteId": "1",
                    "ShippingWarehouseId": "11",
                },
            )
            lots.append(lot)
            line_lots[f"shipping:{shopify_id * 10}"] = [lot]
        if link:  # order sync's record, in its shape
            OrderRecords(self.storage).save(
                OrderRecord(str(shopify_id), f"#{number}", sales_order, CREATED, line_lots=line_lots)
            )
        return Order(shopify_id, sales_order, line_ids, lots)

    def post_slip(
        self,
        order: Order,
        lines: list[tuple[int, int]] | None = None,
        tracking: list[str] | None = None,
        tracking_url: str = "",
    ) -> str:
        """Post a packing slip in F&O (operator API): ``lines`` = (line index, quantity); all when None."""
        body: dict[str, Any] = {
            "tracking_numbers": tracking if tracking is not None else ["794611110000"],
            "tracking_url": tracking_url,
        }
        if lines is not None:
            body["lines"] = [{"InventoryLotId": order.lots[index], "Quantity": qty} for index, qty in lines]
        response = self.d365_ops.post(f"/_emulator/sales-orders/{order.sales_order}/packing-slip", json=body)
        assert response.status_code == 201, response.text
        return str(response.json()["PackingSlipId"])

    def replace_tracking(self, order: Order, slip: str, new_number: str) -> None:
        """Correct a packing slip's tracking number in F&O: every field of the tracking entity but the
        URL is key, so a correction is a delete of the old row and an insert of the new one."""
        rows = self.d365.get(
            "PackingSlipTrackingInformation",
            filter=f"SalesOrderNumber eq '{order.sales_order}' and PackingSlipNumber eq '{slip}'",
        )
        headers = {"Authorization": f"Bearer {D365_TOKEN}"}
        for row in rows:
            key = (
                f"dataAreaId='usmf',SalesOrderNumber='{order.sales_order}',PackingSlipNumber='{slip}',"
                f"DeliveryDate={row['DeliveryDate']},TrackingNumber='{row['TrackingNumber']}'"
            )
            response = self.d365_ops.delete(
                f"/data/PackingSlipTrackingInformation({key})", params={"cross-company": "true"}, headers=headers
            )
            assert response.status_code == 204, response.text
        self.d365.create(
            "PackingSlipTrackingInformation",
            {
                "SalesOrderNumber": order.sales_order,
                "PackingSlipNumber": slip,
                "DeliveryDate": rows[0]["DeliveryDate"],
                "TrackingNumber": new_number,
            },
        )

    def shopify_order(self, order: Order) -> dict[str, Any]:
        response = self.shopify_ops.get(f"/_emulator/orders/{order.shopify_id}")
        assert response.status_code == 200, response.text
        return response.json()["summary"]

    def d365_order_status(self, order: Order) -> tuple[str, str]:
        header = self.d365.get("SalesOrderHeadersV2", {"SalesOrderNumber": order.sales_order})
        return str(header["SalesOrderStatus"]), str(header["SalesOrderProcessingStatus"])


@pytest.fixture
def world(shopify_server: RunningServer, d365_server: RunningServer, storage: Storage) -> Iterator[World]:
    with (
        httpx.Client(base_url=shopify_server.url, timeout=10) as shopify_ops,
        httpx.Client(base_url=d365_server.url, timeout=10) as d365_ops,
    ):
        for ops in (shopify_ops, d365_ops):
            assert ops.post("/_emulator/reset").status_code == 200
            ops.delete("/_emulator/faults")
        # Run-time switches survive a reset: put back the defaults another test may have changed.
        shopify_ops.put("/_emulator/settings", json={"split_locations": False})
        policy = RetryPolicy(attempts=2, sleep=lambda _s: None)
        d365 = D365Client(d365_server.url, "usmf", lambda: D365_TOKEN, policy=policy)
        yield World(shopify_server.url, d365_server.url, storage, shopify_ops, d365_ops, d365)
        d365.close()
