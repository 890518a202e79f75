"""The pure F&O -> productSet mapping."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from integration.catalog import mapping, translations
from integration.catalog.config import CatalogConfig, load_config
from integration.catalog.mapping import Problem, ProductPlan, build, duplicate_skus, group_prices
from integration.catalog.model import Barcode, FoCatalogEntry, FoPrice, FoProduct, FoVariant, Translation

NOW = datetime(2026, 12, 7, tzinfo=UTC)


def config(**changes: Any) -> CatalogConfig:
    return load_config().model_copy(update=changes)


def product(**row: Any) -> FoProduct:
    base = {
        "ItemNumber": "T100",
        "ProductNumber": "T100",
        "ProductSubType": "ProductMaster",
        "ProductType": "Item",
        "SearchName": "TSHIRT",
        "ProductLifecycleStateId": "Released for sale",
        "SalesPrice": Decimal("39.80"),
        "SalesPriceQuantity": Decimal(2),
        "NetProductWeight": Decimal("0.20"),
        "TareProductWeight": Decimal("0.05"),
    }
    return FoProduct.from_row({**base, **row})


def variant(color: str, size: str, style: str = "") -> FoVariant:
    return FoVariant.from_row(
        {
            "ProductMasterNumber": "T100",
            "ItemNumber": "T100",
            "ProductColorId": color,
            "ProductSizeId": size,
            "ProductStyleId": style,
        }
    )


def price(value: str, *, group: str = "", color: str = "", currency: str = "USD", rec: int = 1, **row: Any) -> FoPrice:
    return FoPrice.from_row(
        {
            "RecordId": rec,
            "ItemNumber": "T100",
            "ProductColorId": color,
            "PriceCustomerGroupCode": group,
            "PriceCurrencyCode": currency,
            "Price": Decimal(value),
            "SalesPriceQuantity": Decimal(1),
            "FromQuantity": Decimal(1),
            **row,
        }
    )


def master_entry(**kwargs: Any) -> FoCatalogEntry:
    variants = [variant(c, s) for c in ("Red", "Blue") for s in ("S", "M", "L")]
    return FoCatalogEntry(product(), variants, kwargs.get("prices", []), kwargs.get("translations", []))


def plan_of(result: ProductPlan | list[Problem] | None) -> ProductPlan:
    assert isinstance(result, ProductPlan), result
    return result


def test_a_master_with_two_dimensions_becomes_options_and_variants() -> None:
    plan = plan_of(build(master_entry(), config(), NOW, known=False))
    body = plan.input
    assert [(o["name"], [v["name"] for v in o["values"]]) for o in body["productOptions"]] == [
        ("Color", ["Blue", "Red"]),
        ("Size", ["L", "M", "S"]),
    ]
    assert len(body["variants"]) == 6
    first = body["variants"][0]
    assert first["optionValues"] == [{"optionName": "Color", "name": "Blue"}, {"optionName": "Size", "name": "L"}]
    assert first["inventoryItem"]["sku"] == "T100-Blue-L"  # the inventory push's SKU scheme
    assert first["price"] == "19.90"  # 39.80 per 2 units
    assert first["inventoryItem"]["measurement"] == {"weight": {"unit": "KILOGRAMS", "value": 0.25}}
    assert first["inventoryItem"]["requiresShipping"] is True
    assert first["metafields"] == [
        {"namespace": "d365", "key": "item_number", "type": "single_line_text_field", "value": "T100"}
    ]
    assert body["metafields"][0]["key"] == "product_number" and body["metafields"][0]["value"] == "T100"
    assert body["title"] == "TSHIRT" and body["status"] == "ACTIVE"
    assert plan.skus["T100-Red-M"] == "T100"
    # Shopify owns these: never in the input
    assert not {"descriptionHtml", "seo", "tags", "files"} & set(body)


def test_a_distinct_product_gets_the_default_variant_and_a_service_needs_no_shipping() -> None:
    entry = FoCatalogEntry(
        product(ItemNumber="SVC1", ProductNumber="SVC1", ProductSubType="Product", ProductType="Service")
    )
    body = plan_of(build(entry, config(), NOW, known=False)).input
    assert body["productOptions"] == [{"name": "Title", "position": 1, "values": [{"name": "Default Title"}]}]
    (only,) = body["variants"]
    assert only["optionValues"] == [{"optionName": "Title", "name": "Default Title"}]
    assert only["inventoryItem"]["sku"] == "SVC1" and only["inventoryItem"]["requiresShipping"] is False
    assert "measurement" not in only["inventoryItem"]


def test_the_translation_in_the_shop_language_is_the_title() -> None:
    translations = [
        Translation("T100", "de", "Hemd", ""),
        Translation("T100", "en-us", "Classic T-shirt", "Cotton"),
    ]
    assert (
        plan_of(build(master_entry(translations=translations), config(), NOW, known=False)).input["title"]
        == "Classic T-shirt"
    )


def test_the_most_specific_all_customer_agreement_wins_over_the_base_price() -> None:
    prices = [
        price("25.00", rec=1),
        price("27.50", color="Red", rec=2),
        price("10.00", group="WHOLESALE", rec=3),  # a group price is for a price list, not the variant
        price("30.00", currency="EUR", rec=4),  # another currency is never converted
        price("5.00", rec=5, PriceApplicableToDate="2026-01-01T00:00:00Z"),  # expired
    ]
    body = plan_of(build(master_entry(prices=prices), config(), NOW, known=False)).input
    by_sku = {v["inventoryItem"]["sku"]: v["price"] for v in body["variants"]}
    assert by_sku["T100-Red-S"] == "27.50" and by_sku["T100-Blue-S"] == "25.00"


def test_a_missing_price_is_a_problem_not_a_half_product() -> None:
    entry = FoCatalogEntry(product(SalesPrice=Decimal(0)), [variant("Red", "S")])
    result = build(entry, config(), NOW, known=False)
    assert isinstance(result, list) and [p.reason_code for p in result] == [mapping.MISSING_PRICE]


def test_too_many_options_and_variants_are_problems() -> None:
    too_many_dims = FoCatalogEntry(
        product(),
        [
            FoVariant.from_row(
                {"ProductColorId": "R", "ProductSizeId": "S", "ProductStyleId": "X", "ProductConfigurationId": "C"}
            )
        ],
    )
    result = build(too_many_dims, config(), NOW, known=False)
    assert isinstance(result, list) and result[0].reason_code == mapping.TOO_MANY_OPTIONS
    many = FoCatalogEntry(product(), [variant(f"C{i}", f"S{j}") for i in range(50) for j in range(41)])  # 2,050
    result = build(many, config(), NOW, known=False)
    assert isinstance(result, list) and result[0].reason_code == mapping.TOO_MANY_VARIANTS
    lower = build(master_entry(), config(max_variants=5), NOW, known=False)
    assert isinstance(lower, list) and lower[0].reason_code == mapping.TOO_MANY_VARIANTS


def test_incomplete_dimensions_and_a_master_without_variants_are_problems() -> None:
    entry = FoCatalogEntry(product(), [variant("Red", "S"), variant("Blue", "")])
    result = build(entry, config(), NOW, known=False)
    assert isinstance(result, list) and result[0].reason_code == mapping.INCOMPLETE_DIMENSIONS
    result = build(FoCatalogEntry(product()), config(), NOW, known=False)
    assert isinstance(result, list) and result[0].reason_code == mapping.NO_VARIANTS


@pytest.mark.parametrize("known", [True, False])
def test_leaving_the_released_state_sets_draft_and_never_creates(known: bool) -> None:
    entry = FoCatalogEntry(product(ProductLifecycleStateId="Discontinued"), [variant("Red", "S")])
    result = build(entry, config(leaving_status="ARCHIVED"), NOW, known=known)
    if known:
        plan = plan_of(result)
        assert plan.status_only and plan.input == {"status": "ARCHIVED"}
    else:
        assert result is None


def test_fields_shopify_owns_or_not_configured_are_left_out() -> None:
    owned = config(fo_owns=["options", "sku", "weight"])
    body = plan_of(build(master_entry(), owned, NOW, known=True)).input
    assert "title" not in body and all("price" not in v for v in body["variants"])
    assert "title" in plan_of(build(master_entry(), owned, NOW, known=False)).input  # Shopify needs a title to create


def test_the_hash_changes_only_with_the_content() -> None:
    a = plan_of(build(master_entry(), config(), NOW, known=False))
    b = plan_of(build(master_entry(), config(), NOW, known=False))
    c = plan_of(build(master_entry(prices=[price("21.00")]), config(), NOW, known=False))
    assert a.content_hash == b.content_hash != c.content_hash


def test_duplicate_skus_across_products_are_found() -> None:
    a = plan_of(build(master_entry(), config(), NOW, known=False))
    other = FoCatalogEntry(product(ItemNumber="T100-Red-S", ProductNumber="P2", ProductSubType="Product"))
    b = plan_of(build(other, config(), NOW, known=False))
    assert duplicate_skus([a, b]) == {"T100-Red-S": ["T100", "P2"]}


def test_group_prices_for_a_price_list() -> None:
    prices = [
        price("15.00", group="WHOLESALE", rec=1),
        price("14.00", group="WHOLESALE", color="Red", rec=2),
        price("13.00", group="WHOLESALE", currency="CAD"),
    ]
    out = group_prices(master_entry(prices=prices), "wholesale", "USD", NOW, config())
    assert out["T100-Red-M"] == Decimal("14.00") and out["T100-Blue-M"] == Decimal("15.00") and len(out) == 6


def barcode(code: str, color: str = "", size: str = "", **row: Any) -> Barcode:
    return Barcode.from_row(
        {
            "ItemNumber": "T100",
            "ProductColorId": color,
            "ProductSizeId": size,
            "BarcodeSetupId": "UPC",
            "Barcode": code,
            "ProductQuantity": Decimal(1),
            **row,
        }
    )


def test_the_variant_barcode_is_its_own_default_displayed_one() -> None:
    entry = master_entry()
    entry.barcodes = [
        barcode("111", "Red", "S", BarcodeSetupId="EAN"),
        barcode("222", "Red", "S", IsDefaultDisplayedBarcode="Yes"),
        barcode("333", "Red", "M", ProductQuantity=Decimal(12)),  # a case of 12: not a unit barcode
        barcode("444"),  # no dimensions: not a variant's
    ]
    plan = build(entry, config(), NOW, known=False)
    assert isinstance(plan, ProductPlan)
    by_sku = {v["inventoryItem"]["sku"]: v for v in plan.input["variants"]}
    assert by_sku["T100-Red-S"]["barcode"] == "222" and by_sku["T100-Red-M"]["barcode"] is None  # cleared if it had one
    only_ean = build(entry, config(barcode_setup="EAN"), NOW, known=False)
    assert isinstance(only_ean, ProductPlan)
    assert {v["inventoryItem"]["sku"]: v.get("barcode") for v in only_ean.input["variants"]}["T100-Red-S"] == "111"
    not_owned = build(entry, config(fo_owns=["title", "options", "sku", "price", "weight"]), NOW, known=False)
    assert isinstance(not_owned, ProductPlan)
    assert not any("barcode" in v for v in not_owned.input["variants"])


def test_the_plan_knows_each_variant_skus_dimensions() -> None:
    plan = build(master_entry(), config(), NOW, known=False)
    assert isinstance(plan, ProductPlan)
    assert plan.dimensions["T100-Blue-L"] == {"ProductColorId": "Blue", "ProductSizeId": "L"}


def test_quantity_breaks_of_a_group_from_whole_quantities_above_one() -> None:
    prices = [
        price("18.00", group="B2B"),
        price("16.00", group="B2B", FromQuantity=Decimal(10), rec=2),
        price("15.00", group="B2B", color="Red", FromQuantity=Decimal(10), rec=3),  # more specific
        price("14.00", group="B2B", FromQuantity=Decimal(50), rec=4),
        price("13.00", group="B2B", FromQuantity=Decimal("2.5"), rec=5),  # not a whole quantity
        price("12.00", group="RETAIL", FromQuantity=Decimal(10), rec=6),
    ]
    breaks = mapping.group_breaks(master_entry(prices=prices), "B2B", "USD", NOW, config())
    assert breaks["T100-Red-S"] == {10: Decimal("15.00"), 50: Decimal("14.00")}
    assert breaks["T100-Blue-S"] == {10: Decimal("16.00"), 50: Decimal("14.00")}


def test_translated_titles_match_the_shop_locales() -> None:
    entry = master_entry(
        translations=[
            Translation("T100", "en-us", "T-shirt", ""),
            Translation("T100", "fr-ca", "Tee-shirt", ""),
            Translation("T100", "de", "T-Shirt (de)", ""),
            Translation("T100", "nl", "", ""),
        ]
    )
    titles = translations.titles_for(entry, ["fr", "de", "nl", "ja"], config())
    assert titles == {"fr": "Tee-shirt", "de": "T-Shirt (de)"}
    mapped = translations.titles_for(entry, ["fr"], config(language_map={"fr": "de"}))
    assert mapped == {"fr": "T-Shirt (de)"}
