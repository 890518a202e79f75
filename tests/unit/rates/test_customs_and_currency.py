from __future__ import annotations

import json
from decimal import Decimal

import pytest

from integration.clients.fedex import ServiceQuote
from integration.rates.config import load_rates_config
from integration.rates.currency import in_currency
from integration.rates.customs import CustomsConfig, CustomsError, commodities, load_customs
from integration.rates.request import parse_rate_request
from sandbox import SAMPLES

SAMPLE = json.loads((SAMPLES / "shopify" / "shopify_dev__carrier_service_rate_request.json").read_text())


def _quote(service: str, amount: str, currency: str) -> ServiceQuote:
    return ServiceQuote(service, None, Decimal(amount), currency, "ACCOUNT", Decimal(amount), None, 2, None, None)


def test_the_shipped_mapping_loads_with_documented_defaults() -> None:
    customs = load_customs()
    product = customs.for_sku("ANY-SKU")
    assert (product.country_of_origin, product.hs_code, product.quantity_units) == ("US", "", "PCS")


def test_commodities_from_a_cart() -> None:
    body = json.loads(json.dumps(SAMPLE))
    body["rate"]["items"][0].update({"sku": "TS", "quantity": 3, "grams": 200, "price": 1999})
    customs = CustomsConfig.model_validate({"products": {"TS": {"hs_code": "6109.10", "country_of_origin": "pt"}}})
    (c,) = commodities(parse_rate_request(body), customs)
    assert (c.harmonized_code, c.country_of_manufacture, c.description) == ("6109.10", "PT", "Short Sleeve T-Shirt")
    assert (c.quantity, c.unit_price, c.customs_value, c.currency) == (3, Decimal("19.99"), Decimal("59.97"), "USD")
    assert c.weight_lb.quantize(Decimal("0.01")) == Decimal("1.32")


def test_bad_customs_data_fails_loudly(tmp_path) -> None:
    for bad in ({"hs_code": "shirt"}, {"country_of_origin": "Portugal"}, {"unknown": 1}):
        path = tmp_path / "mappings.json"
        path.write_text(json.dumps({"customs": {"products": {"X": bad}}}))
        with pytest.raises(CustomsError):
            load_customs(path)


def test_currency_conversion_and_dropping() -> None:
    config = load_rates_config().model_copy(update={"exchange_rates": {"CAD/USD": Decimal("0.73")}})
    kept, dropped = in_currency(
        [_quote("A", "10.00", "USD"), _quote("B", "20.00", "CAD"), _quote("C", "5.00", "EUR")], "USD", config
    )
    assert [(q.service_type, q.amount, q.currency) for q in kept] == [
        ("A", Decimal("10.00"), "USD"),
        ("B", Decimal("14.60"), "USD"),
    ]
    assert [(d.service_type, d.currency) for d in dropped] == [("C", "EUR")]
    back, none = in_currency([_quote("D", "7.30", "USD")], "CAD", config)  # the inverse pair is used
    assert (back[0].amount, back[0].currency, none) == (Decimal("10.00"), "CAD", [])


def test_exchange_rates_are_validated() -> None:
    with pytest.raises(ValueError):
        load_rates_config().model_validate({**load_rates_config().model_dump(), "exchange_rates": {"CADUSD": "1"}})
