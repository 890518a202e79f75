"""Webhook bodies are serialized in the subscription's API version (X-Shopify-API-Version). The
intake keeps the delivered version on the envelope and warns (versions and ids only) when it is not
the configured one; the order parser reads the 2026-10 shape (no ``checkout_id`` since 2026-04, no
customer ``tags``/marketing consents since 2025-01) and the older one alike. Real Azurite."""

from __future__ import annotations

import base64
import copy
import json
import logging
import uuid
from typing import Any

import pytest

from integration.orders.model import parse_order
from integration.webhooks.envelope import Envelope
from integration.webhooks.intake import WebhookIntake
from integration.webhooks.signature import sign
from shared import queues
from shared.settings import load_settings
from shared.storage import Storage
from tests.conftest import SHOP, WEBHOOK_SECRET, sample_bytes

ORDER = "shopify/itakastudio__orders_create__line_item_discount.json"


def shaped(version: str) -> dict[str, Any]:
    body: dict[str, Any] = copy.deepcopy(json.loads(sample_bytes(ORDER)))
    if not isinstance(body.get("customer"), dict):  # the sample is a guest order: give it a customer
        body["customer"] = {"id": 115310627314723954, "email": "buyer@example.com", "first_name": "Ada"}
    customer = body["customer"]
    if version >= "2026-04":
        body.pop("checkout_id", None)  # removed from orders webhooks in 2026-04 (use checkout_token)
    else:
        body["checkout_id"] = 901414060
    if version >= "2025-01":
        for name in ("tags", "email_marketing_consent", "sms_marketing_consent"):
            customer.pop(name, None)  # removed from customer payloads in 2025-01
    else:
        customer.update(tags="vip", email_marketing_consent={"state": "subscribed"}, sms_marketing_consent=None)
    return body


def deliver(intake: WebhookIntake, body: dict[str, Any], version: str) -> int:
    raw = json.dumps(body).encode()
    headers = {
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Hmac-Sha256": sign(raw, WEBHOOK_SECRET),
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        "X-Shopify-Event-Id": str(uuid.uuid4()),
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-API-Version": version,
        "Content-Type": "application/json",
    }
    return intake.handle(headers, raw).status


@pytest.fixture
def intake(storage: Storage) -> WebhookIntake:
    settings = load_settings(
        {"SHOPIFY_API_SECRET": WEBHOOK_SECRET, "SHOPIFY_SHOP_DOMAIN": SHOP, "SHOPIFY_API_VERSION": "2026-10"}
    )
    for name in queues.ALL:
        storage.queue(name).clear_messages()
    return WebhookIntake(settings, storage)


def envelopes(storage: Storage) -> list[Envelope]:
    raw = storage.raw_queue(queues.ORDERS)
    found = []
    for message in raw.receive_messages(max_messages=32, visibility_timeout=30):
        found.append(Envelope.from_message(base64.b64decode(message.content)))
        raw.delete_message(message)
    return found


def test_deliveries_in_two_versions(intake: WebhookIntake, storage: Storage, caplog: pytest.LogCaptureFixture) -> None:
    new, old = shaped("2026-10"), shaped("2025-10")
    old["id"] = int(new["id"]) + 1  # another order, so the second delivery is not a duplicate
    with caplog.at_level(logging.WARNING, logger="integration.webhooks.intake"):
        assert deliver(intake, new, "2026-10") == 200
        assert [r for r in caplog.records if "webhook.api_version_mismatch" in r.getMessage()] == []
        assert deliver(intake, old, "2025-10") == 200
    warnings = [r.getMessage() for r in caplog.records if "webhook.api_version_mismatch" in r.getMessage()]
    assert len(warnings) == 1
    assert "delivered=2025-10" in warnings[0] and "configured=2026-10" in warnings[0]
    email = str((old.get("customer") or {}).get("email") or old.get("email") or "")
    assert email and email not in warnings[0]  # no personal data in the line
    by_version = {e.api_version: e for e in envelopes(storage)}
    assert set(by_version) == {"2026-10", "2025-10"}  # kept on the envelope for the consumers
    parsed_new = parse_order(by_version["2026-10"].payload or {})
    parsed_old = parse_order(by_version["2025-10"].payload or {})
    assert "checkout_id" not in (by_version["2026-10"].payload or {})
    assert parsed_new.customer is not None and parsed_old.customer is not None
    assert parsed_new.customer.email == parsed_old.customer.email
    assert parsed_new.total_price == parsed_old.total_price
    assert [(li.sku, li.quantity, li.price) for li in parsed_new.lines] == [
        (li.sku, li.quantity, li.price) for li in parsed_old.lines
    ]
