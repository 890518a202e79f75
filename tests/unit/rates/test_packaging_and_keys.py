"""Packing items into boxes, and the normalized cache key."""

from __future__ import annotations

from decimal import Decimal

import pytest

from integration.clients.fedex import Address, Parcel, RateQuery
from integration.rates.config import load_rates_config
from integration.rates.keys import normalize_postal, rate_cache_key
from integration.rates.packaging import PackagingError, pack
from integration.rates.request import ShopifyItem

PACKAGING = load_rates_config().packaging


def item(grams: int, quantity: int = 1, sku: str = "") -> ShopifyItem:
    return ShopifyItem(name="x", sku=sku, quantity=quantity, grams=grams, price=1000)


def test_one_light_item_goes_in_the_small_box() -> None:
    assert pack([item(1000)], PACKAGING) == [Parcel(Decimal("2.51"), 10, 8, 4)]  # 2.2046 lb + 0.3 tare


def test_smallest_box_that_carries_the_weight_keeps_dim_weight_low() -> None:
    parcels = pack([item(5000, 2)], PACKAGING)  # 22.05 lb
    assert [(p.length_in, p.width_in, p.height_in) for p in parcels] == [(14, 12, 8)]
    assert parcels[0].weight_lb == Decimal("22.65")


def test_heavy_carts_split_at_the_max_package_weight() -> None:
    parcels = pack([item(9000, 5)], PACKAGING)  # 5 x 19.84 lb, 2 per 50 lb package
    assert len(parcels) == 3
    assert all(p.weight_lb <= Decimal("50") for p in parcels)
    # 99.21 lb of goods + tares 1.0 + 1.0 (large) + 0.6 (medium), each parcel rounded up to 0.01 lb
    assert [p.length_in for p in parcels] == [20, 20, 14]
    assert sum(p.weight_lb for p in parcels) == Decimal("101.83")


def test_first_fit_decreasing_fills_gaps_with_light_items() -> None:
    parcels = pack([item(18000), item(1000, 3)], PACKAGING)  # 39.7 lb + 3 x 2.2 lb = 46.3 lb in one box
    assert len(parcels) == 1


def test_large_quantities_are_packed_without_expanding_units() -> None:
    parcels = pack([item(100, 5000)], PACKAGING)  # 1102 lb of 0.22 lb units
    assert len(parcels) == 23


def test_oversize_units_ship_alone_and_limits() -> None:
    parcels = pack([item(40000), item(500)], PACKAGING)  # 88 lb > any box
    assert Parcel(Decimal("88.19")) in parcels and len(parcels) == 2
    with pytest.raises(PackagingError, match="150 lb"):
        pack([item(70000)], PACKAGING)
    with pytest.raises(PackagingError, match="99"):
        pack([item(20000, 100)], PACKAGING)


def test_zero_gram_items_still_count() -> None:
    assert pack([item(0, 10)], PACKAGING)[0].weight_lb == Decimal("1.30")


def query(dest_postal: str = "72348-1234", weight: str = "4.53", residential: bool = True) -> RateQuery:
    return RateQuery(
        origin=Address("US", "65247"),
        destination=Address("us", dest_postal, "AR", None, residential),
        parcels=(Parcel(Decimal(weight), 10, 8, 4),),
    )


def test_cache_key_normalizes_and_distinguishes() -> None:
    assert normalize_postal("US", "72348-1234") == "72348" and normalize_postal("CA", "k1m 1m4") == "K1M1M4"
    key = rate_cache_key(query(), "740561073")
    assert key.startswith("fedex-rates:v1:")
    assert key == rate_cache_key(query(dest_postal="72348", weight="4.51"), "740561073")
    assert key != rate_cache_key(query(weight="4.61"), "740561073")
    assert key != rate_cache_key(query(residential=False), "740561073")
    assert key != rate_cache_key(query(dest_postal="72349"), "740561073")
    assert key != rate_cache_key(query(), "111111111")
    assert rate_cache_key(query(), "740561073") == rate_cache_key(
        RateQuery(
            origin=Address("US", "65247"),
            destination=Address("US", "72348", "AR", "Marion", True),
            parcels=(Parcel(Decimal("4.53"), 10, 8, 4),),
            ship_date=None,
        ),
        "740561073",
    )


def test_the_package_limit_is_checked_before_any_package_is_built() -> None:
    # 10,000 units of 60 lb would be 10,000 oversize cartons; 10,000 x 0.22 lb lines 500 times over
    # would be thousands of bins. Both are refused from arithmetic alone, at once.
    import time

    started = time.perf_counter()
    with pytest.raises(PackagingError, match="99"):
        pack([item(27216, 10_000)], PACKAGING)
    with pytest.raises(PackagingError, match="99"):
        pack([item(100 + i, 10_000) for i in range(500)], PACKAGING)
    assert time.perf_counter() - started < 0.5


def test_weightless_units_do_not_divide_by_zero() -> None:
    weightless = PACKAGING.model_copy(update={"min_item_weight_lb": Decimal("0")})
    assert len(pack([item(0, 10_000)], weightless)) == 1
