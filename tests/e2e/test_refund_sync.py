"""End to end through the local host: an order synced by the order flow and invoiced in F&O, then a
signed refunds/create webhook -> the refunds queue -> exactly one F&O credit note (return order) linked
to the invoiced lines, tax and shipping reversed, totals equal to Shopify's, visible in the ops API and
written back to the Shopify order."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from sandbox.host.process import HostProcess
from tests.e2e.conftest import deliver, flows_stack
from tests.integration.orders.conftest import good_order

pytestmark = [pytest.mark.e2e, pytest.mark.azurite]
FUNCTION_KEY = "refund-e2e-key"


@pytest.fixture(scope="module")
def stack(azurite: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HostProcess, str, str]]:
    with flows_stack(
        azurite,
        tmp_path_factory.mktemp("refunds-host"),
        D365_ORDER_NUMBER_PREFIX="E2R",
        D365_RETURN_NUMBER_PREFIX="RF",
        LOCAL_HOST_FUNCTION_KEY=FUNCTION_KEY,
        # No timer polls F&O or Shopify while a test counts the refund's requests.
        **dict.fromkeys(
            (
                "INVENTORY_SYNC_SCHEDULE",
                "CATALOG_SYNC_SCHEDULE",
                "FULFILLMENT_SYNC_SCHEDULE",
                "PAYMENTS_SYNC_SCHEDULE",
                "FREIGHT_INVOICE_SCHEDULE",
            ),
            "0 0 0 1 1 *",
        ),
    ) as stack:
        yield stack


def with_shipping_tax(refund: dict[str, Any], order: dict[str, Any]) -> dict[str, Any]:
    """Shopify (2024-10+) sends the refunded shipping tax in ``tax_amount_set``; the emulator omits it."""
    for line in refund["refund_shipping_lines"]:
        if "tax_amount_set" not in line:
            tax = sum(Decimal(t["price"]) for t in order["shipping_lines"][0]["tax_lines"])
            money = {"amount": f"{tax:.2f}", "currency_code": order["currency"]}
            line["tax_amount_set"] = {"shop_money": money, "presentment_money": money}
    return refund


def invoiced_then_refunded(
    stack: tuple[HostProcess, str, str], number: int, quantity: int
) -> tuple[dict[str, Any], httpx.Response, httpx.Response]:
    """An order synced through the host (sales order ``E2R<number>``), invoiced in F&O, and a refund of
    ``quantity`` IPOD2008GREEN with full shipping created in Shopify (its webhook not sent): the Shopify
    order, the invoice answer and the refund answer."""
    host, fo_url, shop_url = stack
    unique = int(time.time() * 1000) + number
    order = httpx.post(
        f"{shop_url}/_emulator/orders",
        params={"webhook": "false"},
        timeout=10,
        json={"order": good_order(order_number=number, customer_id=unique % 10**9) | {"id": unique}},
    ).json()["order"]
    deliver(host, "orders/create", order)
    host.wait_for(lambda text: "order.synced" in text and f"E2R{number}" in text, what="the order synced to F&O")
    invoice = httpx.post(f"{fo_url}/_emulator/sales-orders/E2R{number}/invoice", json={}, timeout=10)
    assert invoice.status_code == 201, invoice.text
    green = next(li for li in order["line_items"] if li["sku"] == "IPOD2008GREEN")
    created = httpx.post(
        f"{shop_url}/_emulator/orders/{order['id']}/refunds",
        params={"webhook": "false"},
        timeout=10,
        json={
            "refund_line_items": [{"line_item_id": green["id"], "quantity": quantity, "restock_type": "return"}],
            "shipping": {"full_refund": True},
        },
    )
    assert created.status_code == 201, created.text
    return order, invoice, created


def test_signed_refund_webhook_becomes_one_credit_note_linked_to_the_invoice(stack) -> None:
    host, fo_url, shop_url = stack
    order, invoice, created = invoiced_then_refunded(stack, 5150, quantity=2)
    refund = with_shipping_tax(created.json()["refund"], order)
    deliver(host, "refunds/create", refund, copies=2)  # a duplicate delivery is absorbed
    host.wait_for(lambda text: "refund.done" in text and "status=credited" in text, what="the credit note")

    number = f"RF{refund['id']}"
    state = httpx.get(f"{fo_url}/_emulator/state", params={"set": "ReturnOrderHeadersV2"}, timeout=10).json()
    (header,) = state["value"]
    assert header["ReturnOrderNumber"] == number
    lines = httpx.get(f"{fo_url}/_emulator/state", params={"set": "ReturnOrderLinesV2"}, timeout=10).json()["value"]
    assert sorted(line["ItemNumber"] for line in lines) == ["FREIGHT", "IPOD2008GREEN"]
    sold = httpx.get(f"{fo_url}/_emulator/state", params={"set": "SalesOrderLines"}, timeout=10).json()["value"]
    sold_lots = {line["InventoryLotId"] for line in sold if line["SalesOrderNumber"] == "E2R5150"}
    assert {line["ReturningInventoryLotId"] for line in lines} <= sold_lots
    shopify_total = sum(
        (
            Decimal(r["subtotal_set"]["shop_money"]["amount"]) + Decimal(r["total_tax_set"]["shop_money"]["amount"])
            for r in refund["refund_line_items"]
        ),
        Decimal(0),
    )
    shopify_total += sum(
        Decimal(s["subtotal_amount_set"]["shop_money"]["amount"]) + Decimal(s["tax_amount_set"]["shop_money"]["amount"])
        for s in refund["refund_shipping_lines"]
    )
    assert -Decimal(str(header["OrderTotalAmount"])) == shopify_total
    assert Decimal(str(header["OrderTotalTaxAmount"])) < 0  # tax reversed, freight tax included

    link = httpx.get(f"{host.url}/api/ops/refunds/{refund['id']}", params={"code": FUNCTION_KEY}, timeout=10)
    assert link.status_code == 200, link.text
    record = link.json()
    assert record["status"] == "credited" and record["credit_note_number"] == number
    assert record["invoice_numbers"] == [invoice.json()["InvoiceNumber"]]
    assert record["sales_order_number"] == "E2R5150" and len(record["lines"]) == 2
    tags = httpx.get(f"{shop_url}/_emulator/orders/{order['id']}", timeout=10).json()["summary"]["tags"] or ""
    assert f"D365-CN-{number}" in tags


def test_a_first_attempt_refund_of_an_invoiced_order_is_two_fo_requests_and_one_shopify_write(stack) -> None:
    host, fo_url, shop_url = stack
    order, _, created = invoiced_then_refunded(stack, 5151, quantity=1)
    refund = with_shipping_tax(created.json()["refund"], order)
    httpx.delete(f"{fo_url}/_emulator/requests", timeout=10).raise_for_status()
    httpx.delete(f"{shop_url}/_emulator/requests", timeout=10).raise_for_status()

    deliver(host, "refunds/create", refund)
    done = f"refund_id={refund['id']}"

    def finished(text: str) -> list[str]:
        return [line for line in text.splitlines() if "refund.done" in line and done in line]

    host.wait_for(lambda text: bool(finished(text)), what="the refund handled")
    assert all("status=credited" in line for line in finished(host.text())), finished(host.text())

    fo = httpx.get(f"{fo_url}/_emulator/requests", params={"last": 100}, timeout=10).json()
    assert fo["http_requests"] == 2, fo["requests"]  # one read $batch, one write $batch
    assert [r["set"] for r in fo["requests"] if not r["batch"]] == ["$batch", "$batch"]
    shop = httpx.get(f"{shop_url}/_emulator/requests", params={"last": 100}, timeout=10).json()
    assert shop["counts"] == {"graphql tagsAdd+metafieldsSet": 1}  # tags and metafield in one mutation, no reads
