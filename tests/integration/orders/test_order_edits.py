"""orders/updated with edited lines against the F&O emulator: quantities, added and removed lines go to
F&O in one changeset while nothing is picked/delivered/invoiced; otherwise UPDATE_CONFLICT."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from integration.cases import ExceptionStore
from integration.orders.records import OrderRecords
from tests.conftest import present
from tests.integration.orders.conftest import good_order

pytestmark = pytest.mark.azurite

GREEN, RED = 0, 1  # line indexes of good_order(): GREEN 2 x 199.00 with 10.00 off, RED 1 x 199.00


def edit(
    order: dict[str, Any],
    updated_at: str,
    quantities: dict[int, int] | None = None,
    added: list[tuple[str, int, str, str]] | None = None,
) -> dict[str, Any]:
    """The order as Shopify sends it after an order edit: ``current_quantity`` lowered, new line items
    added, ``current_total_*`` recomputed (the reduced line keeps its per-unit discount)."""
    quantities, added = quantities or {}, added or []
    body = copy.deepcopy(order)
    kept = []
    for index, line in enumerate(body["line_items"]):
        current = quantities.get(index, line["quantity"])
        line["current_quantity"] = current
        discount = sum((Decimal(a["amount"]) for a in line.get("discount_allocations") or []), Decimal(0))
        if current:
            kept.append((line["sku"], current, line["price"], str(discount * current / line["quantity"])))
    new_lines = good_order(lines=added)["line_items"] if added else []
    for n, line in enumerate(new_lines, start=1):
        line.update(id=int(f"{order['id']}{n}"), current_quantity=line["quantity"])
    body["line_items"] += new_lines
    totals = good_order(lines=kept + added)
    body.update(updated_at=updated_at, current_total_price=totals["total_price"], current_total_tax=totals["total_tax"])
    return body


def fo_lines(admin) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for line in admin.fo_rows("SalesOrderLines"):
        out.setdefault(line["OrderLineReference"], []).append(line)
    return out


def test_quantity_change_added_and_removed_lines_in_one_changeset(sync, admin):
    order = admin.shop_order(good_order())
    sync.handle("orders/create", order)
    green, red = (str(li["id"]) for li in order["line_items"])
    edited = edit(order, "2099-01-01T00:00:00Z", {GREEN: 1, RED: 0}, added=[("IPOD2008BLACK", 3, "199.00", "0.00")])
    admin.fo.delete("/_emulator/requests")
    outcome = sync.handle("orders/updated", edited)
    assert (outcome.status, outcome.action) == ("created", "updated")
    log = admin.fo.get("/_emulator/requests").json()
    print(f"\nF&O requests for an order edit: {log['http_requests']}")
    # Read the order, look up the new SKU (cached after), then ONE $batch: changeset + totals read-back.
    assert [f"{r['method']} {r['set']}" for r in log["requests"] if not r["batch"]] == [
        "GET SalesOrderHeadersV2",
        "GET ReleasedProductsV2",
        "POST $batch",
    ]
    inside = sorted(f"{r['method']} {r['set']}" for r in log["requests"] if r["batch"])
    assert inside == [
        "DELETE SalesOrderLines",
        "GET SalesOrderHeadersV2",
        "PATCH SalesOrderLines",
        "POST SalesOrderLines",
    ]
    lines = fo_lines(admin)
    black = str(edited["line_items"][-1]["id"])
    assert set(lines) == {green, black, "shipping:"}
    assert (lines[green][0]["OrderedSalesQuantity"], lines[green][0]["LineAmount"]) == (1, Decimal("194.00"))
    assert lines[black][0]["OrderedSalesQuantity"] == 3 and lines[black][0]["ItemNumber"] == "IPOD2008BLACK"
    [header] = admin.fo_rows("SalesOrderHeadersV2")
    assert Decimal(str(header["OrderTotalAmount"])) == Decimal(edited["current_total_price"])
    record = present(OrderRecords(sync.storage).get(order["id"]))
    assert record.line_lots == {ref: [ln["InventoryLotId"] for ln in rows] for ref, rows in lines.items()}
    assert record.fo_total == edited["current_total_price"] and record.status == "created"
    # Applied once: the same webhook again is absorbed without touching F&O.
    before = admin.fo_requests()
    assert sync.handle("orders/updated", edited).action == "ignored" and admin.fo_requests() == before


def test_older_edit_is_ignored(sync, admin):
    order = admin.shop_order(good_order())
    sync.handle("orders/create", order)
    assert sync.handle("orders/updated", edit(order, "2099-01-02T00:00:00Z", {GREEN: 1})).action == "updated"
    stale = edit(order, "2099-01-01T00:00:00Z", {RED: 0})
    assert sync.handle("orders/updated", stale).action == "ignored"
    assert len(admin.fo_rows("SalesOrderLines")) == 3


def test_shipped_line_is_a_conflict_unshipped_line_still_changes(sync, admin):
    order = admin.shop_order(good_order())
    sync.handle("orders/create", order)
    green, red = (str(li["id"]) for li in order["line_items"])
    green_lot = fo_lines(admin)[green][0]["InventoryLotId"]
    admin.fo.post(
        "/_emulator/sales-orders/SH1001/packing-slip",  # one of the two GREEN units ships
        json={"lines": [{"InventoryLotId": green_lot, "Quantity": 1}], "tracking_numbers": ["T1"]},
    ).raise_for_status()
    outcome = sync.handle("orders/updated", edit(order, "2099-01-01T00:00:00Z", {GREEN: 1}))
    assert (outcome.action, outcome.detail) == ("conflict", "UPDATE_CONFLICT")
    values = present(ExceptionStore(sync.storage).get("order", str(order["id"]))).values["failures"][0]["values"]
    assert [t["lot"] for t in values["lines_in_progress"]] == [green_lot]
    assert values["fo_processing_status"] == "PartiallyDelivered"
    assert fo_lines(admin)[green][0]["OrderedSalesQuantity"] == 2  # nothing half-applied
    # Removing the RED line (not shipped) is still possible on the partially delivered order.
    outcome = sync.handle("orders/updated", edit(order, "2099-01-02T00:00:00Z", {RED: 0}))
    assert outcome.action == "updated" and red not in fo_lines(admin)
    assert present(ExceptionStore(sync.storage).get("order", str(order["id"]))).status == "resolved"
    assert set(present(OrderRecords(sync.storage).get(order["id"])).line_lots) == {green, "shipping:"}


def test_edit_of_an_invoiced_order_is_a_conflict(sync, admin):
    order = admin.shop_order(good_order())
    sync.handle("orders/create", order)
    admin.fo.post("/_emulator/sales-orders/SH1001/invoice", json={}).raise_for_status()
    outcome = sync.handle(
        "orders/updated", edit(order, "2099-01-01T00:00:00Z", added=[("TSHIRT-1", 1, "20.00", "0.00")])
    )
    assert (outcome.action, outcome.detail) == ("conflict", "UPDATE_CONFLICT")
    values = present(ExceptionStore(sync.storage).get("order", str(order["id"]))).values["failures"][0]["values"]
    assert values["fo_status"] == "Invoiced" and values["line_differences"]
    assert len(admin.fo_rows("SalesOrderLines")) == 3


def test_refund_reductions_are_left_to_the_refund_flow(sync, admin):
    order = admin.shop_order(good_order())
    sync.handle("orders/create", order)
    refunded = copy.deepcopy(order)
    refunded["line_items"][GREEN]["current_quantity"] = 1
    refunded.update(
        updated_at="2099-01-01T00:00:00Z",
        refunds=[{"id": 1, "refund_line_items": [{"line_item_id": order["line_items"][GREEN]["id"], "quantity": 1}]}],
    )
    outcome = sync.handle("orders/updated", refunded)
    assert outcome.action == "updated"
    assert sorted(ln["OrderedSalesQuantity"] for ln in admin.fo_rows("SalesOrderLines")) == [1, 1, 2]


def test_added_line_with_an_unknown_sku_waits_as_an_exception(sync, admin):
    order = admin.shop_order(good_order())
    sync.handle("orders/create", order)
    outcome = sync.handle("orders/updated", edit(order, "2099-01-01T00:00:00Z", added=[("NOPE-9", 1, "20.00", "0.00")]))
    assert (outcome.action, outcome.detail) == ("conflict", "UNKNOWN_SKU")
    assert len(admin.fo_rows("SalesOrderLines")) == 3
