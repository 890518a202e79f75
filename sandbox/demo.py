"""The demo the run command shows: signed sample webhooks through the running stack."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from integration.webhooks.signature import sign
from sandbox.hostproc import HostProcess
from shared.storage import Storage

KIT = __import__("pathlib").Path(__file__).resolve().parent.parent.parent / "shared"
ORDER_SAMPLE = KIT / "shopify" / "samples" / "itakastudio__orders_create__line_item_discount.json"


def send(host: HostProcess, settings: dict[str, str], topic: str, body: bytes,
         webhook_id: str | None = None) -> httpx.Response:
    headers = {"X-Shopify-Topic": topic, "X-Shopify-Hmac-Sha256": sign(body, settings["SHOPIFY_API_SECRET"]),
               "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
               "X-Shopify-Shop-Domain": settings.get("SHOPIFY_SHOP_DOMAIN", ""),
               "X-Shopify-API-Version": settings.get("SHOPIFY_API_VERSION", ""),
               "Content-Type": "application/json"}
    return httpx.post(f"{host.url}/api/shopify/webhooks", content=body, headers=headers, timeout=10)


def run_demo(host: HostProcess, settings: dict[str, str], emulators: Any, console: Console) -> bool:
    console.rule("Demo: a signed orders/create webhook")
    body = ORDER_SAMPLE.read_bytes()
    order_id = json.loads(body)["id"]
    webhook_id = str(uuid.uuid4())
    table = Table("step", "result")
    first = send(host, settings, "orders/create", body, webhook_id)
    table.add_row("POST /api/shopify/webhooks (signed)", f"{first.status_code} {first.json()}")
    again = send(host, settings, "orders/create", body, webhook_id)
    table.add_row("same delivery again", f"{again.status_code} {again.json()}")
    bad = httpx.post(f"{host.url}/api/shopify/webhooks", content=body,
                     headers={"X-Shopify-Topic": "orders/create", "X-Shopify-Hmac-Sha256": "forged",
                              "X-Shopify-Webhook-Id": "x", "Content-Type": "application/json"})
    table.add_row("forged signature", f"{bad.status_code} {bad.json()}")
    storage = Storage.from_setting("AzureWebJobsStorage", settings)
    consumed = _wait(lambda: f"webhook_id={webhook_id}" in host.text() and "Executed 'Functions.order_queue'" in
                     host.text(), 20)
    table.add_row("order queue function", "consumed the message" if consumed else "NOT consumed within 20 s")
    rows = list(storage.table("inbox").query_entities("WebhookId eq @w", parameters={"w": webhook_id}))
    if rows:
        table.add_row("inbox", f"order {order_id}: {rows[0]['Status']} ({rows[0]['Reason']})")
    console.print(table)
    ok = first.status_code == 200 and again.json().get("duplicate") is True and bad.status_code == 401 and consumed
    console.print("[bold green]Demo OK[/]" if ok else "[bold red]Demo failed[/]: see .local/host.log")
    return ok


def _wait(predicate: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False
