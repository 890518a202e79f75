"""Rules (markup, handling, free shipping, rounding, allow-list), delivery dates, Shopify response, fallback."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import pytest

from integration.clients.fedex import Address, Parcel, ServiceQuote
from integration.rates.config import RatesConfig, Rounding, load_rates_config
from integration.rates.dates import add_business_days, delivery_window
from integration.rates.fallback import band_price, fallback_rates, fallback_zone
from integration.rates.response import shopify_date, subunits, to_shopify
from integration.rates.rules import FinalRate, apply_rules, round_price
from sandbox import SAMPLES as SAMPLE_ROOT

SHOPIFY_SAMPLES = SAMPLE_ROOT / "shopify"
BASE = load_rates_config()


def config(**changes: object) -> RatesConfig:
    data = json.loads(BASE.model_dump_json())
    data.update(changes)
    return RatesConfig.model_validate(data)


def quote(
    service: str, amount: str, days: int | None = None, delivery: datetime | None = None, max_days: int | None = None
) -> ServiceQuote:
    return ServiceQuote(
        service_type=service,
        service_name=None,
        amount=Decimal(amount),
        currency="USD",
        rate_type="ACCOUNT",
        net_charge=Decimal(amount),
        list_amount=None,
        transit_days=days,
        max_transit_days=max_days,
        delivery=delivery,
    )


def test_allow_list_order_and_unknown_services_dropped() -> None:
    quotes = [
        quote("PRIORITY_OVERNIGHT", "60"),
        quote("FEDEX_PRIORITY_OVERNIGHT_EXTRA_HOURS", "80"),
        quote("FEDEX_GROUND", "12.34"),
    ]
    rates = apply_rules(quotes, Decimal("10"), BASE)
    assert [(r.service_code, r.service_name, r.amount) for r in rates] == [
        ("FEDEX_GROUND", "FedEx Ground", Decimal("12.34")),
        ("PRIORITY_OVERNIGHT", "FedEx Priority Overnight", Decimal("60.00")),
    ]


def test_markup_handling_and_free_shipping() -> None:
    rules = config(
        handling_fee="1.50",
        services={
            "FEDEX_GROUND": {
                "display_name": "Ground",
                "markup_percent": "10",
                "markup_fixed": "0.25",
                "free_shipping_threshold": "100",
            },
            "FEDEX_2_DAY": {"display_name": "2 Day", "markup_percent": "-5"},
        },
    )
    quotes = [quote("FEDEX_GROUND", "12.34"), quote("FEDEX_2_DAY", "30.00")]
    below = {r.service_code: r.amount for r in apply_rules(quotes, Decimal("99.99"), rules)}
    assert below == {"FEDEX_GROUND": Decimal("15.32"), "FEDEX_2_DAY": Decimal("30.00")}  # 13.574+.25+1.5; 28.5+1.5
    above = {r.service_code: r.amount for r in apply_rules(quotes, Decimal("100.00"), rules)}
    assert above["FEDEX_GROUND"] == Decimal("0.00") and above["FEDEX_2_DAY"] == Decimal("30.00")


@pytest.mark.parametrize(
    ("amount", "rounding", "expected"),
    [
        ("12.344", Rounding(), "12.34"),
        ("12.345", Rounding(), "12.35"),
        ("12.01", Rounding(mode="up", increment=Decimal("0.50")), "12.50"),
        ("12.24", Rounding(mode="nearest", increment=Decimal("0.50")), "12.00"),
        ("12.30", Rounding(mode="up", increment=Decimal("1")), "13.00"),
        ("12.30", Rounding(ending=Decimal("0.99")), "12.99"),
        ("12.995", Rounding(ending=Decimal("0.95")), "13.95"),
        ("-3", Rounding(), "0.00"),
    ],
)
def test_rounding(amount: str, rounding: Rounding, expected: str) -> None:
    assert round_price(Decimal(amount), rounding) == Decimal(expected)


def test_delivery_window_from_fedex_timestamp_and_from_transit_days() -> None:
    monday = date(2026, 11, 23)
    stamped = quote("FEDEX_2_DAY", "1", 2, datetime(2026, 11, 25, 16, 30))
    assert delivery_window(stamped, monday, 0) == (datetime(2026, 11, 25, 16, 30), datetime(2026, 11, 25, 16, 30))
    assert delivery_window(stamped, monday, 2)[0] == datetime(2026, 11, 27, 16, 30)
    ground = quote("FEDEX_GROUND", "1", 3, None, 5)
    assert delivery_window(ground, date(2026, 11, 27), 0) == (date(2026, 12, 2), date(2026, 12, 4))
    assert delivery_window(quote("X", "1"), monday, 0) == (None, None)
    assert add_business_days(date(2026, 11, 27), 1) == date(2026, 11, 30)


def test_shopify_response_shape_matches_the_sample() -> None:
    sample = json.loads((SHOPIFY_SAMPLES / "shopify_dev__carrier_service_rate_response.json").read_text())
    rates = [
        FinalRate(
            "FEDEX_2_DAY",
            "FedEx 2Day",
            "2 business days",
            Decimal("29.34"),
            "USD",
            datetime(2026, 11, 25, 16, 30),
            datetime(2026, 11, 25, 16, 30),
            "fedex",
        ),
        FinalRate("FEDEX_GROUND", "FedEx Ground", "", Decimal("0.00"), "USD", None, None, "fedex"),
    ]
    body = to_shopify(rates, "America/New_York")
    assert set(body["rates"][0]) == set(sample["rates"][0])
    assert body["rates"][0]["total_price"] == "2934" and body["rates"][1]["total_price"] == "0"
    assert body["rates"][0]["min_delivery_date"] == "2026-11-25 16:30:00 -0500"
    assert "min_delivery_date" not in body["rates"][1]
    assert subunits(Decimal("1000")) == "100000"  # JPY: still x 100, as Shopify says
    assert shopify_date(date(2026, 7, 1), "America/New_York") == "2026-07-01 23:59:00 -0400"
    assert to_shopify([]) == {"rates": []}


def test_fallback_table_by_zone_and_weight() -> None:
    us_ny, us_ny2, us_ca = Address("US", "10001", "NY"), Address("US", "14201", "ny"), Address("US", "94105", "CA")
    assert fallback_zone(us_ny, us_ny2) == "regional"
    assert fallback_zone(us_ny, us_ca) == "domestic"
    assert fallback_zone(us_ny, Address("CA", "K1M1M4", "ON")) == "international"
    bands = BASE.fallback[0].zones["domestic"]
    assert band_price(bands, Decimal("5")) == Decimal("11.95")
    assert band_price(bands, Decimal("5.01")) == Decimal("19.95")
    assert band_price(bands, Decimal("120")) == Decimal("104.85")  # 3 x the 50 lb band
    rates = fallback_rates(
        us_ny, us_ca, [Parcel(Decimal("3")), Parcel(Decimal("4"))], Decimal("20"), "USD", BASE, date(2026, 11, 23)
    )
    assert [(r.service_code, r.amount, r.source) for r in rates] == [
        ("FALLBACK_STANDARD", Decimal("19.95"), "fallback"),
        ("FALLBACK_EXPRESS", Decimal("69.95"), "fallback"),
    ]
    assert rates[0].min_delivery == date(2026, 11, 26)
    abroad = fallback_rates(
        us_ny, Address("CA", "K1M1M4"), [Parcel(Decimal("1"))], Decimal("0"), "USD", BASE, date(2026, 11, 23)
    )
    assert [r.service_code for r in abroad] == ["FALLBACK_STANDARD"]  # no express band abroad
