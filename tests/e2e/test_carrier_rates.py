"""Checkout rates end to end: Shopify's sample callback through the local host to the FedEx emulator."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from integration.rates.quotes import day_quotes
from integration.webhooks.signature import sign
from sandbox.emulators.fedex import create_app
from sandbox.emulators.serve import RunningServer, start_in_thread
from sandbox.host.process import HostProcess, start_host
from shared.storage import Storage
from tests.conftest import WEBHOOK_SECRET, sample_bytes

REQUEST = sample_bytes("shopify/shopify_dev__carrier_service_rate_request.json")


@pytest.fixture(scope="module")
def fedex() -> Iterator[RunningServer]:
    server = start_in_thread(create_app(), name="fedex")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def rates_host(azurite: str, fedex: RunningServer) -> Iterator[HostProcess]:
    env = {
        "AzureWebJobsStorage": azurite,
        "SHOPIFY_API_SECRET": WEBHOOK_SECRET,
        "WEBHOOK_RETENTION_SCHEDULE": "0 0 3 * * *",
        "ORDER_RECONCILE_SCHEDULE": "0 0 0 1 1 *",
        "FULFILLMENT_SYNC_SCHEDULE": "0 0 0 1 1 *",
        "INVENTORY_SYNC_SCHEDULE": "0 0 0 1 1 *",
        "FEDEX_URL": fedex.url,
        "FEDEX_CLIENT_ID": "local-fedex-client",
        "FEDEX_CLIENT_SECRET": "local-fedex-secret",
        "FEDEX_ACCOUNT_NUMBER": "740561073",
    }
    host = start_host(env)
    yield host
    host.stop()


def post(host: HostProcess, body: bytes, signed: bool = True, **headers: str) -> httpx.Response:
    h = {"Content-Type": "application/json", **headers}
    if signed:
        h["X-Shopify-Hmac-Sha256"] = sign(body, WEBHOOK_SECRET)
    return httpx.post(f"{host.url}/api/shopify/carrier-rates", content=body, headers=h, timeout=15)


def faults(fedex: RunningServer, **config: object) -> None:
    assert httpx.put(f"{fedex.url}/_emulator/faults", json=config).status_code == 200


def test_sample_request_gets_fedex_rates_then_cache(
    rates_host: HostProcess, fedex: RunningServer, storage: Storage
) -> None:
    faults(fedex)
    first = post(rates_host, REQUEST)
    assert first.status_code == 200, first.text
    rates = first.json()["rates"]
    assert rates, "FedEx should price the sample"
    for rate in rates:
        assert set(rate) >= {
            "service_name",
            "service_code",
            "total_price",
            "currency",
            "description",
            "min_delivery_date",
            "max_delivery_date",
        }
        assert isinstance(rate["total_price"], str) and rate["total_price"].isdigit()
    calls = httpx.get(f"{fedex.url}/_emulator/state").json()
    second = post(rates_host, REQUEST)
    assert second.json() == first.json()
    assert httpx.get(f"{fedex.url}/_emulator/state").json() == calls  # served from cache: FedEx not called
    rates_host.wait_for(lambda t: "rates.answered" in t and "source=cache" in t, what="cache hit logged")
    day = time.strftime("%Y-%m-%d", time.gmtime())

    def sources() -> set[str]:
        return {r["source"] for r in day_quotes(storage, day)}

    rates_host.wait_for(lambda _: {"fedex", "cache"} <= sources(), timeout=15, what="quote audit rows (batched)")


def test_fedex_down_answers_fallback_inside_the_deadline(rates_host: HostProcess, fedex: RunningServer) -> None:
    faults(fedex, rate_503=1.0)
    body = json.loads(REQUEST)
    body["rate"]["destination"]["postal_code"] = "K2P1L4" if body["rate"]["destination"]["country"] == "CA" else "10001"
    body["rate"]["items"][0]["grams"] = 12345  # a key not cached yet
    raw = json.dumps(body).encode()
    started = time.perf_counter()
    response = post(rates_host, raw)
    elapsed = time.perf_counter() - started
    faults(fedex)
    assert response.status_code == 200 and response.json()["rates"], response.text
    assert elapsed < 5.0  # the service deadline is 2.5 s; Shopify's tightest budget is 3 s
    rates_host.wait_for(lambda t: "rates.answered" in t and "source=fallback" in t, what="fallback logged")


@pytest.mark.parametrize(
    "body,status",
    [
        (b"{not json", 400),
        (b'{"rate": {"origin": {"country": "CA"}}}', 400),
        (b'{"nope": 1}', 400),
    ],
)
def test_invalid_requests_are_400(rates_host: HostProcess, body: bytes, status: int) -> None:
    response = post(rates_host, body)
    assert response.status_code == status and response.json()["reason"]


def test_negative_grams_is_400(rates_host: HostProcess) -> None:
    body = json.loads(REQUEST)
    body["rate"]["items"][0]["grams"] = -5
    response = post(rates_host, json.dumps(body).encode())
    assert response.status_code == 400


def test_bad_or_missing_signature_is_401_and_nothing_is_asked_of_fedex(
    rates_host: HostProcess, fedex: RunningServer
) -> None:
    before = httpx.get(f"{fedex.url}/_emulator/state").json()["counts"].get("rate_requests", 0)
    body = json.loads(REQUEST)
    body["rate"]["origin"]["postal_code"] = "10001"  # a fresh cache key: only a FedEx call could answer it
    raw = json.dumps(body).encode()
    assert post(rates_host, raw, signed=False, **{"X-Shopify-Hmac-Sha256": sign(raw, "x")}).status_code == 401
    unsigned = post(rates_host, raw, signed=False)
    assert unsigned.status_code == 401 and "X-Shopify-Hmac-Sha256" in unsigned.json()["reason"]
    assert httpx.get(f"{fedex.url}/_emulator/state").json()["counts"].get("rate_requests", 0) == before


def test_a_billion_units_is_400_at_once(rates_host: HostProcess) -> None:
    body = json.loads(REQUEST)
    body["rate"]["items"][0]["quantity"] = 1e9
    raw = json.dumps(body).encode()
    post(rates_host, REQUEST)  # warm
    started = time.perf_counter()
    response = post(rates_host, raw)
    elapsed = time.perf_counter() - started
    assert response.status_code == 400 and "quantity" in response.json()["reason"]
    assert elapsed < 0.5  # over HTTP on a shared machine; the parse itself is bounded in the unit tests


def test_unsigned_calls_are_served_only_when_explicitly_allowed(azurite: str, fedex: RunningServer) -> None:
    host = start_host(
        {
            "AzureWebJobsStorage": azurite,
            "SHOPIFY_API_SECRET": WEBHOOK_SECRET,
            "CARRIER_RATES_ALLOW_UNSIGNED": "true",
            "WEBHOOK_RETENTION_SCHEDULE": "0 0 3 * * *",
            "ORDER_RECONCILE_SCHEDULE": "0 0 0 1 1 *",
            "FULFILLMENT_SYNC_SCHEDULE": "0 0 0 1 1 *",
            "INVENTORY_SYNC_SCHEDULE": "0 0 0 1 1 *",
            "FEDEX_URL": fedex.url,
            "FEDEX_CLIENT_ID": "local-fedex-client",
            "FEDEX_CLIENT_SECRET": "local-fedex-secret",
            "FEDEX_ACCOUNT_NUMBER": "740561073",
        }
    )
    try:
        assert post(host, REQUEST, signed=False).status_code == 200
        bad = post(host, REQUEST, signed=False, **{"X-Shopify-Hmac-Sha256": sign(REQUEST, "x")})
        assert bad.status_code == 401  # a signature that is sent is still checked
    finally:
        host.stop()
