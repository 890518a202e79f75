"""Payments fixtures: the F&O and Shopify emulators over real HTTP (shared with the refund tests), an
invoiced sales order, Shopify transactions added through the Shopify emulator's operator API."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from integration.clients.d365 import D365Client
from integration.clients.shopify import ShopifyAdmin
from integration.payments.config import load_config
from integration.payments.service import PaymentSync
from shared.storage import Storage
from tests.integration.refunds.conftest import (  # noqa: F401  (fixtures)
    Sale,
    clock,
    d365,
    d365_server,
    make_sale,
    service,
    shopify,
    shopify_server,
)


@pytest.fixture
def payments(d365: D365Client, shopify: ShopifyAdmin, storage: Storage) -> PaymentSync:  # noqa: F811
    return PaymentSync(storage, d365, shopify, load_config("config/payments.json"))


def add_transactions(sale: Sale, *items: dict[str, Any]) -> list[str]:
    response = httpx.post(f"{sale.shopify_url}/_emulator/orders/{sale.order_id}/transactions", json=list(items))
    assert response.status_code == 201, response.text
    return [str(t["id"]) for t in response.json()["transactions"]]


def invoiced_sale(d365: D365Client, d365_url: str, shopify_url: str) -> tuple[Sale, Decimal, str]:  # noqa: F811
    sale = make_sale(d365, d365_url, shopify_url)
    invoice = sale.invoice()
    return sale, Decimal(str(invoice["TotalInvoiceAmount"])), str(invoice["InvoiceNumber"])
