"""Hostile input against the carrier-rates callback over real HTTP: random bodies, wrong and
replayed signatures, huge and deeply nested JSON. Never a 500."""

from __future__ import annotations

import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integration.webhooks.signature import sign
from sandbox.host.process import HostProcess
from tests.conftest import WEBHOOK_SECRET, sample_bytes
from tests.e2e.test_carrier_rates import fedex, rates_host  # noqa: F401 (fixtures)

REQUEST = sample_bytes("shopify/shopify_dev__carrier_service_rate_request.json")
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=25,
)


def _post(host: HostProcess, body: bytes, signed: bool = True) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if signed:
        headers["X-Shopify-Hmac-Sha256"] = sign(body, WEBHOOK_SECRET)
    return httpx.post(f"{host.url}/api/shopify/carrier-rates", content=body, headers=headers, timeout=15)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(body=st.binary(max_size=1024))
def test_random_bytes_never_500(rates_host: HostProcess, body: bytes) -> None:  # noqa: F811
    assert _post(rates_host, body).status_code in (400, 401)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(payload=json_values)
def test_random_json_never_500(rates_host: HostProcess, payload) -> None:  # noqa: F811
    response = _post(rates_host, json.dumps({"rate": payload}).encode())
    assert response.status_code in (200, 400), response.text


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(
    field=st.sampled_from(["grams", "quantity", "price", "requires_shipping", "sku"]),
    value=st.one_of(
        st.integers(-(10**12), 10**12),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=30),
        st.none(),
        st.booleans(),
    ),
)
def test_mutated_sample_item_never_500(rates_host: HostProcess, field: str, value) -> None:  # noqa: F811
    body = json.loads(REQUEST)
    body["rate"]["items"][0][field] = value
    response = _post(rates_host, json.dumps(body).encode())
    assert response.status_code in (200, 400), response.text
    if response.status_code == 200:
        assert isinstance(response.json()["rates"], list)


def test_replayed_signature_with_altered_body_is_401(rates_host: HostProcess) -> None:  # noqa: F811
    signature = sign(REQUEST, WEBHOOK_SECRET)
    altered = REQUEST.replace(b'"quantity": 1', b'"quantity": 9', 1)
    response = httpx.post(
        f"{rates_host.url}/api/shopify/carrier-rates",
        content=altered,
        timeout=15,
        headers={"Content-Type": "application/json", "X-Shopify-Hmac-Sha256": signature},
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    "body",
    [b'{"rate":' * 10_000 + b"1" + b"}" * 10_000, json.dumps({"rate": {"items": [{"grams": 1}] * 20_000}}).encode()],
)
def test_deep_and_huge_bodies(rates_host: HostProcess, body: bytes) -> None:  # noqa: F811
    assert _post(rates_host, body).status_code in (200, 400)


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(payload=json_values, hmac_value=st.text(max_size=60))
def test_unsigned_or_badly_signed_callbacks_are_always_401(rates_host: HostProcess, payload, hmac_value: str) -> None:  # noqa: F811
    body = json.dumps({"rate": payload}).encode()
    headers = {"Content-Type": "application/json"}
    value = hmac_value.encode("latin-1", errors="ignore").strip()
    if value and all(0x20 <= b < 0x7F for b in value):
        headers["X-Shopify-Hmac-Sha256"] = value.decode()
    response = httpx.post(f"{rates_host.url}/api/shopify/carrier-rates", content=body, headers=headers, timeout=15)
    assert response.status_code == 401, response.text
