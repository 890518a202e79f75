"""End to end through the local host: a signed orders/create webhook -> the order queue -> an F&O
sales order in the F&O emulator -> the Shopify order tagged in the Shopify emulator."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from sandbox.host.process import HostProcess
from tests.e2e.conftest import deliver, flows_stack
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
    deliver(host, "orders/create", order, copies=2)  # a duplicate delivery is absorbed
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
