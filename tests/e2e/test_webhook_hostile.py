"""Hostile input against the webhook endpoint over real HTTP through the local host: random bodies,
headers and encodings, huge and deeply nested JSON, wrong and replayed signatures. Never a 500, and
nothing is queued without a valid signature."""

from __future__ import annotations

import base64
import json
import uuid

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integration.webhooks.signature import sign
from sandbox.host.process import HostProcess
from shared import queues, tables
from shared.storage import Storage
from tests.conftest import WEBHOOK_SECRET, sample_bytes

ORDER = sample_bytes("shopify/itakastudio__orders_create__line_item_discount.json")
HEADER_VALUES = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["", " ", "orders/create", "refunds/create", "application/json", "=" * 44, "\u00e9\u00e8"]),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


def _latin1(value: str) -> bytes:
    # Raw header bytes as HTTP allows them in a field value: visible ASCII, space, tab and obs-text.
    raw = value.encode("latin-1", errors="replace")
    return bytes(b for b in raw if b in (0x09, 0x20) or 0x21 <= b <= 0x7E or b >= 0x80).strip()


@pytest.fixture(scope="module")
def client(product_host: HostProcess):
    with httpx.Client(base_url=product_host.url, timeout=15) as http:
        yield http


def _queued_ids(storage: Storage) -> set[str]:
    ids = set()
    for name in (queues.ORDERS, queues.REFUNDS, queues.CUSTOMERS, queues.COMPLIANCE):
        for message in storage.raw_queue(name).peek_messages(max_messages=32):
            try:
                ids.add(json.loads(base64.b64decode(message.content))["webhook_id"])
            except (ValueError, KeyError, TypeError):
                pass
    return ids


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=2048), topic=HEADER_VALUES, hmac_value=HEADER_VALUES, content_type=HEADER_VALUES)
def test_random_unsigned_requests_never_500_never_queue(
    client: httpx.Client, storage: Storage, body: bytes, topic: str, hmac_value: str, content_type: str
) -> None:
    webhook_id = f"fuzz-{uuid.uuid4()}"
    headers = [
        (b"X-Shopify-Topic", _latin1(topic)),
        (b"X-Shopify-Hmac-Sha256", _latin1(hmac_value)),
        (b"X-Shopify-Webhook-Id", webhook_id.encode()),
        (b"Content-Type", _latin1(content_type)),
    ]
    response = client.post("/api/shopify/webhooks", content=body, headers=headers)
    assert response.status_code < 500
    assert response.status_code in (400, 401, 403, 413, 415)  # never accepted: the signature is not valid
    assert response.json()["reason"]
    assert webhook_id not in _queued_ids(storage)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    payload=json_values,
    topic=st.sampled_from(["orders/create", "refunds/create", "customers/update", "products/update", "shop/redact"]),
)
def test_signed_random_json_never_500(client: httpx.Client, payload, topic: str) -> None:
    body = json.dumps(payload).encode()
    headers = {
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": sign(body, WEBHOOK_SECRET),
        "X-Shopify-Webhook-Id": f"fuzz-{uuid.uuid4()}",
        "Content-Type": "application/json",
    }
    response = client.post("/api/shopify/webhooks", content=body, headers=headers)
    assert response.status_code in (200, 400)
    if not isinstance(payload, dict) or topic == "products/update":
        assert response.status_code == 400


def test_replayed_signature_with_altered_body_is_refused(client: httpx.Client, storage: Storage) -> None:
    signature = sign(ORDER, WEBHOOK_SECRET)
    altered = ORDER.replace(b'"total_price"', b'"total_price_x"', 1)
    webhook_id = f"replay-{uuid.uuid4()}"
    response = client.post(
        "/api/shopify/webhooks",
        content=altered,
        headers={
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Hmac-Sha256": signature,
            "X-Shopify-Webhook-Id": webhook_id,
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == 401
    assert webhook_id not in _queued_ids(storage)


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 50_000 + b"]" * 50_000,
        b'{"a":' * 20_000 + b"1" + b"}" * 20_000,
        json.dumps({"k" + str(i): i for i in range(50_000)}).encode(),
        b'"' + b"\\ud800" * 1000 + b'"',
        b"\x00\x01\x02" * 1000,
    ],
)
def test_huge_and_deeply_nested_signed_bodies(client: httpx.Client, body: bytes) -> None:
    headers = {
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Hmac-Sha256": sign(body, WEBHOOK_SECRET),
        "X-Shopify-Webhook-Id": f"deep-{uuid.uuid4()}",
        "Content-Type": "application/json",
    }
    response = client.post("/api/shopify/webhooks", content=body, headers=headers)
    assert response.status_code in (200, 400), response.text


def test_oversized_body_is_refused_before_anything_is_stored(client: httpx.Client) -> None:
    body = b"{" + b" " * (6 * 1024 * 1024) + b"}"
    headers = {
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Hmac-Sha256": sign(body, WEBHOOK_SECRET),
        "X-Shopify-Webhook-Id": f"big-{uuid.uuid4()}",
        "Content-Type": "application/json",
    }
    assert client.post("/api/shopify/webhooks", content=body, headers=headers).status_code == 413


def _signed(body: bytes, **headers: str) -> dict[str, str]:
    return {
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Hmac-Sha256": sign(body, WEBHOOK_SECRET),
        "X-Shopify-Webhook-Id": f"hostile-{uuid.uuid4()}",
        "Content-Type": "application/json",
        **headers,
    }


@pytest.mark.parametrize(
    "body,headers,reason",
    [
        (b'{"id": 1, "a": ' + b'{"b": ' * 600 + b"1" + b"}" * 600 + b"}", {}, "deeper"),
        (b'{"id": 1, "a": ' + b"[" * 600 + b"]" * 600 + b"}", {}, "deeper"),
        (b'{"id": 1, "note": "\\ud800"}', {}, "surrogate"),
        (ORDER, {"X-Shopify-Webhook-Id": "w" * 2000}, "X-Shopify-Webhook-Id"),
        (ORDER, {"X-Shopify-Event-Id": "e" * 2000}, "X-Shopify-Event-Id"),
        (json.dumps({"id": "9" * 5000}).encode(), {}, "resource id"),
        (json.dumps({"id": "1\u0000"}).encode(), {}, "resource id"),
        (json.dumps({"customer": "not an object", "shop_id": 1}).encode(), {"X-Shopify-Topic": "customers/redact"}, ""),
    ],
)
def test_malformed_signed_webhooks_are_4xx_with_a_reason_and_not_stored(
    client: httpx.Client, storage: Storage, body: bytes, headers: dict[str, str], reason: str
) -> None:
    sent = _signed(body, **headers)
    response = client.post("/api/shopify/webhooks", content=body, headers=sent)
    if not reason:  # a valid envelope with an odd payload: accepted, never a 5xx
        assert response.status_code == 200, response.text
        return
    assert response.status_code == 400, response.text
    assert reason in response.json()["reason"]
    assert sent["X-Shopify-Webhook-Id"] not in _queued_ids(storage)
    rows = storage.table(tables.WEBHOOKS).query_entities(
        "WebhookId eq @w", parameters={"w": sent["X-Shopify-Webhook-Id"]}
    )
    assert not list(rows)
