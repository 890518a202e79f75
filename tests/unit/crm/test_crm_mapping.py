"""Shopify -> Dataverse mapping (pure) against the vendored Shopify samples."""

from __future__ import annotations

from decimal import Decimal

from integration.crm.config import CrmConfig
from integration.crm.mapping import (
    address_fields,
    company_of,
    contact_body,
    fulfillment_of,
    order_plan,
    person_from_order,
    tracking_numbers,
)
from integration.orders.model import parse_order
from sandbox.harness.demo.sample_orders import erp_ready_order
from tests.conftest import sample

CONFIG = CrmConfig()
CUSTOMER = ("customerid_contact", "/contacts(00000000-0000-0000-0000-000000000001)")
USD = "00000000-0000-0000-0000-0000000000aa"


def _plan(body: dict, config: CrmConfig = CONFIG, products: dict | None = None):  # type: ignore[no-untyped-def]
    return order_plan(parse_order(body), config, customer=CUSTOMER, currency_id=USD, products=products)


def test_fixture_order_maps_to_header_and_write_in_lines_and_names_the_total_difference() -> None:
    body = sample("shopify/shopify_python_api__fixtures__order.json")["order"]
    plan = _plan(body)
    header = plan.header
    assert header["name"] == "Shopify #1001"
    assert header["shop_shopifyorderid"] == "450789469" and header["shop_shopifyordername"] == "#1001"
    assert header["customerid_contact@odata.bind"] == CUSTOMER[1]
    assert header["transactioncurrencyid@odata.bind"] == f"/transactioncurrencies({USD})"
    assert header["freightamount"] == Decimal("0.00")  # "Free Shipping"
    assert header["shipto_country"] == "United States" and header["shipto_stateorprovince"] == "KY"
    first = plan.lines[0].body
    assert first["isproductoverridden"] is True and "IPOD2008GREEN" in first["productdescription"]
    assert first["salesorderid@odata.bind"] == "/salesorders(shop_shopifyorderid='450789469')"
    assert first["priceperunit"] == Decimal("199.00") and first["quantity"] == Decimal(1)
    order_tax = plan.lines[-1].body  # the fixture has tax at order level only
    assert (order_tax["productdescription"], order_tax["tax"]) == ("Order tax", Decimal("11.94"))
    # The fixture's three 199.00 lines do not add up to its total_price: the plan says by how much.
    assert plan.shopify_total == Decimal("409.94") and plan.difference == Decimal("199.00")


def test_discounted_hkd_sample_carries_line_discounts_and_equal_total() -> None:
    plan = _plan(sample("shopify/itakastudio__orders_create__line_item_discount.json"))
    assert any(line.body["manualdiscountamount"] > 0 for line in plan.lines)
    assert plan.difference == 0, (plan.total, plan.shopify_total)


def test_shipping_tax_travels_as_a_write_in_tax_line() -> None:
    body = erp_ready_order()
    body["id"], body["name"] = 77, "#77"
    plan = _plan(body)
    shipping_tax = plan.lines[-1].body
    assert shipping_tax["productdescription"] == "Shipping tax" and shipping_tax["priceperunit"] == 0
    assert shipping_tax["tax"] == Decimal("0.73") and shipping_tax["shop_shopifylineid"] == "77-shipping-tax"
    assert plan.difference == 0


def test_tax_inclusive_prices_become_net_prices_with_the_same_total() -> None:
    body = erp_ready_order(lines=[("A", 3, "10.00", "0.00")], shipping=("Standard", "0.00"), rate="0.2")
    body.update(id=5, name="#5", taxes_included=True)
    for item in body["line_items"]:
        item["tax_lines"][0]["price"] = "5.00"  # 20 % VAT included in 30.00
    body["total_price"] = "30.00"
    plan = _plan(body)
    line = plan.lines[0].body
    assert line["priceperunit"] == Decimal("8.3334") and line["tax"] == Decimal("5.00")
    assert plan.lines[0].amount == Decimal("30.00") and plan.difference == 0


def test_existing_products_by_sku_bind_product_and_unit() -> None:
    body = erp_ready_order()
    body["id"], body["name"] = 8, "#8"
    product, uom = "00000000-0000-0000-0000-0000000000b1", "00000000-0000-0000-0000-0000000000c1"
    plan = _plan(body, CrmConfig(product_mode="sku"), {"IPOD2008GREEN": (product, uom)})
    green, red = plan.lines[0].body, plan.lines[1].body
    assert green["isproductoverridden"] is False and green["productid@odata.bind"] == f"/products({product})"
    assert green["uomid@odata.bind"] == f"/uoms({uom})" and "productdescription" not in green
    assert red["isproductoverridden"] is True  # a SKU CRM does not have stays a write-in


def test_contact_fields_are_normalized() -> None:
    body = erp_ready_order(email=" Ada@Example.COM ", phone="(415) 555-0100")
    body["id"], body["name"] = 9, "#9"
    person = person_from_order(parse_order(body), "501")
    contact = contact_body(person, CONFIG)
    assert contact["emailaddress1"] == "ada@example.com" and contact["telephone1"] == "+14155550100"
    assert contact["address1_country"] == "United States" and contact["address1_stateorprovince"] == "CA"
    iso = contact_body(person, CrmConfig(country_format="iso3"))
    assert iso["address1_country"] == "USA"
    assert "address1_line2" not in contact  # absent values never blank CRM's


def test_address_fields_of_nothing_is_nothing() -> None:
    assert address_fields("address1_", None, "name") == {}


def test_lifecycle_helpers() -> None:
    body = sample("shopify/shopify_python_api__fixtures__order.json")["order"]
    assert tracking_numbers(body) == []  # the fixture's only fulfillment failed
    body["fulfillments"][0]["status"] = "success"
    assert tracking_numbers(body) == ["1Z2345"]
    assert fulfillment_of({"fulfillment_status": "partial"}) == "partial"
    assert fulfillment_of({"fulfillment_status": None}) == ""
    assert company_of({"company": {"id": 123, "location_id": 9}}) == "123" and company_of(body) == ""
