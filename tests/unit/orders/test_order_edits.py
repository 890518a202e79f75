"""Pure edit planning: edited quantities, prorated discounts, refunds left alone, PATCH/POST/DELETE."""

from __future__ import annotations

from decimal import Decimal

from integration.orders.edits import (
    by_ref,
    edited_order,
    header_blocks_edits,
    plan_line_changes,
    touched_lines,
)
from integration.orders.model import parse_order

D = Decimal


def _order(**changes) -> dict:
    body = {
        "id": 1,
        "currency": "USD",
        "total_price": "400.00",
        "line_items": [
            {"id": 11, "sku": "A", "quantity": 3, "price": "100.00", "discount_allocations": [{"amount": "30.00"}]},
            {"id": 12, "sku": "B", "quantity": 1, "price": "100.00"},
        ],
    }
    body.update(changes)
    return body


def test_reduced_line_keeps_its_per_unit_discount_and_removed_line_disappears():
    body = _order(current_total_price="180.00")
    body["line_items"][0]["current_quantity"] = 2
    body["line_items"][1]["current_quantity"] = 0
    edit = edited_order(parse_order(body))
    [line] = edit.order.lines
    assert (line.id, line.quantity, line.discount.shop) == (11, 2, D("20.00"))
    assert edit.order.total_price.shop == D("180.00") and not edit.mixed


def test_refunded_units_are_not_an_edit_but_an_edit_on_a_refunded_line_is_mixed():
    body = _order(refunds=[{"refund_line_items": [{"line_item_id": 11, "quantity": 1}]}])
    body["line_items"][0]["current_quantity"] = 2
    edit = edited_order(parse_order(body))
    assert edit.refunded_refs == {"11"} and not edit.mixed
    body["line_items"][0]["current_quantity"] = 1  # one refunded, one removed by an edit
    assert edited_order(parse_order(body)).mixed == ("11",)


def test_uneven_discount_gains_a_twin_line_and_loses_it_again():
    have = by_ref(
        [
            {
                "InventoryLotId": "L1",
                "OrderLineReference": "11",
                "OrderedSalesQuantity": 3,
                "SalesPrice": D("10"),
                "LineDiscountAmount": D("1"),
                "LineAmount": D("27"),
            }
        ]
    )
    wanted = by_ref(
        [
            {
                "OrderLineReference": "11",
                "OrderedSalesQuantity": 1,
                "SalesPrice": D("10"),
                "LineDiscountAmount": D("1.01"),
                "LineAmount": D("8.99"),
            },
            {
                "OrderLineReference": "11",
                "OrderedSalesQuantity": 1,
                "SalesPrice": D("10"),
                "LineDiscountAmount": D("1.00"),
                "LineAmount": D("9.00"),
            },
        ]
    )
    changes = plan_line_changes(wanted, have, frozenset())
    assert [(op.method, op.key) for op in changes.operations] == [("PATCH", {"InventoryLotId": "L1"}), ("POST", None)]
    assert changes.operations[0].body == {
        "OrderedSalesQuantity": 1,
        "LineDiscountAmount": D("1.01"),
        "LineAmount": D("8.99"),
    }
    back = plan_line_changes(
        have, {"11": [{**have["11"][0]}, {"InventoryLotId": "L2", "OrderedSalesQuantity": 0}]}, frozenset()
    )
    assert [(op.method, op.key) for op in back.operations][-1] == ("DELETE", {"InventoryLotId": "L2"})
    assert plan_line_changes(wanted, have, frozenset({"11"})).operations == []  # refunded: left alone


def test_status_rules():
    assert header_blocks_edits({"SalesOrderStatus": "Backorder", "SalesOrderProcessingStatus": "Active"}) == ""
    assert header_blocks_edits({"SalesOrderStatus": "Backorder", "SalesOrderProcessingStatus": "Picked"})
    assert header_blocks_edits({"SalesOrderStatus": "Invoiced", "SalesOrderProcessingStatus": "Invoiced"})
    have = by_ref(
        [
            {"InventoryLotId": "L1", "OrderLineReference": "11", "FulfillmentStatus": "Picked"},
            {"InventoryLotId": "L2", "OrderLineReference": "12", "SalesOrderLineStatus": "Backorder"},
            {"InventoryLotId": "L3", "OrderLineReference": "13", "SalesOrderLineStatus": "Delivered"},
        ]
    )
    assert [t["lot"] for t in touched_lines(["11", "12", "13"], have, set())] == ["L1", "L3"]
    assert [t["lot"] for t in touched_lines(["12"], have, {"L2"})] == ["L2"]


def test_left_over_cents_in_price_charges_count_as_discount_and_are_patched():
    one = {
        "InventoryLotId": "L1",
        "OrderLineReference": "11",
        "OrderedSalesQuantity": 3,
        "SalesPrice": D("19.99"),
        "LineDiscountAmount": D("3.33"),
        "FixedPriceCharges": D("-0.01"),
        "LineAmount": D("49.97"),
    }
    legacy_split = by_ref(
        [
            {
                "InventoryLotId": "L1",
                "OrderLineReference": "11",
                "OrderedSalesQuantity": 1,
                "SalesPrice": D("19.99"),
                "LineDiscountAmount": D("3.34"),
                "LineAmount": D("16.65"),
            },
            {
                "InventoryLotId": "L2",
                "OrderLineReference": "11",
                "OrderedSalesQuantity": 2,
                "SalesPrice": D("19.99"),
                "LineDiscountAmount": D("3.33"),
                "LineAmount": D("33.32"),
            },
        ]
    )
    # An unchanged line is no edit, whether F&O holds it as one line with charges or as an older split pair.
    assert plan_line_changes(by_ref([one]), legacy_split, frozenset()).operations == []
    two = {
        **one,
        "OrderedSalesQuantity": 2,
        "LineDiscountAmount": D("3.33"),
        "FixedPriceCharges": D("-0.01"),
        "LineAmount": D("33.31"),
    }
    even = {k: v for k, v in one.items() if k != "FixedPriceCharges"}  # the mapping omits zero charges
    fewer = plan_line_changes(
        by_ref([{**even, "OrderedSalesQuantity": 2, "LineDiscountAmount": D("3.34"), "LineAmount": D("31.30")}]),
        by_ref([two]),
        frozenset(),
    )
    assert fewer.operations[0].body == {
        "LineDiscountAmount": D("3.34"),
        "FixedPriceCharges": 0,
        "LineAmount": D("31.30"),
    }
