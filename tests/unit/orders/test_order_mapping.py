"""Pure order pieces against the public samples: parse, validate, map to F&O bodies, total check."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest

from integration.mappings import Mappings, load_mappings
from integration.orders import validation as v
from integration.orders.contact import country_iso3, normalize_phone
from integration.orders.model import OrderPayloadError, parse_order
from integration.orders.salesorder import (
    OrderSettings,
    build_sales_order,
    fo_total_failure,
    line_discount,
    spread,
    total_failure,
)
from sandbox.harness.demo.sample_orders import erp_ready_order
from tests.conftest import present
from tests.unit.orders import samples

SETTINGS = OrderSettings(legal_entity="usmf")


def mappings(**overrides: dict) -> Mappings:
    m = load_mappings()
    for section, values in overrides.items():
        for key, value in values.items():
            m.set(section, key, value)
    return m


def plan_for(body: dict, released: set[str], m: Mappings | None = None):
    order = parse_order(body)
    decisions, failures = v.validate(order, m or mappings(), released)
    return order, decisions, failures, build_sales_order(order, decisions, SETTINGS, customer_account="C1")


def codes(failures: list[v.Failure]) -> list[str]:
    return [f.reason_code for f in failures]


# ---- parse ---------------------------------------------------------------------------------------
def test_parse_reads_shop_and_presentment_money_from_sets():
    order = parse_order(samples.multi_currency(samples.draft_order()))
    assert order.currency == "HKD" and order.presentment_currency == "USD"
    assert order.total_price.shop == Decimal("304.00") and order.total_price.presentment == Decimal("39.52")
    assert order.lines[0].discount.shop == Decimal("5.00") and order.lines[0].discount.presentment == Decimal("0.65")
    assert order.shipping_lines[0].price.shop == Decimal("10.00")
    assert all(isinstance(li.price.shop, Decimal) for li in order.lines)


def test_parse_older_shape_uses_legacy_strings_as_shop_money():
    order = parse_order({"order": samples.fixture_order()})  # the fixture file's envelope is accepted too
    assert order.id == 450789469 and order.name == "#1001" and order.order_number == 1001
    assert order.lines[0].price.shop == Decimal("199.00") and order.lines[0].discount.shop == 0
    assert order.tax_lines[0].title == "State Tax" and order.tax_lines[0].rate == Decimal("0.06")
    assert order.customer is not None and order.customer.id == 207119551
    assert order.shipping_address is not None and order.shipping_address.country_code == "US"


def test_parse_guest_order_has_no_customer():
    order = parse_order(samples.draft_order())
    assert order.is_guest and order.shipping_address is None and order.billing_address is None


def test_parse_rejects_a_body_without_id():
    with pytest.raises(OrderPayloadError):
        parse_order({"name": "#1"})


# ---- validation ----------------------------------------------------------------------------------
def test_consistent_fixture_is_erp_ready_and_maps_tax_lines_to_a_group():
    order, decisions, failures, plan = plan_for(samples.consistent_fixture(), samples.FIXTURE_SKUS)
    assert failures == []
    assert decisions.tax_group == "KY" and decisions.delivery_mode == "STANDARD"
    assert total_failure(order, plan) is None


def test_published_fixture_fails_the_total_check_naming_both_values():
    order, _, failures, plan = plan_for(samples.fixture_order(), samples.FIXTURE_SKUS)
    assert failures == []
    failure = total_failure(order, plan)
    assert failure is not None and failure.reason_code == v.TOTAL_MISMATCH
    assert failure.values["computed_total"] == "608.94" and failure.values["shopify_total"] == "409.94"
    assert failure.values["difference"] == "199.00"


def test_published_draft_order_reports_every_failure_at_once():
    _, _, failures, _ = plan_for(samples.draft_order(), set())
    assert codes(failures) == [v.MISSING_FIELD, v.UNKNOWN_SKU, v.UNMAPPED_SHIPPING_METHOD]
    missing, unknown, shipping = failures
    assert missing.values["fields"] == ["shipping_address"]
    assert [line["variant_id"] for line in unknown.values["lines"]] == [50398373085484, 50451770802476, 50460159541548]
    assert shipping.values["shipping_lines"] == [{"code": "custom", "title": "tran", "source": "shopify"}]


def test_sku_overrides_by_variant_and_shipping_mapping_make_the_draft_ready():
    m = mappings(
        skus={
            "variant:50398373085484": "TEST-11AA",
            "variant:50451770802476": "SNOW-GRN",
            "variant:50460159541548": "SNOW-GRN",
        },
        shipping_methods={"tran": "STANDARD"},
    )
    body = samples.draft_order()
    body["shipping_address"] = samples.shippable_draft()["shipping_address"]
    order, decisions, failures, plan = plan_for(body, {"TEST-11AA", "SNOW-GRN"}, m)
    assert failures == []
    assert decisions.item_numbers == ["TEST-11AA", "SNOW-GRN", "SNOW-GRN"]
    assert plan.header["DeliveryAddressCountryRegionId"] == "HKG"
    assert total_failure(order, plan) is None


def test_missing_address_parts_and_unknown_country_are_named():
    body = samples.consistent_fixture()
    body["shipping_address"].update(address1="", country_code="XX")
    _, _, failures, _ = plan_for(body, samples.FIXTURE_SKUS)
    assert codes(failures) == [v.MISSING_FIELD]
    assert failures[0].values == {
        "fields": ["shipping_address.address1", "shipping_address.country_code"],
        "country_code": "XX",
    }


def test_unknown_sku_names_the_line():
    _, _, failures, _ = plan_for(samples.consistent_fixture(), {"IPOD2008GREEN", "IPOD2008RED"})
    assert codes(failures) == [v.UNKNOWN_SKU]
    assert [line["sku"] for line in failures[0].values["lines"]] == ["IPOD2008BLACK"]


@pytest.mark.parametrize(
    ("change", "treatment"),
    [
        ({"tax_exempt": True, "tax_lines": [], "total_tax": "0.00"}, "exempt"),
        ({"tax_lines": [{"title": "VAT", "rate": 0.2, "price": "11.94", "channel_liable": True}]}, "channel_liable"),
    ],
)
def test_special_tax_treatments_need_their_own_mapping(change, treatment):
    body = samples.consistent_fixture() | change
    m = mappings()
    m.tax.pop(treatment, None)  # keys are stored normalized (lower case)
    _, _, failures, _ = plan_for(body, samples.FIXTURE_SKUS, m)
    assert codes(failures) == [v.UNKNOWN_TAX_TREATMENT] and failures[0].values["treatment"] == treatment
    m.set("tax", treatment, "MKT")
    _, decisions, failures, _ = plan_for(body, samples.FIXTURE_SKUS, m)
    assert failures == [] and decisions.tax_group == "MKT"


def test_unmapped_tax_title_and_tax_without_lines_are_unknown_treatments():
    body = samples.consistent_fixture()
    body["tax_lines"][0]["title"] = "Mystery Levy"
    _, _, failures, _ = plan_for(body, samples.FIXTURE_SKUS)
    assert codes(failures) == [v.UNKNOWN_TAX_TREATMENT] and failures[0].values["unmapped"] == ["title:Mystery Levy"]
    body["tax_lines"] = []
    _, _, failures, _ = plan_for(body, samples.FIXTURE_SKUS)
    assert codes(failures) == [v.UNKNOWN_TAX_TREATMENT] and failures[0].values["total_tax"] == "11.94"


def test_combined_tax_titles_map_through_the_combination_key():
    body = samples.consistent_fixture()
    body["tax_lines"] = [
        {"title": "State Tax", "rate": 0.04, "price": "7.96"},
        {"title": "City Tax", "rate": 0.02, "price": "3.98"},
    ]
    _, _, failures, _ = plan_for(body, samples.FIXTURE_SKUS)
    assert codes(failures) == [v.UNKNOWN_TAX_TREATMENT]
    m = mappings(tax={"title:City Tax+State Tax": "KYC"})
    _, decisions, failures, _ = plan_for(body, samples.FIXTURE_SKUS, m)
    assert failures == [] and decisions.tax_group == "KYC"


def test_hold_policy_reports_insufficient_stock_backorder_does_not():
    order = parse_order(samples.consistent_fixture())
    available = {"IPOD2008GREEN": Decimal(5), "IPOD2008RED": Decimal(0), "IPOD2008BLACK": Decimal(1)}
    _, failures = v.validate(order, mappings(policies={"inventory": "hold"}), samples.FIXTURE_SKUS, available)
    assert codes(failures) == [v.INSUFFICIENT_STOCK]
    assert failures[0].values["lines"] == [{"item_number": "IPOD2008RED", "ordered": 1, "available": "0"}]
    _, failures = v.validate(order, mappings(), samples.FIXTURE_SKUS, available)
    assert failures == []


def test_warehouse_rules_location_then_country_then_default():
    m = mappings(
        warehouses={"location:7": {"site": "2", "warehouse": "21"}, "country:US": {"site": "1", "warehouse": "12"}}
    )
    order = parse_order(samples.consistent_fixture() | {"location_id": 7})
    assert present(v.validate(order, m, samples.FIXTURE_SKUS)[0].warehouse).warehouse == "21"
    order = parse_order(samples.consistent_fixture())
    assert present(v.validate(order, m, samples.FIXTURE_SKUS)[0].warehouse).warehouse == "12"
    m.warehouses.clear()
    _, failures = v.validate(order, m, samples.FIXTURE_SKUS)
    assert codes(failures) == [v.UNMAPPED_WAREHOUSE]


# ---- mapping -------------------------------------------------------------------------------------
def test_header_carries_references_address_dates_and_codes():
    _, _, _, plan = plan_for(samples.consistent_fixture(), samples.FIXTURE_SKUS)
    h = plan.header
    assert plan.number == h["SalesOrderNumber"] == "SH1001"
    assert h["CustomersOrderReference"] == "#1001" and h["CustomerRequisitionNumber"] == "450789469"
    assert h["OrderingCustomerAccountNumber"] == h["InvoiceCustomerAccountNumber"] == "C1"
    assert h["CurrencyCode"] == "USD" and h["RequestedShippingDate"] == "2008-01-10T12:00:00Z"
    assert h["DeliveryAddressCountryRegionId"] == "USA" and h["DeliveryAddressStateId"] == "KY"
    assert h["DeliveryAddressName"] == "Bob Norman" and h["DeliveryAddressStreet"] == "Chestnut Street 92"
    assert h["DeliveryModeCode"] == "STANDARD" and h["SalesTaxGroupCode"] == "KY"
    assert h["DefaultShippingWarehouseId"] == "11" and h["SkipCreateAutoCharges"] == "Yes"
    assert h["ArePricesIncludingSalesTax"] == "No"
    assert [line["ItemNumber"] for line in plan.lines] == ["IPOD2008GREEN", "IPOD2008RED", "IPOD2008BLACK"]
    assert all(line["ShippingSiteId"] == "1" for line in plan.lines)


def test_line_discounts_and_freight_line_from_the_draft_order():
    m = mappings(shipping_methods={"tran": "STANDARD"})
    order, _, failures, plan = plan_for(samples.shippable_draft(), {"TEST-11AA", "SNOW-GRN"}, m)
    assert failures == []
    first, *_, freight = plan.lines
    assert (first["SalesPrice"], first["LineDiscountAmount"], first["LineAmount"]) == (
        Decimal("99.00"),
        Decimal("5.00"),
        Decimal("94.00"),
    )
    assert freight["ItemNumber"] == "FREIGHT" and freight["LineAmount"] == Decimal("10.00")
    assert freight["OrderLineReference"] == "shipping:4946439733548"
    assert plan.expected_total == order.total_price.shop == Decimal("304.00")


def test_multi_currency_books_shop_money_and_keeps_presentment_for_audit():
    m = mappings(shipping_methods={"tran": "STANDARD"})
    body = samples.multi_currency(samples.shippable_draft())
    order, _, _, plan = plan_for(body, {"TEST-11AA", "SNOW-GRN"}, m)
    assert plan.header["CurrencyCode"] == "HKD"
    assert [line["SalesPrice"] for line in plan.lines] == [
        Decimal("99.00"),
        Decimal("100.00"),
        Decimal("100.00"),
        Decimal("10.00"),
    ]
    body["total_price_set"]["shop_money"]["amount"] = "305.00"
    failure = total_failure(parse_order(body), plan)
    assert failure is not None and failure.values["presentment_currency"] == "USD"
    assert failure.values["presentment_total"] == "39.52"


def test_uneven_discount_stays_one_line_with_the_left_over_cents_as_a_negative_charge():
    body = samples.consistent_fixture()
    line = body["line_items"][0]
    line["quantity"] = 3
    line["discount_allocations"] = [{"amount": "10.00", "discount_application_index": 0}]
    body.update(total_discounts="10.00", total_line_items_price="995.00", total_price="996.94")
    order, _, failures, plan = plan_for(body, samples.FIXTURE_SKUS)
    assert failures == []
    [part] = [p for p in plan.lines if p["OrderLineReference"] == "466157049"]
    # Microsoft's dual-write rule: 3 x 3.33 per unit, the last cent as -0.01 charges; one line, one tax rounding.
    assert (
        part["OrderedSalesQuantity"],
        part["LineDiscountAmount"],
        part["FixedPriceCharges"],
        part["LineAmount"],
    ) == (3, Decimal("3.33"), Decimal("-0.01"), Decimal("587.00"))
    assert (part["SalesPrice"] - part["LineDiscountAmount"]) * 3 + part["FixedPriceCharges"] == part["LineAmount"]
    assert total_failure(order, plan) is None


def test_one_fo_line_per_shopify_line_so_fo_per_line_tax_equals_shopifys():
    """The chaos-suite finding: at 19.99 x 3 with 10.00 off, two F&O lines (1 x 16.65 + 2 x 16.66) round tax
    to 1.21 + 2.42 = 3.63, Shopify charged 3.62 on 49.97. F&O rounds tax per line, so one line per line item."""
    body = erp_ready_order(lines=[("IPOD2008GREEN", 3, "19.99", "10.00")])
    body.update(id=9001, order_number=1001, name="#1001")
    body["line_items"][0]["id"] = 11
    order, _, failures, plan = plan_for(body, samples.FIXTURE_SKUS)
    assert failures == []
    rate = Decimal("0.0725")
    fo_tax = sum(((p["LineAmount"] * rate).quantize(Decimal("0.01"), ROUND_HALF_UP) for p in plan.lines), Decimal(0))
    assert [p["LineAmount"] for p in plan.lines if p["OrderLineReference"] == "11"] == [Decimal("49.97")]
    assert fo_tax == order.total_tax.shop == Decimal("4.35")  # 3.62 on the goods + 0.73 on the freight
    assert plan.expected_total == order.total_price.shop


def test_unallocated_order_discount_is_spread_over_lines():
    body = samples.consistent_fixture()
    body.update(total_discounts="10.00", total_price="598.94")
    order, _, _, plan = plan_for(body, samples.FIXTURE_SKUS)
    assert order.unallocated_discount == Decimal("10.00")
    assert sum((p["OrderedSalesQuantity"] * p["LineDiscountAmount"] for p in plan.lines), Decimal(0)) == 10
    assert total_failure(order, plan) is None


def test_taxes_included_prices_do_not_add_tax_again():
    body = samples.consistent_fixture() | {"taxes_included": True, "total_price": "597.00"}
    order, _, _, plan = plan_for(body, samples.FIXTURE_SKUS)
    assert plan.header["ArePricesIncludingSalesTax"] == "Yes"
    assert total_failure(order, plan) is None


def test_fo_total_check_names_both_totals():
    order, _, _, plan = plan_for(samples.consistent_fixture(), samples.FIXTURE_SKUS)
    assert fo_total_failure(order, plan, {"OrderTotalAmount": Decimal("608.94")}) is None
    failure = fo_total_failure(order, plan, {"OrderTotalAmount": Decimal("632.82"), "OrderTotalTaxAmount": 35.82})
    assert failure is not None and failure.values["fo_total"] == "632.82"
    assert failure.values["shopify_total"] == "608.94" and failure.values["difference"] == "23.88"


@pytest.mark.parametrize(
    ("qty", "discount", "per_unit", "charges"),
    [
        (1, "5.00", "5.00", "0"),
        (4, "10.00", "2.50", "0"),
        (3, "0.01", "0.00", "-0.01"),
        (3, "10.00", "3.33", "-0.01"),
        (7, "1.00", "0.14", "-0.02"),
    ],
)
def test_line_discount_is_exact_on_one_line(qty, discount, per_unit, charges):
    unit, rest = line_discount(qty, Decimal(discount))
    assert (unit, rest) == (Decimal(per_unit), Decimal(charges))
    assert unit * qty - rest == Decimal(discount) and Decimal("-0.01") * (qty - 1) <= rest <= 0


def test_spread_is_exact_and_deterministic():
    assert spread(Decimal("10.00"), [Decimal(1)] * 3) == [Decimal("3.34"), Decimal("3.33"), Decimal("3.33")]
    assert spread(Decimal("0"), [Decimal(1)]) == [Decimal("0.00")]


# ---- contact normalization -----------------------------------------------------------------------
def test_phone_numbers_normalize_to_e164_with_the_address_region():
    assert normalize_phone("555-625-1199", "US") == "+15556251199"
    assert normalize_phone("+44 20 7946 0958") == "+442079460958"
    assert normalize_phone("12") == "" and normalize_phone("") == ""


def test_iso2_to_iso3_country_codes():
    assert (country_iso3("US"), country_iso3("hk"), country_iso3("GB")) == ("USA", "HKG", "GBR")
    assert country_iso3("XX") == "" and country_iso3("USA") == ""
