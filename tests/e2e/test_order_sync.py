"""End to end through the local host: a signed orders/create webhook -> the order queue -> an F&O
sales order in the F&O emulator -> the Shopify order tagged in the Shopify emulator."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from integration.webhooks.signature import sign
from sandbox.host.process import HostProcess
from tests.conftest import SHOP, WEBHOOK_SECRET
from tests.e2e.conftest import flows_stack
from tests.integration.orders.conftest import good_order

pytestmark = [pytest.mark.e2e, pytest.mark.azurite]


@pytest.fixture(scope="module")
def stack(azurite: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HostProcess, str, str]]:
    with flows_stack(azurite, tmp_path_factory.mktemp("orders-host"), D365_ORDER_NUMBER_PREFIX="E2E") as stack:
        yield stack


def test_signed_webhook_becomes_an_fo_sales_order_and_a_shopify_tag(stack) -> None:
    host, fo_url, shop_url = stack
    unique = int(time.time() * 1000)  # Azurite outlives the emulators: keep ids unused
    body_in = good_order(order_number=4711, customer_id=unique % 10**9) | {"id": unique}
    order = httpx.post(
        f"{shop_url}/_emulator/orders", params={"webhook": "false"}, json={"order": body_in}, timeout=10
    ).json()["order"]
    body = json.dumps(order).encode()
    headers = {
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Hmac-Sha256": sign(body, WEBHOOK_SECRET),
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        "X-Shopify-Event-Id": str(uuid.uuid4()),
        "X-Shopify-API-Version": "2026-10",
        "Content-Type": "application/json",
    }
    for _ in range(2):  # a duplicate delivery is absorbed
        assert (
            httpx.post(f"{host.url}/api/shopify/webhooks", content=body, headers=headers, timeout=10).status_code == 200
        )
    host.wait_for(lambda text: "order.synced" in text and "E2E4711" in text, what="the order synced to F&O")
    deadline = time.monotonic() + 30
    tags = ""
    while time.monotonic() < deadline and "D365-SO-E2E4711" not in tags:
        tags = httpx.get(f"{shop_url}/_emulator/orders/{order['id']}", timeout=10).json()["summary"]["tags"] or ""
        time.sleep(0.2)
    assert "D365-synced" in tags and "D365-SO-E2E4711" in tags
    headers_fo = httpx.get(f"{fo_url}/_emulator/state", params={"set": "SalesOrderHeadersV2"}, timeout=10).json()
    assert [h["SalesOrderNumber"] for h in headers_fo["value"]] == ["E2E4711"]
    assert str(headers_fo["value"][0]["OrderTotalAmount"]) == order["total_price"]
