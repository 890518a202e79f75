"""Checkout rates end to end against the FedEx emulator: cache, single-flight, deadline with
fallback, circuit breaker, refusals. No timed assertions: outcomes and call counts only."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import fakeredis

from integration.rates.breaker import CircuitBreaker
from integration.rates.config import load_rates_config
from integration.rates.customs import CustomsConfig
from integration.rates.request import ShopifyRate, parse_rate_request
from integration.rates.service import RateService
from integration.rates.shared_cache import RedisQuoteCache
from sandbox import SAMPLES
from tests.integration.rates.conftest import Stack

SAMPLE = SAMPLES / "shopify" / "shopify_dev__carrier_service_rate_request.json"
CONFIG = load_rates_config()


def shopify_request(**destination: str) -> ShopifyRate:
    body = json.loads(SAMPLE.read_text())
    body["rate"]["destination"].update(destination)
    return parse_rate_request(body)


def service(stack: Stack, **config: object) -> RateService:
    # The emulator's fake clock says 2026-11-23; the service computes dates from the same day.
    return RateService(stack.client(), CONFIG.model_copy(update=config), today=lambda: _today(stack))


def _today(stack: Stack) -> date:
    return datetime.fromtimestamp(stack.clock(), UTC).date()


async def test_shopify_sample_gets_fedex_rates(stack: Stack) -> None:
    rates = service(stack)
    outcome = await rates.rates(shopify_request())
    assert outcome.source == "fedex"
    body = outcome.body["rates"]
    codes = [r["service_code"] for r in body]
    assert codes == ["FEDEX_GROUND", "FEDEX_EXPRESS_SAVER", "FEDEX_2_DAY", "STANDARD_OVERNIGHT", "PRIORITY_OVERNIGHT"]
    ground = body[0]
    assert ground["service_name"] == "FedEx Ground" and ground["currency"] == "USD"
    assert ground["total_price"].isdigit() and int(ground["total_price"]) > 0
    assert ground["min_delivery_date"].startswith("2026-11-24")
    last = stack.state()["last_requests"][-1]
    assert last["body"]["requestedShipment"]["recipient"]["address"]["residential"] is True
    await rates.client.aclose()


async def test_identical_requests_hit_the_cache(stack: Stack) -> None:
    rates = service(stack)
    first = await rates.rates(shopify_request())
    second = await rates.rates(shopify_request())
    assert (first.source, second.source) == ("fedex", "cache")
    assert first.body == second.body
    assert stack.state()["counts"]["rate_requests"] == 1
    await rates.client.aclose()


async def test_concurrent_identical_requests_coalesce(stack: Stack) -> None:
    rates = service(stack)
    outcomes = await asyncio.gather(*(rates.rates(shopify_request()) for _ in range(20)))
    assert {o.source for o in outcomes} == {"fedex"}
    assert rates.stats.fedex_calls == 1 and rates.stats.coalesced == 19
    assert stack.state()["counts"]["rate_requests"] == 1
    await rates.client.aclose()


async def test_slow_fedex_gets_fallback_at_the_deadline_and_fills_the_cache_later(stack: Stack) -> None:
    stack.admin("PUT", "/_emulator/faults", json={"latency_ms": 800, "paths": "^/rate/"})
    rates = service(stack, deadline_s=0.2)
    outcome = await rates.rates(shopify_request())
    assert (outcome.source, outcome.reason) == ("fallback", "deadline")
    assert [r["service_code"] for r in outcome.body["rates"]] == ["FALLBACK_STANDARD", "FALLBACK_EXPRESS"]
    for _ in range(100):  # bounded wait for the shielded FedEx call to land in the cache
        if rates.stats.fedex_calls and not rates.flights.in_flight:
            break
        await asyncio.sleep(0.05)
    later = await rates.rates(shopify_request())
    assert later.source == "cache"
    await rates.client.aclose()


async def test_fedex_down_opens_the_circuit(stack: Stack) -> None:
    stack.admin("PUT", "/_emulator/faults", json={"rate_503": 1.0, "paths": "^/rate/"})
    rates = RateService(
        stack.client(), CONFIG, breaker=CircuitBreaker(threshold=2, cool_down_s=60), today=lambda: _today(stack)
    )
    outcomes = [await rates.rates(shopify_request(postal_code=f"K1M{n}M4")) for n in range(5)]
    assert {o.source for o in outcomes} == {"fallback"}
    assert rates.breaker.state == "open"
    assert (rates.stats.fedex_calls, rates.stats.breaker_skips) == (2, 3)
    await rates.client.aclose()


async def test_a_fedex_refusal_answers_the_fallback_table_and_records_the_error(stack: Stack, caplog) -> None:
    stack.admin("PUT", "/_emulator/config", json={"unserved_postal_codes": ["K1M1M4"]})
    rates = service(stack)
    with caplog.at_level("WARNING", logger="integration.rates.service"):
        outcome = await rates.rates(shopify_request())
    assert outcome.source == "fallback" and outcome.body["rates"]  # never an empty list
    assert outcome.reason == "fedex refused: RATE.LOCATION.NOSERVICE"
    assert rates.stats.last_refusal == "RATE.LOCATION.NOSERVICE"
    assert any(
        "rates.fedex_refused" in r.getMessage() and "RATE.LOCATION.NOSERVICE" in r.getMessage() for r in caplog.records
    )
    assert rates.breaker.state == "closed"
    await rates.client.aclose()


def us_to_canada() -> ShopifyRate:
    body = json.loads(SAMPLE.read_text())
    body["rate"]["origin"].update({"country": "US", "postal_code": "10001", "province": "NY", "city": "New York"})
    body["rate"]["items"][0]["sku"] = "TSHIRT-S"
    return parse_rate_request(body)


async def test_a_us_to_canada_checkout_gets_fedex_rates_with_customs_data(stack: Stack) -> None:
    customs = CustomsConfig.model_validate(
        {"products": {"TSHIRT-S": {"hs_code": "6109.10", "country_of_origin": "PT", "description": "Cotton T-shirt"}}}
    )
    rates = RateService(stack.client(), CONFIG, customs=customs, today=lambda: _today(stack))
    outcome = await rates.rates(us_to_canada())
    assert outcome.source == "fedex", outcome.reason
    assert [r["service_code"] for r in outcome.body["rates"]] == [
        "FEDEX_INTERNATIONAL_PRIORITY",
        "INTERNATIONAL_ECONOMY",
    ]
    sent = stack.state()["last_requests"][-1]["body"]["requestedShipment"]["customsClearanceDetail"]
    (commodity,) = sent["commodities"]
    assert commodity["harmonizedCode"] == "6109.10" and commodity["countryOfManufacture"] == "PT"
    assert commodity["customsValue"] == {"amount": 19.99, "currency": "USD"} and commodity["quantity"] == 1
    # Without a product entry the documented defaults still rate: origin US, the item name, no HS code.
    plain = RateService(stack.client(), CONFIG, today=lambda: _today(stack))
    assert (await plain.rates(us_to_canada())).source == "fedex"
    sent = stack.state()["last_requests"][-1]["body"]["requestedShipment"]["customsClearanceDetail"]
    assert sent["commodities"][0]["description"] == "Short Sleeve T-Shirt"
    assert sent["commodities"][0]["countryOfManufacture"] == "US" and "harmonizedCode" not in sent["commodities"][0]
    await rates.client.aclose()
    await plain.client.aclose()


async def test_quotes_in_another_currency_are_converted_or_dropped_never_mixed(stack: Stack, caplog) -> None:
    stack.admin("PUT", "/_emulator/config", json={"currency": "CAD"})
    dropped = service(stack)
    with caplog.at_level("WARNING", logger="integration.rates.service"):
        outcome = await dropped.rates(shopify_request())
    assert outcome.source == "fallback" and outcome.reason.startswith("currency: dropped")
    assert all(r["currency"] == "USD" for r in outcome.body["rates"])
    assert any("rates.currency_dropped" in r.getMessage() for r in caplog.records)
    stack.admin("PUT", "/_emulator/config", json={"currency": "USD"})
    native = await service(stack).rates(shopify_request(postal_code="K1M2M4"))
    stack.admin("PUT", "/_emulator/config", json={"currency": "CAD"})
    converted = await service(stack, exchange_rates={"CAD/USD": Decimal("0.5")}).rates(
        shopify_request(postal_code="K1M2M4")
    )
    assert converted.source == "fedex" and {r["currency"] for r in converted.body["rates"]} == {"USD"}
    by_code = {r["service_code"]: int(r["total_price"]) for r in native.body["rates"]}
    for rate in converted.body["rates"]:
        assert abs(int(rate["total_price"]) - by_code[rate["service_code"]] // 2) <= 1
    await dropped.client.aclose()


async def test_bad_credentials_fall_back(stack: Stack) -> None:
    rates = RateService(stack.client(client_secret="wrong"), CONFIG, today=lambda: _today(stack))
    outcome = await rates.rates(shopify_request())
    assert (outcome.source, outcome.reason) == ("fallback", "auth")
    await rates.client.aclose()


async def test_free_shipping_applies_after_the_cache(stack: Stack) -> None:
    rules = CONFIG.model_copy(
        update={
            "services": {
                "FEDEX_GROUND": CONFIG.services["FEDEX_GROUND"].model_copy(
                    update={"free_shipping_threshold": Decimal("50")}
                )
            }
        }
    )
    rates = RateService(stack.client(), rules, today=lambda: _today(stack))
    cheap = await rates.rates(shopify_request())
    body = json.loads(SAMPLE.read_text())
    body["rate"]["items"][0]["price"] = 6000
    rich = await rates.rates(parse_rate_request(body))
    assert rich.source == "cache"  # same parcels, same FedEx quote
    assert int(cheap.body["rates"][0]["total_price"]) > 0 and rich.body["rates"][0]["total_price"] == "0"
    await rates.client.aclose()


async def test_a_repeat_cart_reuses_its_answer_only_while_its_quotes_are_the_cached_ones(stack: Stack) -> None:
    rates = service(stack)
    first = await rates.rates(shopify_request())
    again = await rates.rates(shopify_request())
    assert again.source == "cache" and again.body is first.body  # rules and formatting not run again
    (key,) = list(rates.stats.by_key)
    cached = rates.cache.get(key)
    assert cached is not None
    cheaper = [replace(q, amount=q.amount / 2) for q in cached]  # what a refreshed cache entry holds
    rates.cache.set(key, cheaper, 60)
    fresh = await rates.rates(shopify_request())
    assert fresh.body is not first.body
    assert int(fresh.body["rates"][0]["total_price"]) < int(first.body["rates"][0]["total_price"])
    await rates.client.aclose()


async def test_unpackable_cart_answers_empty_rates(stack: Stack) -> None:
    body = json.loads(SAMPLE.read_text())
    body["rate"]["items"][0]["grams"] = 80000
    rates = service(stack)
    outcome = await rates.rates(parse_rate_request(body))
    assert outcome.body == {"rates": []} and outcome.reason.startswith("packaging")
    await rates.client.aclose()


async def test_instances_share_quotes_through_redis(stack: Stack) -> None:
    server = fakeredis.FakeServer()
    first = RateService(
        stack.client(),
        CONFIG,
        shared=RedisQuoteCache(fakeredis.FakeAsyncRedis(server=server)),
        today=lambda: _today(stack),
    )
    second = RateService(
        stack.client(),
        CONFIG,
        shared=RedisQuoteCache(fakeredis.FakeAsyncRedis(server=server)),
        today=lambda: _today(stack),
    )
    a = await first.rates(shopify_request())
    b = await second.rates(shopify_request())
    assert (a.source, b.source, second.stats.shared_hits) == ("fedex", "cache", 1)
    assert a.body == b.body and stack.state()["counts"]["rate_requests"] == 1
    for svc in (first, second):
        await svc.client.aclose()


async def test_a_long_cart_is_packed_off_the_event_loop_and_still_rated(stack: Stack) -> None:
    from integration.rates.service import INLINE_PACKING_LINES, packs_off_loop

    body = json.loads(SAMPLE.read_text())
    item = body["rate"]["items"][0]
    assert not packs_off_loop(parse_rate_request(body))
    body["rate"]["items"] = [{**item, "grams": 100 + i, "quantity": 1} for i in range(INLINE_PACKING_LINES + 1)]
    rate = parse_rate_request(body)
    assert packs_off_loop(rate)
    outcome = await service(stack).rates(rate)
    assert outcome.source == "fedex" and outcome.body["rates"]
