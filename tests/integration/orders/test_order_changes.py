"""Validation failures as exceptions, fix-and-retry, cancellations, update conflicts, reconciliation."""

from __future__ import annotations

import pytest

from integration.cases import ExceptionStore
from integration.mappings import MappingStore
from integration.orders.reconcile import reconcile
from integration.orders.records import OrderRecords
from shared import queues
from tests.conftest import present
from tests.integration.orders.conftest import good_order

pytestmark = pytest.mark.azurite


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda b: b["line_items"][0].update(sku="NOPE-1"), "UNKNOWN_SKU"),
        (lambda b: b["shipping_lines"][0].update(title="Teleport", code="teleport"), "UNMAPPED_SHIPPING_METHOD"),
        (lambda b: b.update(shipping_address=None), "MISSING_FIELD"),
        (lambda b: b.update(total_price="1.00"), "TOTAL_MISMATCH"),
        (
            lambda b: (
                [t.update(title="Moon Tax") for t in b["tax_lines"]]
                and [
                    t.update(title="Moon Tax") for li in b["line_items"] + b["shipping_lines"] for t in li["tax_lines"]
                ]
            ),
            "UNKNOWN_TAX_TREATMENT",
        ),
        (lambda b: b.update(customer=None), "UNKNOWN_CUSTOMER"),
    ],
)
def test_each_validation_failure_becomes_an_exception_and_nothing_reaches_fo(sync, admin, change, reason):
    body = good_order()
    change(body)
    if reason == "UNKNOWN_CUSTOMER":
        MappingStore(sync.storage).set("policies", "guest", "reject")
    order = admin.shop_order(body)
    outcome = sync.handle("orders/create", order)
    assert outcome.status == "blocked" and outcome.detail == reason
    record = present(ExceptionStore(sync.storage).get("order", str(order["id"])))
    assert record.reason_code == reason and record.values["failures"][0]["reason_code"] == reason
    assert admin.fo_rows("SalesOrderHeadersV2") == []


def test_insufficient_stock_under_the_hold_policy(sync, admin):
    MappingStore(sync.storage).set("policies", "inventory", "hold")
    order = admin.shop_order(good_order(lines=[("IPOD2008GREEN", 5000, "199.00", "0.00")]))
    assert sync.handle("orders/create", order).detail == "INSUFFICIENT_STOCK"


def test_fixing_the_mapping_and_retrying_completes_the_order(sync, admin):
    body = good_order()
    body["shipping_lines"][0].update(title="Teleport", code="teleport")
    order = admin.shop_order(body)
    assert sync.handle("orders/create", order).detail == "UNMAPPED_SHIPPING_METHOD"
    MappingStore(sync.storage).set("shipping_methods", "Teleport", "OVERNIGHT")
    outcome = sync.handle(queues.ORDER_RETRY, None, str(order["id"]))
    assert outcome.status == "created"
    assert admin.fo_rows("SalesOrderHeadersV2")[0]["DeliveryModeCode"] == "OVERNIGHT"
    assert present(ExceptionStore(sync.storage).get("order", str(order["id"]))).status == "resolved"


def test_guest_checkout_goes_to_the_guest_account(sync, admin):
    body = good_order()
    body["customer"] = None
    order = admin.shop_order(body)
    assert sync.handle("orders/create", order).status == "created"
    assert admin.fo_rows("SalesOrderHeadersV2")[0]["OrderingCustomerAccountNumber"] == "WEB-GUEST"


def test_cancel_before_invoicing_removes_the_open_order(sync, admin):
    order = admin.shop_order(good_order())
    sync.handle("orders/create", order)
    cancelled = dict(order, cancelled_at="2026-01-01T00:00:00Z")
    outcome = sync.handle("orders/cancelled", cancelled)
    assert outcome.action == "cancelled" and admin.fo_rows("SalesOrderHeadersV2") == []
    assert present(OrderRecords(sync.storage).get(order["id"])).status == "cancelled"
    assert sync.handle("orders/create", order).action == "ignored"  # a late create does nothing


def test_cancel_before_sync_prevents_the_create(sync, admin):
    order = admin.shop_order(good_order())
    sync.handle("orders/cancelled", dict(order, cancelled_at="2026-01-01T00:00:00Z"))
    assert sync.handle("orders/create", order).action == "ignored"
    assert admin.fo_rows("SalesOrderHeadersV2") == []


def test_cancel_after_invoicing_is_an_exception(sync, admin):
    order = admin.shop_order(good_order())
    sync.handle("orders/create", order)
    admin.fo.post("/_emulator/sales-orders/SH1001/invoice", json={}).raise_for_status()
    outcome = sync.handle("orders/cancelled", dict(order, cancelled_at="2026-01-01T00:00:00Z"))
    assert outcome.action == "conflict"
    assert present(ExceptionStore(sync.storage).get("order", str(order["id"]))).reason_code == "CANCEL_CONFLICT"
    assert len(admin.fo_rows("SalesOrderHeadersV2")) == 1


def test_address_update_is_applied_older_update_ignored_inconsistent_edit_refused(sync, admin):
    order = admin.shop_order(good_order())
    sync.handle("orders/create", order)
    moved = dict(
        order,
        updated_at="2099-01-01T00:00:00Z",
        shipping_address=dict(order["shipping_address"], address1="2 New Street"),
    )
    assert sync.handle("orders/updated", moved).action == "updated"
    assert admin.fo_rows("SalesOrderHeadersV2")[0]["DeliveryAddressStreet"] == "2 New Street"
    older = dict(
        order, updated_at="2000-01-01T00:00:00Z", shipping_address=dict(order["shipping_address"], address1="Old")
    )
    assert sync.handle("orders/updated", older).action == "ignored"
    edited = dict(
        moved,
        updated_at="2099-01-02T00:00:00Z",
        line_items=[dict(order["line_items"][0], current_quantity=1), *order["line_items"][1:]],
    )
    # A line edit whose Shopify totals do not add up is refused before anything is written
    # (consistent edits are applied: tests/integration/orders/test_order_edits.py).
    assert sync.handle("orders/updated", edited).action == "conflict"
    record = present(ExceptionStore(sync.storage).get("order", str(order["id"])))
    assert record.reason_code == "TOTAL_MISMATCH"
    assert sorted(ln["OrderedSalesQuantity"] for ln in admin.fo_rows("SalesOrderLines")) == [1, 1, 2]


def test_reconciliation_queues_orders_that_never_reached_fo(sync, admin):
    synced = admin.shop_order(good_order())
    sync.handle("orders/create", synced)
    missed = admin.shop_order(good_order())
    queue = sync.storage.queue(queues.ORDERS)
    queue.clear_messages()
    result = reconcile(sync.storage, sync.shopify, lookback_minutes=60)
    assert result["seen"] == 2 and result["queued"] == 1
    [message] = queue.receive_messages()
    assert str(missed["id"]) in message.content
    queue.clear_messages()
