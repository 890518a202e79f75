"""End to end through the local host: a signed Shopify webhook in, a message on the queue, the
queue function invoked; bad input rejected over HTTP; the retention timer firing."""

from __future__ import annotations

import base64
import json
import uuid

import httpx
import pytest

from integration.webhooks.signature import sign
from sandbox.host.process import HostProcess
from shared import tables
from shared.storage import Storage
from tests.conftest import SHOP, WEBHOOK_SECRET, sample_bytes

ORDER = "shopify/itakastudio__orders_create__line_item_discount.json"


def post(host: HostProcess, body: bytes, topic: str = "orders/create", **headers: str) -> httpx.Response:
    h = {
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": sign(body, WEBHOOK_SECRET),
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        "X-Shopify-Shop-Domain": SHOP,
        "Content-Type": "application/json",
        **headers,
    }
    return httpx.post(f"{host.url}/api/shopify/webhooks", content=body, headers=h, timeout=10)


def test_health(product_host: HostProcess) -> None:
    r = httpx.get(f"{product_host.url}/api/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}  # anonymous: no setting names, versions or endpoints
    detailed = httpx.get(f"{product_host.url}/api/ops/health", headers={"x-functions-key": "local-function-key"})
    report = detailed.json()
    assert detailed.status_code == 200 and report["status"] == "ok" and report["checks"]["storage"]["ok"]
    assert "SHOPIFY_API_SECRET" not in json.dumps(report["checks"]["settings"]["missing"])


def test_signed_order_lands_once_and_is_consumed(product_host: HostProcess, storage: Storage) -> None:
    body = sample_bytes(ORDER)
    webhook_id = str(uuid.uuid4())
    first = post(product_host, body, **{"X-Shopify-Webhook-Id": webhook_id})
    assert first.status_code == 200 and first.json()["reason"] == "queued"
    again = post(product_host, body, **{"X-Shopify-Webhook-Id": webhook_id})
    assert again.status_code == 200 and again.json()["duplicate"] is True

    # The order flow consumes it (this host has no F&O settings, so the flow itself then fails and retries).
    def received_lines(text: str) -> list[str]:
        return [line for line in text.splitlines() if "order.received" in line and f"webhook_id={webhook_id}" in line]

    # One log line carries both marks, so an earlier test's "order.received" cannot satisfy the wait.
    product_host.wait_for(lambda t: bool(received_lines(t)), what="order_queue invocation")
    line = received_lines(product_host.text())[0]
    assert f"resource_id={json.loads(body)['id']}" in line
    # The intake queues before it marks the delivery seen, and a duplicate withdraws its own message: a
    # consumer may take the duplicate's message first (the order flow absorbs the other, idempotent by
    # order id), so the line carries the correlation id of one of the two deliveries.
    ids = {first.json()["correlation_id"], again.json().get("correlation_id")}
    assert any(f"correlation_id={cid} " in line for cid in ids if cid), (line, ids)


@pytest.mark.parametrize(
    "mutate,status",
    [
        (lambda b, h: (b, {**h, "X-Shopify-Hmac-Sha256": ""}), 401),
        (lambda b, h: (b, {**h, "X-Shopify-Hmac-Sha256": sign(b, "nope")}), 401),
        (lambda b, h: (b"{bad json", {**h, "X-Shopify-Hmac-Sha256": sign(b"{bad json", WEBHOOK_SECRET)}), 400),
        (lambda b, h: (b, {**h, "X-Shopify-Topic": "themes/publish"}), 400),
        (lambda b, h: (b, {k: v for k, v in h.items() if k != "X-Shopify-Webhook-Id"}), 400),
    ],
)
def test_bad_webhooks_over_http(product_host: HostProcess, mutate, status) -> None:
    body = sample_bytes(ORDER)
    h = {
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Hmac-Sha256": sign(body, WEBHOOK_SECRET),
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        "Content-Type": "application/json",
    }
    body, h = mutate(body, h)
    r = httpx.post(f"{product_host.url}/api/shopify/webhooks", content=body, headers=h)
    assert r.status_code == status
    assert r.json()["reason"]


def test_wrong_method_is_405(product_host: HostProcess) -> None:
    assert httpx.get(f"{product_host.url}/api/shopify/webhooks").status_code == 405


def test_garbage_on_the_order_queue_ends_in_poison(product_host: HostProcess, storage: Storage) -> None:
    token = f"not-an-envelope-{uuid.uuid4().hex}"
    storage.queue("orders").send_message(token)
    poison = storage.raw_queue("orders-poison")
    product_host.wait_for(
        lambda _: token in [base64.b64decode(m.content).decode() for m in poison.peek_messages(max_messages=32)],
        what="poisoned order message",
    )
    assert product_host.text().count("Executed 'Functions.order_queue' (Failed") >= 5


def test_compliance_webhook_is_handled(product_host: HostProcess, storage: Storage) -> None:
    body = sample_bytes("shopify/shopify_dev__compliance_customers_redact.json")
    webhook_id = str(uuid.uuid4())
    assert post(product_host, body, "customers/redact", **{"X-Shopify-Webhook-Id": webhook_id}).status_code == 200
    product_host.wait_for(lambda t: "compliance.handled" in t and webhook_id in t, what="compliance handler")
    row = storage.table(tables.COMPLIANCE).get_entity("customers_redact", webhook_id)
    assert row["Status"] == "redacted"


def test_retention_timer_fires(product_host: HostProcess, storage: Storage) -> None:
    product_host.wait_for(lambda t: "Executed 'Functions.retention_timer' (Succeeded" in t, what="timer")
    blobs = [b.name for b in storage.container("azure-webjobs-hosts").list_blobs(name_starts_with="timers/")]
    assert any(name.endswith("/retention_timer/status") for name in blobs)  # use_monitor keeps status


def test_ops_api_needs_a_function_key(product_host: HostProcess) -> None:
    url = f"{product_host.url}/api/ops/dashboard"
    assert httpx.get(url).status_code == 401
    r = httpx.get(url, headers={"x-functions-key": "local-function-key"})
    assert r.status_code == 200 and "queues" in r.json()
    doc = httpx.get(f"{product_host.url}/api/ops/openapi.json", params={"code": "local-function-key"}).json()
    assert "/api/ops/dashboard" in doc["paths"]
    assert httpx.get(f"{product_host.url}/api/ops/nothing", params={"code": "local-function-key"}).status_code == 404
