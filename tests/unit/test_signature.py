import base64
import hashlib
import hmac

import pytest

from integration.webhooks.signature import sign, verify
from tests.conftest import sample_bytes

SAMPLES = [
    "shopify/shopify_python_api__fixtures__order.json",
    "shopify/itakastudio__orders_create__line_item_discount.json",
    "shopify/pipedream__refunds_create__test_event.json",
    "shopify/shopify_dev__compliance_customers_redact.json",
]


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_signed_by_documented_algorithm_verifies(name: str) -> None:
    body = sample_bytes(name)
    # Shopify's algorithm, written out independently of the code under test.
    header = base64.b64encode(hmac.new(b"secret", body, hashlib.sha256).digest()).decode()
    assert sign(body, "secret") == header
    assert verify(body, header, [b"secret"])


@pytest.mark.parametrize("name", SAMPLES)
def test_tampered_body_fails(name: str) -> None:
    body = sample_bytes(name)
    header = sign(body, "secret")
    assert not verify(body + b" ", header, [b"secret"])
    assert not verify(body.replace(b"1", b"2", 1), header, [b"secret"])


def test_reserialized_json_does_not_verify() -> None:
    import json

    body = sample_bytes(SAMPLES[0])
    header = sign(body, "secret")
    assert not verify(json.dumps(json.loads(body)).encode(), header, [b"secret"])


def test_wrong_secret_missing_or_garbage_header() -> None:
    body = b'{"id": 1}'
    assert not verify(body, sign(body, "other"), [b"secret"])
    assert not verify(body, None, [b"secret"])
    assert not verify(body, "", [b"secret"])
    assert not verify(body, "not base64 !!", [b"secret"])
    assert not verify(body, base64.b64encode(b"short").decode(), [b"secret"])
    assert not verify(body, sign(body, "secret"), [])


def test_previous_secret_accepted_during_rotation() -> None:
    body = b'{"id": 1}'
    assert verify(body, sign(body, "old"), [b"new", b"old"])
    assert verify(body, sign(body, "new"), [b"new", b"old"])
