"""Shopify CarrierService request parsing and the rates config file."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from integration.rates.config import DEFAULT_PATH, RatesConfigError, load_rates_config
from integration.rates.request import InvalidRateRequest, parse_rate_request
from sandbox import SAMPLES

SAMPLE = SAMPLES / "shopify" / "shopify_dev__carrier_service_rate_request.json"


def sample() -> dict:
    return json.loads(SAMPLE.read_text())


def test_parses_shopify_sample() -> None:
    rate = parse_rate_request(SAMPLE.read_bytes())
    assert (rate.origin.country, rate.origin.postal_code, rate.destination.postal_code) == ("CA", "K2P1L4", "K1M1M4")
    assert rate.origin.residential is False  # company_name "Jamie D's Emporium"
    assert rate.destination.residential is True  # no company name
    item = rate.items[0]
    assert (item.grams, item.price, item.quantity, item.requires_shipping) == (1000, 1999, 1, True)
    assert rate.subtotal() == Decimal("19.99")


def test_zip_alias_and_subtotal_counts_only_shipped_items() -> None:
    body = sample()
    body["rate"]["destination"].pop("postal_code")
    body["rate"]["destination"]["zip"] = "k1m 1m4"
    body["rate"]["items"].append(
        {"name": "Gift card", "quantity": 2, "grams": 0, "price": 5000, "requires_shipping": False}
    )
    body["rate"]["items"].append({"name": "Mug", "quantity": 3, "grams": 400, "price": 1250})
    rate = parse_rate_request(body)
    assert rate.destination.postal_code == "K1M 1M4"
    assert rate.subtotal() == Decimal("57.49")
    assert [i.name for i in rate.shipped_items] == ["Short Sleeve T-Shirt", "Mug"]


def test_address_type_wins_over_company_name() -> None:
    body = sample()
    body["rate"]["destination"]["address_type"] = "commercial"
    assert parse_rate_request(body).destination.residential is False


@pytest.mark.parametrize(
    "mutate",
    [
        lambda b: b.pop("rate"),
        lambda b: b["rate"].update(items=[]),
        lambda b: b["rate"]["items"][0].update(grams=-1),
        lambda b: b["rate"]["items"][0].update(price="cheap"),
        lambda b: b["rate"]["items"][0].update(quantity=1.5),
        lambda b: b["rate"]["destination"].update(country="Canada"),
        lambda b: b["rate"].pop("currency"),
    ],
)
def test_invalid_requests_raise_a_clear_error(mutate) -> None:
    body = sample()
    mutate(body)
    with pytest.raises(InvalidRateRequest) as caught:
        parse_rate_request(body)
    assert str(caught.value)


@pytest.mark.parametrize("raw", [b"not json", b"[]", b'"rate"', "{}"])
def test_non_objects_raise(raw) -> None:
    with pytest.raises(InvalidRateRequest):
        parse_rate_request(raw)


def test_default_config_loads() -> None:
    config = load_rates_config()
    assert "FEDEX_GROUND" in config.services and config.packaging.boxes
    assert config.fingerprint() == load_rates_config(DEFAULT_PATH).fingerprint()


def test_bad_config_names_the_field(tmp_path: Path) -> None:
    data = json.loads(DEFAULT_PATH.read_text())
    data["services"]["FEDEX_GROUND"]["markup_percnt"] = "5"
    path = tmp_path / "rates.json"
    path.write_text(json.dumps(data))
    with pytest.raises(RatesConfigError, match="markup_percnt"):
        load_rates_config(path)
    data = json.loads(DEFAULT_PATH.read_text())
    data["packaging"]["boxes"][0]["max_weight_lb"] = "200"
    path.write_text(json.dumps(data))
    with pytest.raises(RatesConfigError, match="max_weight_lb"):
        load_rates_config(path)
    with pytest.raises(RatesConfigError, match=r"missing\.json"):
        load_rates_config(tmp_path / "missing.json")


@pytest.mark.parametrize(
    "mutate",
    [
        lambda b: b["rate"]["items"][0].update(quantity=1e9),
        lambda b: b["rate"]["destination"].update(city="\ud800"),
        lambda b: b["rate"]["items"][0].update(quantity=10**18),
        lambda b: b["rate"]["items"][0].update(grams=10**12),
        lambda b: b["rate"]["items"][0].update(name="x" * 5000),
        lambda b: b["rate"]["destination"].update(postal_code="9" * 500),
        lambda b: b["rate"].update(items=[b["rate"]["items"][0]] * 501),
        lambda b: b["rate"].update(items=[{**b["rate"]["items"][0], "quantity": 10_000}] * 11),
    ],
)
def test_quantities_lines_and_text_are_bounded(mutate) -> None:
    body = sample()
    mutate(body)
    with pytest.raises(InvalidRateRequest):
        parse_rate_request(json.dumps(body).encode())


def test_a_billion_units_is_refused_in_well_under_50_ms() -> None:
    import time

    body = sample()
    body["rate"]["items"][0]["quantity"] = 1e9
    raw = json.dumps(body).encode()
    parse_rate_request(json.dumps(sample()).encode())  # warm
    started = time.perf_counter()
    with pytest.raises(InvalidRateRequest, match="quantity"):
        parse_rate_request(raw)
    assert time.perf_counter() - started < 0.05


def _with_city(city_json: bytes) -> bytes:
    """The sample as bytes with the destination city written as given (raw JSON)."""
    body = json.dumps(sample()).encode()
    return body.replace(b'"city": "Ottawa"', b'"city": ' + city_json, 1) if b'"city": "Ottawa"' in body else body


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(lambda: _with_city(b'"\\ud800"'), id="escaped lone surrogate"),
        pytest.param(lambda: _with_city(b'"\xed\xa0\x80"'), id="UTF-8 bytes of a lone surrogate"),
        pytest.param(lambda: json.dumps(sample() | {"x": "\ud800"}).encode("utf-16", "surrogatepass"), id="UTF-16"),
        pytest.param(lambda: json.dumps(sample() | {"deep": json.loads("[" * 70 + "]" * 70)}).encode(), id="deep"),
    ],
)
def test_bodies_json_cannot_store_are_refused_whatever_the_fast_path(raw) -> None:
    """The raw-bytes shortcut past the JSON walk must still send these to it (a lone surrogate would
    fail the cart key's HMAC with a 500)."""
    body = raw()
    with pytest.raises(InvalidRateRequest, match=r"surrogate|deeper"):
        parse_rate_request(body)


def test_bytes_parse_as_the_parsed_dict_does() -> None:
    """Raw bytes go through pydantic's JSON parser in one pass; the result is the dict path's."""
    body = sample()
    body["rate"]["items"][0]["quantity"] = "3"  # lax: a numeric string is a number on both paths
    assert parse_rate_request(json.dumps(body).encode()) == parse_rate_request(body)
    with pytest.raises(InvalidRateRequest, match="body must be a JSON object with a 'rate' member"):
        parse_rate_request(b'{"rates": {}}')  # refused by the one pass, then named as always
    with pytest.raises(InvalidRateRequest, match="body is not JSON"):
        parse_rate_request(b'{"rate": ')
