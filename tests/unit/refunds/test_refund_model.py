"""Parsing every public refund sample into Decimal money (shop money for the ERP, presentment kept)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from integration.refunds.model import RefundPayloadError, decimal_of, parse_refund
from tests.conftest import SAMPLES, sample

SAMPLE_DIR = "shopify"
DOC_2025 = f"{SAMPLE_DIR}/shopify_dev__rest_refund_resource_2025-10.json"
PIPEDREAM = f"{SAMPLE_DIR}/pipedream__refunds_create__test_event.json"
PYTHON_API = f"{SAMPLE_DIR}/shopify_python_api__fixtures__refund.json"


def test_every_refund_sample_in_the_kit_is_covered() -> None:
    names = {p.name for p in (SAMPLES / SAMPLE_DIR).iterdir() if "refund" in p.name}
    assert names == {p.rsplit("/", 1)[1] for p in (DOC_2025, PIPEDREAM, PYTHON_API)}


def test_documented_2025_10_refund_uses_shop_money_and_keeps_presentment() -> None:
    refund = parse_refund(sample(DOC_2025))
    assert refund.id == "92738740"
    (line,) = refund.lines
    assert line.restock_type == "return" and line.quantity == 2 and line.line_item_id == "128323456"
    assert line.subtotal.shop == Decimal("10.99") and line.subtotal.presentment == Decimal("8.95")
    assert line.tax.shop == Decimal("1.67")  # total_tax_set.shop_money, not the plain total_tax 2.67
    assert line.subtotal.currency == "CAD" and line.subtotal.presentment_currency == "USD"
    (shipping,) = refund.shipping
    assert shipping.amount.shop == Decimal("5") and shipping.source == "refund_shipping_lines"
    assert shipping.shipping_line_id == "8845532987448"
    (adjustment,) = refund.adjustments
    assert adjustment.kind == "refund_discrepancy" and adjustment.credit.shop == Decimal("-10")
    assert refund.duties.shop == Decimal("9.83")
    assert refund.currency == "CAD" and refund.presentment_currency == "USD"
    assert refund.total == Decimal("10.99") + Decimal("1.67") + 5 - 10 + Decimal("9.83")


def test_pipedream_2024_08_webhook_with_string_money_and_cancel_restock() -> None:
    refund = parse_refund(sample(PIPEDREAM))
    assert (refund.id, refund.order_id, refund.currency) == ("1002961240349", "6273085767965", "VND")
    (line,) = refund.lines
    assert line.restock_type == "cancel" and line.sku == "" and line.subtotal.shop == Decimal("20")
    assert refund.shipping == () and refund.adjustments == () and refund.duties.shop == 0
    assert refund.total == Decimal("20") and not refund.pending_transactions


def test_older_fixture_wrapped_without_sets_falls_back_to_price_and_tax_lines() -> None:
    refund = parse_refund(sample(PYTHON_API))
    assert refund.id == "509562969" and len(refund.lines) == 2
    assert {line.restock_type for line in refund.lines} == {"legacy_restock"}  # restock: true, no restock_type
    assert [line.sku for line in refund.lines] == ["IPOD2008BLACK", "IPOD2008GREEN"]
    assert all(line.subtotal.shop == Decimal("199.00") and line.tax.shop == Decimal("3.98") for line in refund.lines)
    assert refund.total == Decimal("405.96")


def test_floats_in_json_become_exact_decimals() -> None:
    assert decimal_of(json.loads("10.99")) == Decimal("10.99")
    assert decimal_of(0.1) + decimal_of(0.2) == Decimal("0.3")
    with pytest.raises(RefundPayloadError):
        decimal_of("ten")


def test_legacy_shipping_refund_adjustment_becomes_shipping_and_is_not_counted_twice() -> None:
    body = {
        "id": 1,
        "order_id": 2,
        "refund_line_items": [],
        "order_adjustments": [{"id": 9, "kind": "shipping_refund", "amount": "-5.00", "tax_amount": "-0.40"}],
    }
    refund = parse_refund(body)
    (shipping,) = refund.shipping
    assert shipping.source == "order_adjustments" and shipping.amount.shop == Decimal("5.00")
    assert shipping.tax.shop == Decimal("0.40") and refund.adjustments == ()
    body["refund_shipping_lines"] = [
        {
            "id": 7,
            "shipping_line_id": 3,
            "subtotal_amount_set": {"shop_money": {"amount": "5.00", "currency_code": "USD"}},
        }
    ]
    assert [s.source for s in parse_refund(body).shipping] == ["refund_shipping_lines"]


def test_pending_and_failed_transactions() -> None:
    body: dict[str, Any] = {
        "id": 1,
        "order_id": 2,
        "transactions": [{"id": 5, "kind": "refund", "status": "pending", "amount": "3.00"}],
    }
    assert [t.id for t in parse_refund(body).pending_transactions] == ["5"]
    body["transactions"][0]["status"] = "failure"
    refund = parse_refund(body)
    assert refund.failed_only and not refund.pending_transactions


@pytest.mark.parametrize(
    "body, message",
    [
        ({"order_id": 2}, "no id"),
        ({"id": 1}, "no order_id"),
        ({"id": 1, "order_id": 2, "refund_line_items": [{"line_item_id": 3, "quantity": -1}]}, "negative"),
        (
            {"id": 1, "order_id": 2, "refund_line_items": [{"line_item_id": 3, "quantity": 1, "restock_type": "x"}]},
            "restock_type",
        ),
        ({"id": 1, "order_id": 2, "refund_line_items": [{"quantity": 1}]}, "line_item_id"),
    ],
)
def test_unusable_payloads_are_refused(body: dict, message: str) -> None:
    with pytest.raises(RefundPayloadError, match=message):
        parse_refund(body)
