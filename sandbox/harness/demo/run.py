"""The demo the run command shows, against the running stack (local host + emulators + Azurite):

1. webhook intake: a signed sample, its duplicate, a forged one;
2. order sync: an ERP-ready order created in the Shopify emulator reaches F&O as a sales order with
   equal totals and a Shopify tag; the public sample order (SKUs F&O does not know) becomes an
   exception with its reason;
3. fulfillment: a partial packing slip with a tracking number in F&O becomes a Shopify fulfillment
   for exactly the shipped quantity;
4. refund: the order is invoiced in F&O, refunded in Shopify, and becomes a credit note (return order)
   linked to the invoice;
5. checkout rates: the public CarrierService sample priced by FedEx, then served from cache.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from integration.webhooks.signature import sign
from sandbox import SAMPLES as KIT
from sandbox.harness.demo.sample_orders import erp_ready_order
from sandbox.host.process import HostProcess

SAMPLES = KIT / "shopify"
KEY = {"x-functions-key": "local-function-key"}


def send(
    host: HostProcess, settings: dict[str, str], topic: str, body: bytes, webhook_id: str | None = None
) -> httpx.Response:
    headers = {
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": sign(body, settings["SHOPIFY_API_SECRET"]),
        "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
        "X-Shopify-Shop-Domain": settings.get("SHOPIFY_SHOP_DOMAIN", ""),
        "X-Shopify-API-Version": settings.get("SHOPIFY_API_VERSION", ""),
        "Content-Type": "application/json",
    }
    return httpx.post(f"{host.url}/api/shopify/webhooks", content=body, headers=headers, timeout=10)


def wait(predicate: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    return None


def fo_rows(fo: str, entity_set: str) -> list[dict[str, Any]]:
    return httpx.get(f"{fo}/_emulator/state", params={"set": entity_set}, timeout=10).json().get("value", [])


def run_demo(host: HostProcess, settings: dict[str, str], emulators: Any, console: Console) -> bool:
    fo, shop = emulators.urls["d365"], emulators.urls["shopify"]
    table = Table("step", "result", title="Demo", show_lines=True)
    ok = True

    def row(step: str, result: str, good: bool) -> None:
        nonlocal ok
        ok &= good
        table.add_row(step, ("[green]" if good else "[red]") + result + "[/]")

    # 1. intake
    sample = (SAMPLES / "itakastudio__orders_create__line_item_discount.json").read_bytes()
    sample_id = json.loads(sample)["id"]
    webhook_id = str(uuid.uuid4())
    first = send(host, settings, "orders/create", sample, webhook_id)
    again = send(host, settings, "orders/create", sample, webhook_id)
    forged = httpx.post(
        f"{host.url}/api/shopify/webhooks",
        content=sample,
        timeout=10,
        headers={
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Hmac-Sha256": "Zm9yZ2Vk",
            "X-Shopify-Webhook-Id": "x",
            "Content-Type": "application/json",
        },
    )
    row("signed sample orders/create", f"{first.status_code} {first.json().get('reason')}", first.status_code == 200)
    row(
        "same delivery again",
        f"{again.status_code} duplicate={again.json().get('duplicate')}",
        again.json().get("duplicate") is True,
    )
    row("forged signature", f"{forged.status_code} {forged.json().get('reason')}", forged.status_code == 401)

    # 2. order sync, through the Shopify emulator's signed delivery
    httpx.post(
        f"{shop}/_emulator/webhooks/config",
        json={"url": f"{host.url}/api/shopify/webhooks", "secret": settings["SHOPIFY_API_SECRET"]},
        timeout=10,
    )
    number = 1000 + int(time.time()) % 9000
    created = httpx.post(
        f"{shop}/_emulator/orders",
        json={"order": erp_ready_order(order_number=number, customer_id=int(time.time()))},
        timeout=30,
    ).json()
    order = created["order"]
    delivered = [d.get("status") for d in created.get("deliveries", [])]
    so_number = f"{settings.get('D365_ORDER_NUMBER_PREFIX', 'SH')}{number}"
    header = wait(
        lambda: next((h for h in fo_rows(fo, "SalesOrderHeadersV2") if h["SalesOrderNumber"] == so_number), None), 40
    )
    if header:
        equal = str(header.get("OrderTotalAmount")) == order["total_price"]
        row(
            f"Shopify order {order['name']} → F&O",
            f"sales order {so_number}, F&O total {header.get('OrderTotalAmount')} vs Shopify {order['total_price']}",
            equal,
        )
        tags = wait(
            lambda: (
                "D365-SO"
                in (httpx.get(f"{shop}/_emulator/orders/{order['id']}", timeout=10).json()["summary"].get("tags") or "")
                and httpx.get(f"{shop}/_emulator/orders/{order['id']}", timeout=10).json()["summary"]["tags"]
            ),
            20,
        )
        row("write-back to Shopify", f"tags: {tags}", bool(tags))
    else:
        row(
            f"Shopify order {order['name']} → F&O",
            f"no sales order within 40 s (webhook deliveries: {delivered}; see .local/host.log)",
            False,
        )
    exc = wait(
        lambda: (
            httpx.get(f"{host.url}/api/ops/exceptions/order/{sample_id}", headers=KEY, timeout=10)
            .json()
            .get("reason_code")
        ),
        30,
    )
    detail = httpx.get(f"{host.url}/api/ops/exceptions/order/{sample_id}", headers=KEY, timeout=10).json()
    row("public sample order (not ERP-ready)", f"exception {exc}: {detail.get('message', '')[:90]}", bool(exc))

    # 3. a partial shipment in F&O → a Shopify fulfillment for exactly what shipped, with FedEx tracking
    if header:
        fo_lines = [
            r
            for r in fo_rows(fo, "SalesOrderLines")
            if r.get("SalesOrderNumber") == so_number and r.get("ItemNumber") == order["line_items"][0]["sku"]
        ]
        slip = httpx.post(
            f"{fo}/_emulator/sales-orders/{so_number}/packing-slip",
            timeout=10,
            json={
                "lines": [{"InventoryLotId": fo_lines[0]["InventoryLotId"], "Quantity": 1}],
                "tracking_numbers": ["794644790132"],
            },
        )
        httpx.post(
            f"{host.url}/admin/functions/fulfillment_timer",
            json={"input": ""},
            timeout=10,
            headers={"x-functions-key": "local-master-key"},
        )

        def fulfilled() -> Any:
            summary = httpx.get(f"{shop}/_emulator/orders/{order['id']}", timeout=10).json()["summary"]
            return summary if summary["fulfillments"] else None

        summary = wait(fulfilled, 40)
        if summary:
            f = summary["fulfillments"][0]
            shipped = sum(line["quantity"] for line in f["lines"])
            row(
                f"partial packing slip ({slip.status_code}) → Shopify",
                f"fulfillment of {shipped} unit(s), tracking {f['tracking']}, order "
                f"{summary['display_fulfillment_status']}",
                shipped == 1,
            )
        else:
            row("partial packing slip → Shopify", "no fulfillment within 40 s (see .local/host.log)", False)

    # 4. refund → credit note linked to the invoice
    if header:
        invoice = httpx.post(f"{fo}/_emulator/sales-orders/{so_number}/invoice", json={}, timeout=10)
        line = order["line_items"][0]
        refund = httpx.post(
            f"{shop}/_emulator/orders/{order['id']}/refunds",
            timeout=30,
            json={
                "refund_line_items": [{"line_item_id": line["id"], "quantity": 1, "restock_type": "return"}],
                "shipping": {"full_refund": True},
            },
        ).json()
        refund_id = (refund.get("refund") or {}).get("id")
        rma = wait(
            lambda: next(
                (r for r in fo_rows(fo, "ReturnOrderHeadersV2") if str(refund_id) in str(r.get("RMANumber", ""))), None
            ),
            40,
        )
        if rma:
            lines = [
                r
                for r in fo_rows(fo, "ReturnOrderLinesV2")
                if r.get("ReturnOrderNumber") == rma.get("ReturnOrderNumber")
            ]
            linked = all(r.get("ReturningInventoryLotId") for r in lines)
            row(
                f"invoice {invoice.status_code}; refund {refund_id} → F&O",
                f"return order {rma.get('ReturnOrderNumber')} ({len(lines)} lines linked to the invoiced lots), "
                f"total {rma.get('OrderTotalAmount')}",
                linked,
            )
        else:
            row(f"refund {refund_id} → F&O", "no credit note within 40 s (see .local/host.log)", False)

    # 5. checkout rates
    rate_body = (SAMPLES / "shopify_dev__carrier_service_rate_request.json").read_bytes()
    signed = {
        "Content-Type": "application/json",
        "X-Shopify-Hmac-Sha256": sign(rate_body, settings["SHOPIFY_API_SECRET"]),
    }
    timings = []
    answers = []
    for _ in range(2):
        started = time.perf_counter()
        answers.append(
            httpx.post(f"{host.url}/api/shopify/carrier-rates", content=rate_body, headers=signed, timeout=15)
        )
        timings.append((time.perf_counter() - started) * 1000)
    rates = answers[0].json().get("rates", [])
    cheapest = min(rates, key=lambda r: int(r["total_price"])) if rates else None
    row(
        "checkout rates (sample callback)",
        f"{len(rates)} FedEx rates in {timings[0]:.0f} ms"
        + (f", cheapest {cheapest['service_name']} {int(cheapest['total_price']) / 100:.2f}" if cheapest else ""),
        bool(rates),
    )
    row("same cart again", f"{timings[1]:.0f} ms (cache)", answers[1].json() == answers[0].json())

    console.print(table)
    console.print(f"Console: {host.url}/api/ops/console (function key: local-function-key)")
    console.print("[bold green]Demo OK[/]" if ok else "[bold red]Demo had failures[/]: see .local/host.log")
    return ok
