"""The FedEx client against the emulator over real HTTP: tokens, retries, classification, contract."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import httpx
import jsonschema
import pytest

from integration.clients.fedex import (
    Address,
    Commodity,
    FedexAuthError,
    FedexRejected,
    FedexRetry,
    FedexTransient,
    Parcel,
    RateQuery,
    build_rate_request,
)
from sandbox.emulators.faults import FaultConfig
from sandbox.emulators.fedex.schema import load_openapi
from tests.integration.rates.conftest import Stack

QUERY = RateQuery(
    origin=Address("US", "65247", "MO"),
    destination=Address("US", "72348", "AR", "Marion", True),
    parcels=(Parcel(Decimal("4.5"), 12, 10, 6), Parcel(Decimal("1.25"))),
)
SCHEMA = jsonschema.Draft4Validator(
    {"$ref": "#/components/schemas/Full_Schema_Quote_Rate", "components": load_openapi()["components"]}
)


async def test_rates_map_to_typed_quotes_with_decimal_money(stack: Stack) -> None:
    async with stack.client() as client:
        quotes = await client.rate(QUERY, customer_transaction_id="checkout-1")
        raw = await client.rate_raw(build_rate_request(QUERY, client.account_number))
    by_type = {q.service_type: q for q in quotes}
    assert set(by_type) == {
        "PRIORITY_OVERNIGHT",
        "STANDARD_OVERNIGHT",
        "FEDEX_2_DAY",
        "FEDEX_EXPRESS_SAVER",
        "GROUND_HOME_DELIVERY",
    }
    home = by_type["GROUND_HOME_DELIVERY"]
    emulated = next(d for d in raw["output"]["rateReplyDetails"] if d["serviceType"] == "GROUND_HOME_DELIVERY")
    account = next(r for r in emulated["ratedShipmentDetails"] if r["rateType"] == "ACCOUNT")
    assert isinstance(home.amount, Decimal) and home.amount == account["totalNetFedExCharge"]
    assert home.rate_type == "ACCOUNT" and home.list_amount is not None and home.list_amount > home.amount
    assert home.transit_days == 1 and home.delivery is not None


async def test_every_request_sent_validates_against_fedex_schema(stack: Stack) -> None:
    queries = [
        QUERY,
        RateQuery(
            origin=Address("US", "10001", "NY"),
            destination=Address("CA", "K1M 1M4", "ON"),
            parcels=(Parcel(Decimal("0.2")),),
            service_type="FEDEX_INTERNATIONAL_PRIORITY",
            commodities=(COMMODITY,),
        ),
    ]
    async with stack.client() as client:
        for query in queries:
            await client.rate(query)
    assert len(stack.transport.rate_bodies) == 2
    for body in stack.transport.rate_bodies:
        assert [e.message for e in SCHEMA.iter_errors(body)] == []
    customs = stack.transport.rate_bodies[1]["requestedShipment"]["customsClearanceDetail"]
    assert customs["dutiesPayment"] == {"paymentType": "SENDER"}
    assert customs["commodities"][0]["harmonizedCode"] == "6109.10"
    assert customs["commodities"][0]["customsValue"] == {"amount": 39.98, "currency": "USD"}


async def test_an_international_request_without_customs_data_is_refused(stack: Stack) -> None:
    query = RateQuery(
        origin=Address("US", "10001", "NY"), destination=Address("CA", "K1M 1M4", "ON"), parcels=(Parcel(Decimal("1")),)
    )
    async with stack.client() as client:
        with pytest.raises(FedexRejected) as refused:
            await client.rate(query)
    assert refused.value.status == 400 and refused.value.codes == ("INVALID.INPUT.EXCEPTION",)


COMMODITY = Commodity(
    description="Cotton T-shirt",
    quantity=2,
    quantity_units="PCS",
    weight_lb=Decimal("0.8"),
    customs_value=Decimal("39.98"),
    unit_price=Decimal("19.99"),
    currency="USD",
    country_of_manufacture="PT",
    harmonized_code="6109.10",
)


async def test_token_is_reused(stack: Stack) -> None:
    async with stack.client() as client:
        for _ in range(3):
            await client.rate(QUERY)
    counts = stack.state()["counts"]
    assert (counts["tokens_issued"], counts["rate_ok"]) == (1, 3)


async def test_concurrent_callers_make_one_token_request(stack: Stack) -> None:
    async with stack.client() as client:
        results = await asyncio.gather(*(client.rate(QUERY) for _ in range(12)))
    assert all(results)
    assert stack.state()["counts"]["token_requests"] == 1


async def test_expired_token_gets_one_refresh_on_401(stack: Stack) -> None:
    async with stack.client() as client:
        await client.rate(QUERY)
        stack.admin("POST", "/_emulator/expire-tokens")
        await client.rate(QUERY)
        assert client.stats.token_refreshes_on_401 == 1
    counts = stack.state()["counts"]
    assert (counts["tokens_issued"], counts["rate_401"], counts["rate_ok"]) == (2, 1, 2)


async def test_token_refreshed_before_expiry_without_a_401(stack: Stack) -> None:
    stack.admin("PUT", "/_emulator/config", json={"token_lifetime_s": 100})
    now = [0.0]
    async with stack.client(clock=lambda: now[0]) as client:
        await client.rate(QUERY)
        now[0] = 89.0  # < 100 - 10 % margin: still cached
        await client.rate(QUERY)
        now[0] = 91.0
        await client.rate(QUERY)
    counts = stack.state()["counts"]
    assert counts["tokens_issued"] == 2 and "rate_401" not in counts


async def test_bad_credentials_are_auth_errors(stack: Stack) -> None:
    async with stack.client(client_secret="wrong") as client:
        with pytest.raises(FedexAuthError) as caught:
            await client.rate(QUERY)
    assert caught.value.codes == ("NOT.AUTHORIZED.ERROR",)


async def test_permanent_4xx_is_not_retried(stack: Stack) -> None:
    bad = RateQuery(origin=QUERY.origin, destination=Address("US", "99999"), parcels=QUERY.parcels)
    async with stack.client() as client:
        with pytest.raises(FedexRejected) as caught:
            await client.rate(bad)
    assert caught.value.codes == ("RATE.LOCATION.NOSERVICE",) and caught.value.no_service
    assert stack.state()["counts"]["rate_requests"] == 1 and stack.sleeps == []


async def test_429_retried_after_retry_after(make_stack) -> None:
    stack = make_stack(rate_limit=2, rate_window_s=10)
    async with stack.client() as client:
        await client.rate(QUERY)
        await client.rate(QUERY)
        stack.clock.advance(3)
        quotes = await client.rate(QUERY)  # 429 Retry-After: 7 -> waits 7 s (emulator clock) -> 200
    assert quotes and stack.sleeps == [7.0]
    assert client.stats.throttled == 1 and stack.state()["counts"]["rate_429"] == 1


async def test_long_retry_after_fails_over_at_once(make_stack) -> None:
    stack = make_stack(rate_limit=1, rate_window_s=10)
    async with stack.client(retry=FedexRetry(max_retry_after=2)) as client:
        await client.rate(QUERY)
        with pytest.raises(FedexTransient) as caught:
            await client.rate(QUERY)
    assert caught.value.status == 429 and stack.sleeps == []


async def test_5xx_retried_under_a_seed_then_gives_up(make_stack) -> None:
    stack = make_stack(faults=FaultConfig(seed=3, rate_503=0.5, paths="^/rate/"))
    outcomes = []
    async with stack.client(retry=FedexRetry(attempts=3, base_delay=0.01)) as client:
        for _ in range(10):
            try:
                await client.rate(QUERY)
                outcomes.append("ok")
            except FedexTransient as error:
                assert error.status == 503
                outcomes.append("transient")
    assert outcomes.count("ok") >= 7  # 0.5 ** 3 per call to exhaust 3 attempts
    assert client.stats.retries > 0 and len(stack.sleeps) == client.stats.retries


async def test_fedex_shaped_500_is_transient(stack: Stack) -> None:
    stack.admin("PUT", "/_emulator/faults", json={"rate_500": 1.0, "paths": "^/rate/"})
    async with stack.client(retry=FedexRetry(attempts=2, base_delay=0.01)) as client:
        with pytest.raises(FedexTransient) as caught:
            await client.rate(QUERY)
    assert caught.value.status == 500 and client.stats.requests == 3  # token + 2 rate attempts


async def test_timeouts_and_dropped_connections_are_transient(stack: Stack) -> None:
    stack.admin("PUT", "/_emulator/faults", json={"rate_timeout": 1.0, "timeout_s": 2, "paths": "^/rate/"})
    timeout = httpx.Timeout(0.3, connect=1.0)
    async with stack.client(timeout=timeout, retry=FedexRetry(attempts=2, base_delay=0.01)) as client:
        with pytest.raises(FedexTransient, match="Timeout"):
            await client.rate(QUERY)
    stack.admin("PUT", "/_emulator/faults", json={"seed": 5, "rate_drop": 0.5, "paths": "^/rate/"})
    async with stack.client(retry=FedexRetry(attempts=5, base_delay=0.01)) as client:
        assert await client.rate(QUERY)
