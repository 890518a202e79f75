"""Refund-flow fixtures: the F&O and Shopify emulators over real HTTP, a sales order mirrored into
F&O the way order sync writes it, and invoices posted through the F&O emulator's operator API."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import pytest

from integration.clients.d365 import BatchOp, D365Client
from integration.clients.shopify import ShopifyAdmin
from integration.refunds.config import RefundConfig
from integration.refunds.service import RefundService
from sandbox.emulators.d365.app import create_app as create_d365
from sandbox.emulators.d365.config import D365EmulatorConfig
from sandbox.emulators.serve import RunningServer, start_in_thread
from sandbox.emulators.shopify.app import create_app as create_shopify
from sandbox.emulators.shopify.config import ShopifyEmulatorConfig
from shared.http import RetryPolicy
from shared.settings import SHOPIFY_API_VERSION_DEFAULT
from shared.storage import Storage

FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05, deadline=10)
_ids = itertools.count(random.randint(1, 10_000) * 1000)


@pytest.fixture(scope="module")
def d365_server() -> Iterator[RunningServer]:
    server = start_in_thread(create_d365(D365EmulatorConfig()), name="d365-emulator")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def shopify_server() -> Iterator[RunningServer]:
    server = start_in_thread(create_shopify(ShopifyEmulatorConfig()), name="shopify-emulator")
    yield server
    server.stop()


@pytest.fixture
def d365(d365_server: RunningServer) -> Iterator[D365Client]:
    httpx.post(f"{d365_server.url}/_emulator/reset").raise_for_status()
    httpx.delete(f"{d365_server.url}/_emulator/faults")
    client = D365Client(d365_server.url, "usmf", lambda: "local-dev-token", policy=FAST)
    yield client
    client.close()


@pytest.fixture
def shopify(shopify_server: RunningServer) -> Iterator[ShopifyAdmin]:
    client = ShopifyAdmin(shopify_server.url, "shpat_local_dev", SHOPIFY_API_VERSION_DEFAULT, policy=FAST)
    yield client
    client.close()


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2025, 6, 1, 12, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, hours: float) -> None:
        self.at += timedelta(hours=hours)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(d365: D365Client, shopify: ShopifyAdmin, storage: Storage, clock: Clock) -> RefundService:
    return RefundService(
        d365, shopify, storage, RefundConfig(retry_base_s=1, retry_max_s=4, wait_horizon_s=3600), now=clock
    )


CENT = Decimal("0.01")
CA_RATE = Decimal("0.0725")


def tax(amount: Decimal) -> Decimal:
    return (amount * CA_RATE).quantize(CENT, rounding=ROUND_HALF_UP)


def _money(amount: Decimal, currency: str = "USD") -> dict[str, Any]:
    text = f"{amount:.2f}"
    return {
        "shop_money": {"amount": text, "currency_code": currency},
        "presentment_money": {"amount": text, "currency_code": currency},
    }


@dataclass
class Sale:
    """One Shopify order in the Shopify emulator, mirrored into F&O (CA tax 7.25 % on goods and freight)."""

    d365_url: str
    shopify_url: str
    d365: D365Client
    order_id: int
    number: str
    lines: list[dict[str, Any]]
    shipping_id: int
    shipping: Decimal
    lots: dict[str, str] = field(default_factory=dict)  # OrderLineReference -> InventoryLotId

    def invoice(self, lines: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        body = {"lines": lines} if lines else {}
        response = httpx.post(f"{self.d365_url}/_emulator/sales-orders/{self.number}/invoice", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def line_id(self, index: int) -> int:
        return int(self.lines[index]["id"])

    def refund_body(
        self,
        items: Sequence[tuple[int, int, str]] = (),
        shipping: Decimal | None = None,
        status: str = "success",
        refund_id: int | None = None,
    ) -> dict[str, Any]:
        """A refunds/create body as Shopify computes it: (line index, quantity, restock_type)."""
        refund_id = refund_id or next(_ids)
        rows, total = [], Decimal(0)
        for index, quantity, restock in items:
            line = self.lines[index]
            subtotal = Decimal(line["price"]) * quantity
            line_tax = (Decimal(line["tax_lines"][0]["price"]) * quantity / int(line["quantity"])).quantize(
                CENT, rounding=ROUND_HALF_UP
            )
            total += subtotal + line_tax
            rows.append(
                {
                    "id": next(_ids),
                    "line_item_id": line["id"],
                    "quantity": quantity,
                    "restock_type": restock,
                    "subtotal_set": _money(subtotal),
                    "total_tax_set": _money(line_tax),
                    "line_item": {"id": line["id"], "sku": line["sku"], "quantity": line["quantity"]},
                }
            )
        shipping_rows = []
        if shipping is not None:
            shipping_tax = tax(shipping)
            total += shipping + shipping_tax
            shipping_rows.append(
                {
                    "id": next(_ids),
                    "shipping_line_id": self.shipping_id,
                    "subtotal_amount_set": _money(shipping),
                    "tax_amount_set": _money(shipping_tax),
                }
            )
        return {
            "id": refund_id,
            "order_id": self.order_id,
            "admin_graphql_api_id": f"gid://shopify/Refund/{refund_id}",
            "refund_line_items": rows,
            "refund_shipping_lines": shipping_rows,
            "order_adjustments": [],
            "transactions": [
                {
                    "id": next(_ids),
                    "kind": "refund",
                    "status": status,
                    "amount": f"{total:.2f}",
                    "currency": "USD",
                    "gateway": "manual",
                }
            ],
        }


ITEMS = [("IPOD2008BLACK", 2, Decimal("100.00")), ("TSHIRT-1", 3, Decimal("20.00"))]


def make_sale(
    d365: D365Client,
    d365_url: str,
    shopify_url: str,
    items: list[tuple[str, int, Decimal]] = ITEMS,
    shipping: Decimal = Decimal("10.00"),
    in_fo: bool = True,
    extra: dict[str, Any] | None = None,
) -> Sale:
    shipping_id = next(_ids)
    body = {
        "order": {
            "line_items": [
                {
                    "sku": sku,
                    "quantity": qty,
                    "price": f"{price:.2f}",
                    "title": sku,
                    "tax_lines": [{"title": "CA State Tax", "rate": 0.0725, "price": f"{tax(price * qty):.2f}"}],
                }
                for sku, qty, price in items
            ],
            "shipping_lines": [
                {
                    "id": shipping_id,
                    "title": "Ground",
                    "code": "GROUND",
                    "price": f"{shipping:.2f}",
                    "tax_lines": [{"title": "CA State Tax", "rate": 0.0725, "price": f"{tax(shipping):.2f}"}],
                }
            ],
            "financial_status": "paid",
            **(extra or {}),
        }
    }
    response = httpx.post(f"{shopify_url}/_emulator/orders?webhook=false", json=body)
    assert response.status_code == 201, response.text
    order = response.json()["order"]
    sale = Sale(
        d365_url,
        shopify_url,
        d365,
        int(order["id"]),
        f"SH{order['order_number']}",
        order["line_items"],
        shipping_id,
        shipping,
    )
    if in_fo:
        mirror_in_fo(sale, str(order["name"]))
    return sale


def mirror_in_fo(sale: Sale, name: str) -> None:
    """Header + lines in one changeset, with the fields order sync writes (see integration/orders)."""
    date = "2025-06-01T12:00:00Z"
    header = {
        "SalesOrderNumber": sale.number,
        "OrderingCustomerAccountNumber": "US-001",
        "InvoiceCustomerAccountNumber": "US-001",
        "CurrencyCode": "USD",
        "CustomersOrderReference": name,
        "CustomerRequisitionNumber": str(sale.order_id),
        "RequestedShippingDate": date,
        "SalesTaxGroupCode": "CA",
        "SkipCreateAutoCharges": "Yes",
        "DefaultShippingSiteId": "1",
        "DefaultShippingWarehouseId": "11",
    }
    common = {
        "SalesOrderNumber": sale.number,
        "SalesTaxGroupCode": "CA",
        "ShippingSiteId": "1",
        "ShippingWarehouseId": "11",
        "RequestedShippingDate": date,
    }
    lines = [
        {
            **common,
            "ItemNumber": li["sku"],
            "OrderedSalesQuantity": li["quantity"],
            "SalesPrice": Decimal(li["price"]),
            "LineDiscountAmount": Decimal(0),
            "LineAmount": Decimal(li["price"]) * li["quantity"],
            "OrderLineReference": str(li["id"]),
            "CustomersLineNumber": i,
        }
        for i, li in enumerate(sale.lines, start=1)
    ]
    lines.append(
        {
            **common,
            "ItemNumber": "FREIGHT",
            "OrderedSalesQuantity": 1,
            "SalesPrice": sale.shipping,
            "LineDiscountAmount": Decimal(0),
            "LineAmount": sale.shipping,
            "OrderLineReference": f"shipping:{sale.shipping_id}",
        }
    )
    sale.d365.batch(
        [BatchOp("POST", "SalesOrderHeadersV2", header)] + [BatchOp("POST", "SalesOrderLines", line) for line in lines]
    )
    for row in sale.d365.query("SalesOrderLines", filter=f"SalesOrderNumber eq '{sale.number}'"):
        sale.lots[row["OrderLineReference"]] = row["InventoryLotId"]


@pytest.fixture
def sale(d365: D365Client, d365_server: RunningServer, shopify_server: RunningServer) -> Sale:
    return make_sale(d365, d365_server.url, shopify_server.url)
