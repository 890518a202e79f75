"""The webhook signer/sender: Shopify's documented HMAC over raw bytes and the delivery headers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid

import pytest

from sandbox.emulators.shopify import send_webhook
from sandbox.emulators.shopify.webhooks import Delivery, deliver, deliver_many, schedule, sign

from .conftest import SAMPLES

SECRET = "hush"
SAMPLE_FILES = sorted(p.name for p in SAMPLES.glob("*.json"))


def documented_verify(body: bytes, header: str, secret: str) -> bool:
    """The algorithm exactly as shopify.dev describes it (reference §1.2), written independently."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return hmac.compare_digest(digest, base64.b64decode(header))


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_public_samples_signed_verify_and_tampering_fails(name: str) -> None:
    body = (SAMPLES / name).read_bytes()
    header = sign(body, SECRET)
    assert documented_verify(body, header, SECRET)
    assert not documented_verify(body + b" ", header, SECRET)
    middle = len(body) // 2
    flipped = body[:middle] + bytes([body[middle] ^ 0x01]) + body[middle + 1 :]
    assert not documented_verify(flipped, header, SECRET)
    assert not documented_verify(body, header, "other-secret")


def test_signature_is_over_raw_bytes_not_reserialised_json() -> None:
    body = (SAMPLES / "itakastudio__orders_create__line_item_discount.json").read_bytes()
    reserialised = json.dumps(json.loads(body)).encode()
    assert sign(body, SECRET) != sign(reserialised, SECRET)


def test_deliver_sends_every_documented_header(receiver) -> None:
    order = json.loads((SAMPLES / "itakastudio__orders_create__line_item_discount.json").read_bytes())
    response = deliver(
        receiver.url,
        "orders/create",
        order,
        SECRET,
        shop_domain="demo.myshopify.com",
        api_version="2026-01",
        webhook_id="wh-1",
        event_id="ev-1",
    )
    assert response.status_code == 200
    headers, body = receiver.received[0]
    assert json.loads(body) == order
    assert documented_verify(body, headers["x-shopify-hmac-sha256"], SECRET)
    assert headers["x-shopify-topic"] == "orders/create"
    assert headers["x-shopify-shop-domain"] == "demo.myshopify.com"
    assert headers["x-shopify-api-version"] == "2026-01"
    assert headers["x-shopify-webhook-id"] == "wh-1"
    assert headers["x-shopify-event-id"] == "ev-1"
    assert headers["x-shopify-triggered-at"].endswith("Z")
    assert headers["content-type"] == "application/json"


def test_deliver_defaults_to_fresh_uuid_ids_and_sends_bytes_verbatim(receiver) -> None:
    raw = (SAMPLES / "shopify_dev__compliance_shop_redact.json").read_bytes()
    deliver(receiver.url, "shop/redact", raw, SECRET)
    deliver(receiver.url, "shop/redact", raw, SECRET)
    (first, body), (second, _) = receiver.received
    assert body == raw
    uuid.UUID(first["x-shopify-webhook-id"])
    assert first["x-shopify-webhook-id"] != second["x-shopify-webhook-id"]


def test_duplicates_keep_the_same_webhook_id_and_shuffle_is_reproducible() -> None:
    deliveries = [Delivery.of("orders/create", {"id": n}) for n in range(5)]
    plan = schedule(deliveries, duplicates=2)
    assert len(plan) == 15
    assert [d.webhook_id for d in plan[:3]] == [deliveries[0].webhook_id] * 3
    shuffled = schedule(deliveries, shuffle_seed=7)
    assert shuffled == schedule(deliveries, shuffle_seed=7)
    assert sorted(d.webhook_id for d in shuffled) == sorted(d.webhook_id for d in deliveries)
    assert [d.webhook_id for d in shuffled] != [d.webhook_id for d in deliveries]


def test_deliver_many_sends_duplicates_with_identical_headers(receiver) -> None:
    results = deliver_many(receiver.url, [Delivery.of("refunds/create", {"id": 1})], SECRET, duplicates=1)
    assert [r.status_code for _, r in results] == [200, 200]
    (h1, b1), (h2, b2) = receiver.received
    assert b1 == b2
    for name in ("x-shopify-webhook-id", "x-shopify-event-id", "x-shopify-hmac-sha256", "x-shopify-triggered-at"):
        assert h1[name] == h2[name]


def test_cli_unwraps_rest_fixture_and_signs_what_it_sends(receiver, capsys) -> None:
    code = send_webhook.main(
        [
            "--url",
            receiver.url,
            "--secret",
            SECRET,
            "--topic",
            "refunds/create",
            "--file",
            str(SAMPLES / "shopify_python_api__fixtures__refund.json"),
            "--file",
            str(SAMPLES / "pipedream__refunds_create__test_event.json"),
            "--duplicates",
            "1",
            "--shuffle-seed",
            "3",
            "--shop-domain",
            "cli.myshopify.com",
        ]
    )
    assert code == 0
    assert len(receiver.received) == 4
    ids = set()
    for headers, body in receiver.received:
        assert documented_verify(body, headers["x-shopify-hmac-sha256"], SECRET)
        assert headers["x-shopify-shop-domain"] == "cli.myshopify.com"
        assert "refund" not in json.loads(body) or not isinstance(json.loads(body)["refund"], dict)
        ids.add(headers["x-shopify-webhook-id"])
    assert len(ids) == 2
    assert capsys.readouterr().out.count("200 refunds/create") == 4


def test_cli_exit_code_reports_rejected_deliveries(receiver) -> None:
    receiver.status = 401
    code = send_webhook.main(
        [
            "--url",
            receiver.url,
            "--secret",
            SECRET,
            "--topic",
            "orders/create",
            "--file",
            str(SAMPLES / "itakastudio__orders_create__line_item_discount.json"),
        ]
    )
    assert code == 1
