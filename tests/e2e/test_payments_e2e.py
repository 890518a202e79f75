"""End to end through the local host: a signed orders/create webhook -> an F&O sales order -> invoiced in
F&O -> the Shopify capture -> the ops API's payments run -> a settle-ready F&O payment line equal to the
capture, marked against the invoice, and the Money report showing it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from sandbox.host.process import HostProcess
from tests.e2e.conftest import deliver, flows_stack
from tests.integration.orders.conftest import good_order

pytestmark = [pytest.mark.e2e, pytest.mark.azurite]
KEY = {"x-functions-key": "local-function-key"}


@pytest.fixture(scope="module")
def stack(azurite: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HostProcess, str, str]]:
    with flows_stack(
        azurite,
        tmp_path_factory.mktemp("payments-host"),
        D365_ORDER_NUMBER_PREFIX="PAY",
        FREIGHT_INVOICE_SCHEDULE="0 0 0 1 1 *",  # fired by the test through the admin endpoint
    ) as stack:
        yield stack


def test_a_captured_order_ends_with_a_settle_ready_fo_payment_line(stack) -> None:
    host, fo_url, shop_url = stack
    unique = int(time.time() * 1000)
    body_in = good_order(order_number=5150, customer_id=unique % 10**9) | {"id": unique}
    order = httpx.post(
        f"{shop_url}/_emulator/orders", params={"webhook": "false"}, json={"order": body_in}, timeout=10
    ).json()["order"]
    deliver(host, "orders/create", order, api_version="2025-10")
    host.wait_for(lambda text: "order.synced" in text and "PAY5150" in text, what="the order synced to F&O")

    # Not invoiced yet: nothing is written.
    run = httpx.post(f"{host.url}/api/ops/payments/sync/{order['id']}", headers=KEY, timeout=30)
    assert run.status_code == 200 and run.json()["status"] == "not_invoiced", run.text

    invoice = httpx.post(f"{fo_url}/_emulator/sales-orders/PAY5150/invoice", json={}, timeout=10)
    assert invoice.status_code == 201, invoice.text
    added = httpx.post(
        f"{shop_url}/_emulator/orders/{order['id']}/transactions",
        json=[{"kind": "sale", "amount": order["total_price"], "gateway": "shopify_payments"}],
        timeout=10,
    )
    assert added.status_code == 201, added.text
    transaction = str(added.json()["transactions"][0]["id"])
    for _ in range(2):  # a second run finds the line and writes nothing
        run = httpx.post(f"{host.url}/api/ops/payments/sync/{order['id']}", headers=KEY, timeout=30)
        assert run.status_code == 200, run.text
    assert run.json() == {**run.json(), "status": "done", "created": 0, "existing": 1}

    lines = httpx.get(f"{fo_url}/_emulator/state", params={"set": "CustomerPaymentJournalLines"}, timeout=10).json()[
        "value"
    ]
    [line] = [row for row in lines if row["PaymentReference"] == transaction]
    assert Decimal(str(line["CreditAmount"])) == Decimal(order["total_price"])
    assert line["MarkedInvoice"] == invoice.json()["InvoiceNumber"]
    report = httpx.get(f"{host.url}/api/ops/money/payments", headers=KEY, timeout=30).json()
    [row] = [r for r in report["rows"] if r["transaction"] == transaction]
    assert row["status"] == "settle_ready" and Decimal(row["amount"]) == Decimal(order["total_price"])


def test_the_freight_invoice_timer_imports_a_dropped_export_once(stack, azurite: str) -> None:
    from shared import tables
    from shared.storage import Storage, safe_key
    from tests.integration.freight.test_freight_audit import HEADER, csv_row

    host, _, _ = stack
    storage = Storage.from_setting(environ={"AzureWebJobsStorage": azurite})
    tracking = f"E2E{int(time.time() * 1000)}"
    name = f"2026-12/{tracking}.csv"
    storage.container("fedex-invoices").upload_blob(name, "\n".join([HEADER, csv_row(tracking, "17.25")]).encode())
    admin = {"x-functions-key": "local-master-key"}
    for run in (1, 2):
        fired = httpx.post(f"{host.url}/admin/functions/freight_invoice_timer", json={}, headers=admin, timeout=10)
        assert fired.status_code == 202, fired.text
        host.wait_for(
            lambda text, run=run: text.count("freight.invoice_timer") >= run, what=f"freight invoice timer run {run}"
        )
    [charge] = storage.table(tables.FEDEX_CHARGES).query_entities("PartitionKey eq @p", parameters={"p": tracking})
    assert charge["NetCharge"] == "17.25"
    marker = storage.table(tables.FEDEX_INVOICE_BLOBS).get_entity("blob", safe_key(name))
    assert marker["Status"] == "done" and marker["BlobEtag"]
    runs = [line for line in host.text().splitlines() if "freight.invoice_timer" in line]
    assert "imported=1" in runs[0] and "imported=0" in runs[1] and "skipped=0" not in runs[1], runs
