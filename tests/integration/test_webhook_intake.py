"""Webhook intake against a real Azurite: de-duplication, base64 on the wire, large payloads, bad input."""

from __future__ import annotations

import base64
import json
import uuid

import pytest

from integration.webhooks.envelope import PAYLOAD_CONTAINER, Envelope, load_payload
from integration.webhooks.intake import WebhookIntake
from integration.webhooks.signature import sign
from shared import queues, tables
from shared import storage as storage_module
from shared.settings import load_settings
from shared.storage import Storage
from tests.conftest import SHOP, WEBHOOK_SECRET, sample_bytes

ORDER = "shopify/itakastudio__orders_create__line_item_discount.json"


def headers(body: bytes, topic: str = "orders/create", webhook_id: str | None = None, **extra: str) -> dict:
    h = {
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": sign(body, WEBHOOK_SECRET),
        "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-API-Version": "2026-10",
        "X-Shopify-Event-Id": str(uuid.uuid4()),
        "X-Shopify-Triggered-At": "2026-11-23T10:00:00Z",
        "Content-Type": "application/json",
    }
    h.update(extra)
    return h


@pytest.fixture
def intake(storage: Storage) -> WebhookIntake:
    settings = load_settings(
        {"SHOPIFY_API_SECRET": WEBHOOK_SECRET, "SHOPIFY_SHOP_DOMAIN": SHOP, "WEBHOOK_MAX_BODY_BYTES": str(1024 * 1024)}
    )
    for name in queues.ALL:
        storage.queue(name).clear_messages()
    return WebhookIntake(settings, storage)


def drain(storage: Storage, name: str) -> list[str]:
    """Raw wire texts on a queue (no decoding), removing them."""
    raw = storage.raw_queue(name)
    texts: list[str] = []
    while True:
        batch = list(raw.receive_messages(max_messages=32, visibility_timeout=30))
        if not batch:
            return texts
        for m in batch:
            texts.append(m.content)
            raw.delete_message(m)


def test_signed_order_is_queued_once_as_base64(intake: WebhookIntake, storage: Storage) -> None:
    body = sample_bytes(ORDER)
    h = headers(body)
    first = intake.handle(h, body)
    assert (first.status, first.queue, first.duplicate) == (200, queues.ORDERS, False)
    second = intake.handle(h, body)  # Shopify redelivers the same webhook
    assert (second.status, second.duplicate) == (200, True)
    assert second.correlation_id == first.correlation_id
    wire = drain(storage, queues.ORDERS)
    assert len(wire) == 1
    envelope = Envelope.from_message(base64.b64decode(wire[0], validate=True))  # base64, as the host expects
    assert envelope.topic == "orders/create"
    assert envelope.payload == json.loads(body)
    assert envelope.resource_id == str(json.loads(body)["id"])


def test_same_event_with_new_delivery_id_is_a_duplicate(intake: WebhookIntake, storage: Storage) -> None:
    body = sample_bytes(ORDER)
    h = headers(body)
    assert intake.handle(h, body).status == 200
    retry = dict(h, **{"X-Shopify-Webhook-Id": str(uuid.uuid4())})
    assert intake.handle(retry, body).duplicate
    assert len(drain(storage, queues.ORDERS)) == 1


def test_same_event_on_another_topic_is_not_a_duplicate(intake: WebhookIntake, storage: Storage) -> None:
    body = sample_bytes(ORDER)
    h = headers(body)
    assert intake.handle(h, body).status == 200
    paid = dict(h, **{"X-Shopify-Topic": "orders/paid", "X-Shopify-Webhook-Id": str(uuid.uuid4())})
    assert not intake.handle(paid, body).duplicate
    assert len(drain(storage, queues.ORDERS)) == 2


def test_refund_goes_to_refund_queue(intake: WebhookIntake, storage: Storage) -> None:
    body = sample_bytes("shopify/pipedream__refunds_create__test_event.json")
    result = intake.handle(headers(body, "refunds/create"), body)
    assert result.queue == queues.REFUNDS
    assert len(drain(storage, queues.REFUNDS)) == 1


def test_large_payload_is_stored_and_pointer_queued(intake: WebhookIntake, storage: Storage) -> None:
    order = json.loads(sample_bytes(ORDER))
    order = order.get("order", order)
    order["note"] = "x" * 80_000  # over the 64 KiB queue limit once encoded
    body = json.dumps(order).encode()
    assert intake.handle(headers(body), body).status == 200
    wire = drain(storage, queues.ORDERS)
    assert len(wire) == 1 and len(wire[0]) < 64 * 1024
    envelope = Envelope.from_message(base64.b64decode(wire[0]))
    assert envelope.payload is None and envelope.payload_blob
    assert load_payload(envelope, storage) == order
    assert storage.container(PAYLOAD_CONTAINER).get_blob_client(envelope.payload_blob).exists()


def _nothing_stored(storage: Storage, webhook_id: str) -> bool:
    rows = list(storage.table(tables.WEBHOOKS).query_entities("WebhookId eq @w", parameters={"w": webhook_id}))
    return not rows and not drain(storage, queues.ORDERS)


BAD = [
    ("missing hmac", lambda b, h: (b, {k: v for k, v in h.items() if k != "X-Shopify-Hmac-Sha256"}), 401),
    ("wrong hmac", lambda b, h: (b, dict(h, **{"X-Shopify-Hmac-Sha256": sign(b, "wrong")})), 401),
    ("altered body", lambda b, h: (b + b" ", h), 401),
    ("missing topic", lambda b, h: (b, {k: v for k, v in h.items() if k != "X-Shopify-Topic"}), 400),
    ("missing webhook id", lambda b, h: (b, {k: v for k, v in h.items() if k != "X-Shopify-Webhook-Id"}), 400),
    ("unknown topic", lambda b, h: (b, dict(h, **{"X-Shopify-Topic": "products/update"})), 400),
    ("wrong content type", lambda b, h: (b, dict(h, **{"Content-Type": "text/plain"})), 415),
    ("other shop", lambda b, h: (b, dict(h, **{"X-Shopify-Shop-Domain": "evil.myshopify.com"})), 403),
]


@pytest.mark.parametrize("name,mutate,status", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_rejected_and_stores_nothing(
    intake: WebhookIntake, storage: Storage, name, mutate, status
) -> None:
    body = sample_bytes(ORDER)
    h = headers(body)
    body, h = mutate(body, h)
    result = intake.handle(h, body)
    assert result.status == status, result.reason
    assert result.reason
    assert _nothing_stored(storage, h.get("X-Shopify-Webhook-Id", "none"))


@pytest.mark.parametrize(
    "body,reason",
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2, 3]", "not a JSON object"),
        (b"\xff\xfe\x00garbage", "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
    ],
)
def test_malformed_json_is_400(intake: WebhookIntake, storage: Storage, body: bytes, reason: str) -> None:
    h = headers(body)
    result = intake.handle(h, body)
    assert result.status == 400 and reason in result.reason
    assert _nothing_stored(storage, h["X-Shopify-Webhook-Id"])


def test_oversized_body_is_413(intake: WebhookIntake, storage: Storage) -> None:
    body = b'{"a":"' + b"x" * (1024 * 1024) + b'"}'
    h = headers(body)
    assert intake.handle(h, body).status == 413
    assert _nothing_stored(storage, h["X-Shopify-Webhook-Id"])


def test_storage_down_is_503_and_retry_succeeds_later(storage: Storage, azurite: str) -> None:
    settings = load_settings({"SHOPIFY_API_SECRET": WEBHOOK_SECRET})
    from sandbox.harness.stack.azurite import connection_string

    dead = Storage.from_setting("S", {"S": connection_string(1, 1, 1)})  # nothing listens on port 1
    body = sample_bytes(ORDER)
    h = headers(body)
    down = WebhookIntake(settings, dead).handle(h, body)
    assert down.status == 503 and down.headers.get("Retry-After")
    up = WebhookIntake(settings, storage).handle(h, body)
    assert up.status == 200 and not up.duplicate
    assert len(drain(storage, queues.ORDERS)) == 1


def _calls() -> int:
    return sum(storage_module.calls_in_this_thread().values())  # not other tests' background writers


def test_ack_is_two_storage_calls_with_event_id(intake: WebhookIntake, storage: Storage) -> None:
    body = sample_bytes(ORDER)
    h = headers(body)  # webhook id and event id, as Shopify sends
    intake.handle(headers(body), body)  # clients and queues exist (created once per process)
    before = _calls()
    assert intake.handle(h, body).status == 200
    assert _calls() - before == 2  # the queue put and one insert-if-absent, nothing for the event id
    rows = list(
        storage.table(tables.WEBHOOKS).query_entities("WebhookId eq @w", parameters={"w": h["X-Shopify-Webhook-Id"]})
    )
    assert [r["RowKey"] for r in rows] == [f"e_{h['X-Shopify-Event-Id']}"] and rows[0]["Status"] == "queued"


def test_without_event_id_the_webhook_id_dedupes(intake: WebhookIntake, storage: Storage) -> None:
    body = sample_bytes(ORDER)
    h = {k: v for k, v in headers(body).items() if k != "X-Shopify-Event-Id"}
    assert not intake.handle(h, body).duplicate
    assert intake.handle(h, body).duplicate
    assert len(drain(storage, queues.ORDERS)) == 1


def test_a_message_without_its_record_is_redelivered_not_lost(intake: WebhookIntake, storage: Storage) -> None:
    """The worst crash (after the queue put, before the record): Shopify's retry queues again, so the
    order arrives twice (the consumers absorb it) rather than never."""
    body = sample_bytes(ORDER)
    h = headers(body)
    assert intake.handle(h, body).status == 200
    partition = "orders_create"
    storage.table(tables.WEBHOOKS).delete_entity(partition, f"e_{h['X-Shopify-Event-Id']}")  # the record never landed
    retry = intake.handle(h, body)
    assert retry.status == 200 and not retry.duplicate
    assert len(drain(storage, queues.ORDERS)) == 2
