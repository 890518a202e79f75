"""Refund -> credit note plan: every rule of docs/flows/refunds.md, on samples and hand-built cases."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from integration.refunds.config import RefundConfig
from integration.refunds.errors import RefundBlocked, RefundNotYet
from integration.refunds.mapping import ShopifyOrderLines, plan_credit_note
from integration.refunds.model import parse_refund
from integration.refunds.reduction import plan_order_reduction
from tests.conftest import sample
from tests.unit.refunds.factories import order, refund, refund_line, sales_line
from tests.unit.refunds.test_refund_model import DOC_2025, PIPEDREAM, PYTHON_API

CONFIG = RefundConfig()


def test_python_api_fixture_full_refund_against_invoiced_lines() -> None:
    fo = order(
        sales_line("L1", "IPOD2008BLACK", 1, amount="199.00"),
        sales_line("L2", "IPOD2008GREEN", 2, amount="199.00"),
        currency="",
    )
    plan = plan_credit_note(parse_refund(sample(PYTHON_API)), fo, CONFIG)
    assert plan.return_number == "RF509562969" and plan.header["RMANumber"] == "RF509562969"
    assert plan.header["CustomerRequisitionNumber"] == "509562969"
    assert plan.header["CustomerAccountNumber"] == "SC42" and plan.header["CustomersOrderReference"] == "#1001"
    assert [(p.returning_lot, p.quantity, p.amount, p.tax, p.disposition) for p in plan.lines] == [
        ("L1", Decimal(-1), Decimal("199.00"), Decimal("3.98"), "Credit"),
        ("L2", Decimal(-1), Decimal("199.00"), Decimal("3.98"), "Credit"),
    ]
    assert plan.total == Decimal("405.96") and plan.invoice_numbers == ["CIV-1"]
    body = plan.line_bodies()[0]
    assert body["ReturnSalesQuantity"] == Decimal(-1) and body["LineAmount"] == Decimal("-199.00")
    assert body["ReturningInventoryLotId"] == "L1" and body["ReturnOrderNumber"] == "RF509562969"


def test_pipedream_webhook_without_sku_needs_the_shopify_order_to_find_the_line() -> None:
    fo = order(sales_line("L7", "TSHIRT-1", 1, amount="20"), currency="VND")
    refund_ = parse_refund(sample(PIPEDREAM))
    with pytest.raises(RefundBlocked) as blocked:
        plan_credit_note(refund_, fo, CONFIG)
    assert blocked.value.reason_code == "refund_line_unmapped"
    shopify = ShopifyOrderLines(line_items=(("16014782595357", "TSHIRT-1"),))
    plan = plan_credit_note(refund_, fo, CONFIG, shopify)
    (line,) = plan.lines
    assert line.disposition == "CreditOnly" and line.returning_lot == "L7" and plan.total == Decimal("20")


def test_documented_2025_10_refund_discrepancy_and_duties_need_configured_items() -> None:
    fo = order(
        sales_line("L1", "WIDGET", 1, qty="2", amount="10.99"),
        sales_line("F1", "FREIGHT", 2, amount="5.00"),
        currency="CAD",
    )
    shopify = ShopifyOrderLines(line_items=(("128323456", "WIDGET"),), shipping_line_ids=("8845532987448",))
    refund_ = parse_refund(sample(DOC_2025))
    with pytest.raises(RefundBlocked) as blocked:
        plan_credit_note(refund_, fo, CONFIG, shopify)
    assert blocked.value.reason_code == "refund_adjustment_unmapped"
    assert blocked.value.values["credit"] == "-10"
    with pytest.raises(RefundBlocked, match="refund_duties_unmapped"):
        plan_credit_note(refund_, fo, RefundConfig(misc_item="MISC"), shopify)
    plan = plan_credit_note(refund_, fo, RefundConfig(misc_item="MISC", duty_item="DUTY"), shopify)
    assert [(p.kind, p.item, p.amount) for p in plan.lines] == [
        ("item", "WIDGET", Decimal("10.99")),
        ("freight", "FREIGHT", Decimal("5")),
        ("misc", "MISC", Decimal("-10")),
        ("misc", "DUTY", Decimal("9.83")),
    ]
    assert plan.total == refund_.total and plan.header["CurrencyCode"] == "CAD"


def test_partial_refund_prices_per_unit_and_keeps_the_line_amount_exact() -> None:
    fo = order(sales_line("L1", "SKU-A", 1, qty="3", amount="30.00"))
    plan = plan_credit_note(parse_refund(refund(refund_line(1, 2, "19.99", "1.60", "SKU-A"))), fo, CONFIG)
    (line,) = plan.lines
    assert line.quantity == Decimal(-2) and line.unit_price == Decimal("9.995000") and line.amount == Decimal("19.99")


def test_repeated_partial_refunds_never_exceed_the_invoiced_quantity() -> None:
    fo = order(sales_line("L1", "SKU-A", 1, qty="3", amount="30.00", returned="2"))
    plan_credit_note(parse_refund(refund(refund_line(1, 1, "10.00", "0", "SKU-A"))), fo, CONFIG)
    with pytest.raises(RefundBlocked) as blocked:
        plan_credit_note(parse_refund(refund(refund_line(1, 2, "20.00", "0", "SKU-A"))), fo, CONFIG)
    assert blocked.value.reason_code == "refund_exceeds_invoiced"
    assert blocked.value.values["invoiced"] == "3" and blocked.value.values["already_returned"] == "2"


def test_more_than_invoiced_but_not_more_than_ordered_waits_for_the_next_invoice() -> None:
    fo = order(sales_line("L1", "SKU-A", 1, qty="3", amount="30.00", invoiced="1"))
    with pytest.raises(RefundNotYet) as waiting:
        plan_credit_note(parse_refund(refund(refund_line(1, 2, "20.00", "0", "SKU-A"))), fo, CONFIG)
    assert waiting.value.reason_code == "refund_not_invoiced"


def test_two_refund_lines_on_one_sales_line_are_counted_together() -> None:
    fo = order(sales_line("L1", "SKU-A", 1, qty="2", amount="20.00"))
    body = refund(refund_line(1, 1, "10", "0", "SKU-A", line_id=1), refund_line(1, 2, "20", "0", "SKU-A", line_id=2))
    with pytest.raises(RefundBlocked, match="refund_exceeds_invoiced"):
        plan_credit_note(parse_refund(body), fo, CONFIG)


def test_restock_type_chooses_the_disposition_code() -> None:
    fo = order(*(sales_line(f"L{i}", f"SKU-{i}", i) for i in range(1, 5)))
    body = refund(
        *(
            refund_line(i, 1, "10.00", "0", f"SKU-{i}", restock)
            for i, restock in enumerate(("return", "legacy_restock", "no_restock", "cancel"), start=1)
        )
    )
    config = RefundConfig(disposition_restock="RET", disposition_no_restock="CO")
    plan = plan_credit_note(parse_refund(body), fo, config)
    assert [p.disposition for p in plan.lines] == ["RET", "RET", "CO", "CO"]


def test_shipping_only_refund_credits_the_invoiced_freight_line() -> None:
    fo = order(sales_line("L1", "SKU-A", 1), sales_line("F1", "FREIGHT", 2, amount="10.00"))
    plan = plan_credit_note(parse_refund(refund(shipping=[("10.00", "0.80")])), fo, CONFIG)
    (line,) = plan.lines
    assert (line.kind, line.returning_lot, line.quantity, line.amount, line.tax) == (
        "freight",
        "F1",
        Decimal(-1),
        Decimal("10.00"),
        Decimal("0.80"),
    )
    assert line.disposition == "CreditOnly" and plan.total == Decimal("10.80")


def test_partial_shipping_refunds_add_up_to_the_freight_quantity_exactly() -> None:
    fo = order(sales_line("F1", "FREIGHT", 1, amount="9.00"))
    first = plan_credit_note(parse_refund(refund(shipping=[("3.00", "0")])), fo, CONFIG).lines[0]
    assert first.quantity == Decimal("-0.333333") and first.amount == Decimal("3.00")
    fo.lines[0].returned_qty, fo.lines[0].returned_amount = -first.quantity, first.amount
    last = plan_credit_note(parse_refund(refund(shipping=[("6.00", "0")])), fo, CONFIG).lines[0]
    assert -(first.quantity + last.quantity) == Decimal(1)
    fo.lines[0].returned_qty, fo.lines[0].returned_amount = Decimal(1), Decimal("9.00")
    with pytest.raises(RefundBlocked, match="refund_shipping_exceeds_invoiced"):
        plan_credit_note(parse_refund(refund(shipping=[("0.01", "0")])), fo, CONFIG)


def test_shipping_refund_without_a_freight_line_is_an_exception() -> None:
    with pytest.raises(RefundBlocked, match="refund_shipping_unmapped"):
        plan_credit_note(parse_refund(refund(shipping=[("5.00", "0")])), order(sales_line("L1", "A", 1)), CONFIG)


def test_pending_transaction_waits_and_failed_transaction_is_an_exception() -> None:
    fo = order(sales_line("L1", "SKU-A", 1))
    with pytest.raises(RefundNotYet, match="refund_transaction_pending"):
        plan_credit_note(parse_refund(refund(refund_line(1, 1, "10", "0", "SKU-A"), status="pending")), fo, CONFIG)
    with pytest.raises(RefundBlocked, match="refund_transaction_failed"):
        plan_credit_note(parse_refund(refund(refund_line(1, 1, "10", "0", "SKU-A"), status="failure")), fo, CONFIG)


def test_currency_other_than_the_sales_order_currency_is_an_exception() -> None:
    fo = order(sales_line("L1", "SKU-A", 1), currency="EUR")
    with pytest.raises(RefundBlocked, match="refund_currency_mismatch"):
        plan_credit_note(parse_refund(refund(refund_line(1, 1, "10", "0", "SKU-A"))), fo, CONFIG)


def test_repeated_sku_lines_match_by_position_and_record_ids_win() -> None:
    fo = order(sales_line("L1", "SKU-A", 1), sales_line("L2", "SKU-A", 2))
    shopify = ShopifyOrderLines(line_items=(("11", "SKU-A"), ("12", "SKU-A")))
    plan = plan_credit_note(parse_refund(refund(refund_line(12, 1, "10", "0", "SKU-A"))), fo, CONFIG, shopify)
    assert plan.lines[0].returning_lot == "L2"
    fo.lines[0].shopify_line_id = "12"
    plan = plan_credit_note(parse_refund(refund(refund_line(12, 1, "10", "0", "SKU-A"))), fo, CONFIG, shopify)
    assert plan.lines[0].returning_lot == "L1"


def test_zero_quantity_line_with_money_is_an_exception_and_empty_refund_has_no_lines() -> None:
    fo = order(sales_line("L1", "SKU-A", 1))
    with pytest.raises(RefundBlocked, match="refund_line_zero_quantity"):
        plan_credit_note(parse_refund(refund(refund_line(1, 0, "10", "0", "SKU-A"))), fo, CONFIG)
    assert plan_credit_note(parse_refund(refund()), fo, CONFIG).lines == []


def test_return_number_prefix_and_length() -> None:
    assert RefundConfig(return_number_prefix="CN-").return_number("123") == "CN-123"
    with pytest.raises(Exception, match="longer than 20"):
        RefundConfig().return_number("1" * 19)


def test_order_reduction_before_any_invoice_is_absolute_and_repeatable() -> None:
    fo = order(sales_line("L1", "SKU-A", 1, qty="3", invoiced="0"), invoiced=False)
    body = parse_refund(refund(refund_line(1, 2, "20", "0", "SKU-A", "cancel")))
    (cut,) = plan_order_reduction(body, fo, CONFIG)
    assert (cut.lot, cut.before, cut.after) == ("L1", Decimal(3), Decimal(1))
    fo.lines[0].ordered_qty = Decimal(1)  # the first attempt was applied, its answer lost
    (again,) = plan_order_reduction(body, fo, CONFIG, baseline={"L1": Decimal(3)})
    assert again.after == Decimal(1)
    with pytest.raises(RefundBlocked, match="refund_uninvoiced_not_reducible"):
        plan_order_reduction(parse_refund(refund(shipping=[("5", "0")])), fo, CONFIG)
    with pytest.raises(RefundBlocked, match="refund_exceeds_ordered"):
        plan_order_reduction(
            parse_refund(refund(refund_line(1, 4, "40", "0", "SKU-A"))), fo, CONFIG, baseline={"L1": Decimal(3)}
        )


def test_a_line_split_in_two_by_order_sync_is_credited_across_both_lots() -> None:
    # Order sync splits 3 units with a 0.10 discount into 1 unit + 2 units (whole cents per unit).
    fo = order(
        sales_line("L1", "SKU-A", 1, qty="1", amount="9.96", shopify_id="11"),
        sales_line("L2", "SKU-A", 2, qty="2", amount="19.94", shopify_id="11"),
    )
    plan = plan_credit_note(parse_refund(refund(refund_line(11, 3, "29.90", "2.39", "SKU-A"))), fo, CONFIG)
    assert [(p.returning_lot, p.quantity) for p in plan.lines] == [("L1", Decimal(-1)), ("L2", Decimal(-2))]
    assert sum(p.amount for p in plan.lines) == Decimal("29.90") and sum(p.tax for p in plan.lines) == Decimal("2.39")
    fo.lines[0].returned_qty = Decimal(1)
    plan = plan_credit_note(parse_refund(refund(refund_line(11, 2, "19.93", "1.59", "SKU-A"))), fo, CONFIG)
    assert [(p.returning_lot, p.quantity, p.amount) for p in plan.lines] == [("L2", Decimal(-2), Decimal("19.93"))]


def test_shipping_refund_matches_the_freight_line_by_its_order_line_reference() -> None:
    fo = order(
        sales_line("F1", "FREIGHT", 1, amount="5.00", shopify_id="shipping:300"),
        sales_line("F2", "FREIGHT", 2, amount="7.00", shopify_id="shipping:301"),
    )
    body = refund(shipping=[("7.00", "0")])
    body["refund_shipping_lines"][0]["shipping_line_id"] = 301
    assert plan_credit_note(parse_refund(body), fo, CONFIG).lines[0].returning_lot == "F2"


def test_a_returned_variant_line_names_the_product_dimensions_of_its_sales_line() -> None:
    """A real F&O refuses a product master's line that names only the item number: the return line carries
    the dimensions the order sync wrote on the sales line it returns (ReturnOrderLinesV2 has the same fields)."""
    dims = {"ProductColorId": "Blue", "ProductSizeId": "M"}
    fo = order(replace(sales_line("L1", "V1", 1, qty="2", amount="40.00"), dimensions=dims))
    plan = plan_credit_note(parse_refund(refund(refund_line(1, 1, "20.00", "0.00", "V1"))), fo, CONFIG)
    (body,) = plan.line_bodies()
    assert {k: body.get(k) for k in dims} == dims and body["ItemNumber"] == "V1"
    plain = plan_credit_note(
        parse_refund(refund(refund_line(1, 1, "10.00", "0.00", "SKU-A"))), order(sales_line("L2", "SKU-A", 1)), CONFIG
    )
    assert not {"ProductColorId", "ProductSizeId"} & set(plain.line_bodies()[0])
