"""Order bodies for the order tests: the public samples as published, plus variants derived from them
(each variant changes only what its name says, so a failure points at one behaviour)."""

from __future__ import annotations

import copy
from typing import Any

from tests.conftest import sample

FIXTURE = "shopify/shopify_python_api__fixtures__order.json"  # USD, tax lines, customer, 3 lines
DRAFT = "shopify/itakastudio__orders_create__line_item_discount.json"  # HKD, guest, discounts, no SKUs

FIXTURE_SKUS = {"IPOD2008GREEN", "IPOD2008RED", "IPOD2008BLACK"}


def fixture_order() -> dict[str, Any]:
    """Shopify's official fixture as published (its totals are inconsistent: 3 x 199 lines, total 409.94)."""
    return copy.deepcopy(sample(FIXTURE)["order"])


def consistent_fixture() -> dict[str, Any]:
    """The fixture with totals that add up: 597.00 lines + 11.94 tax = 608.94."""
    body = fixture_order()
    body.update(subtotal_price="597.00", total_line_items_price="597.00", total_price="608.94")
    body["discount_codes"] = []
    return body


def draft_order() -> dict[str, Any]:
    return copy.deepcopy(sample(DRAFT))


def shippable_draft() -> dict[str, Any]:
    """The HKD draft order with a shipping address and SKUs, otherwise as published."""
    body = draft_order()
    body["shipping_address"] = {
        "first_name": "Mei",
        "last_name": "Chan",
        "address1": "1 Queen's Road",
        "city": "Hong Kong",
        "country": "Hong Kong",
        "country_code": "HK",
        "zip": "",
        "province_code": "",
    }
    for line, sku in zip(body["line_items"], ("TEST-11AA", "SNOW-GRN", "SNOW-GRN"), strict=True):
        line["sku"] = sku
    return body


def multi_currency(body: dict[str, Any], currency: str = "USD", rate: str = "0.13") -> dict[str, Any]:
    """Presentment money in another currency (shop money untouched), as Shopify sends for a buyer
    paying in their local currency."""
    from decimal import Decimal

    factor = Decimal(rate)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            money = node.get("presentment_money")
            if isinstance(money, dict) and "amount" in money:
                money["amount"] = str((Decimal(str(money["amount"])) * factor).quantize(Decimal("0.01")))
                money["currency_code"] = currency
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    body = copy.deepcopy(body)
    body["presentment_currency"] = currency
    walk(body)
    return body
