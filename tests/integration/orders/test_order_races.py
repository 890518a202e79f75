"""Forced interleavings of two deliveries for one Shopify order (issue 15). Each test pauses one
delivery at a named injection point (``shared.hooks``) and runs the other in between, deterministically:
events, never sleeps. The final state must equal Shopify's."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from integration.orders.records import OrderRecords
from integration.orders.service import OrderSync
from shared.lease import LeaseBusy
from tests.conftest import present
from tests.integration.orders.conftest import good_order, make_sync
from tests.integration.orders.test_order_edits import edit
from tests.races import Paused

pytestmark = pytest.mark.azurite

GREEN = 0


def deliver(sync: OrderSync, topic: str, body: dict[str, Any]) -> bool:
    """One delivery; False when the order's lease was held (the queue would redeliver it)."""
    try:
        sync.handle(topic, body)
        return True
    except LeaseBusy:
        return False


def green_quantity(admin, order: dict[str, Any]) -> Decimal:
    ref = str(order["line_items"][GREEN]["id"])
    return sum(
        (
            Decimal(str(li["OrderedSalesQuantity"]))
            for li in admin.fo_rows("SalesOrderLines")
            if li["OrderLineReference"] == ref
        ),
        Decimal(0),
    )


@pytest.mark.parametrize("paused_first", ["older", "newer"])
def test_an_older_and_a_newer_update_at_once_end_with_the_newer(
    clean_storage, admin, fo_server, shop_server, paused_first
):
    order = admin.shop_order(
        good_order(lines=[("IPOD2008GREEN", 3, "199.00", "0.00"), ("IPOD2008RED", 1, "199.00", "0.00")])
    )
    make_sync(clean_storage, fo_server.url, shop_server.url).handle("orders/create", order)
    older = edit(order, "2099-01-01T00:00:00Z", {GREEN: 2})
    newer = edit(order, "2099-01-02T00:00:00Z", {GREEN: 1})
    first, second = (older, newer) if paused_first == "older" else (newer, older)
    a, b = (make_sync(clean_storage, fo_server.url, shop_server.url) for _ in range(2))

    paused = Paused(a, "order.update_read", lambda: a.handle("orders/updated", first)).start()
    done = deliver(b, "orders/updated", second)  # while the first has read F&O and not yet written
    paused.finish()
    if not done:
        assert deliver(b, "orders/updated", second)  # the queue's redelivery

    assert green_quantity(admin, order) == 1  # Shopify's current quantity
    record = present(OrderRecords(clean_storage).get(order["id"]))
    assert record.shopify_updated_at.startswith("2099-01-02")  # never moved back to the older time


def test_an_older_update_whose_lease_expired_does_not_write_after_a_newer_one(
    clean_storage, admin, fo_server, shop_server
):
    # The older update stalls past its lease between reading F&O and writing: the newer one gets
    # through. The older one's If-Match write then fails (412); it re-reads F&O and the record, sees a
    # newer update applied, and writes nothing.
    order = admin.shop_order(
        good_order(lines=[("IPOD2008GREEN", 3, "199.00", "0.00"), ("IPOD2008RED", 1, "199.00", "0.00")])
    )
    make_sync(clean_storage, fo_server.url, shop_server.url).handle("orders/create", order)
    older = edit(order, "2099-01-01T00:00:00Z", {GREEN: 2})
    newer = edit(order, "2099-01-02T00:00:00Z", {GREEN: 1})
    a, b = (make_sync(clean_storage, fo_server.url, shop_server.url) for _ in range(2))
    a.lease_seconds = 0.0

    paused = Paused(a, "order.update_read", lambda: a.handle("orders/updated", older)).start()
    assert deliver(b, "orders/updated", newer)
    outcome = paused.finish()

    assert outcome.action == "ignored"
    assert green_quantity(admin, order) == 1
    assert present(OrderRecords(clean_storage).get(order["id"])).shopify_updated_at.startswith("2099-01-02")


def test_create_and_cancel_at_once_leave_no_live_order(clean_storage, admin, fo_server, shop_server):
    order = admin.shop_order(good_order())
    cancelled = dict(order, cancelled_at="2026-01-01T00:00:00Z", updated_at="2099-01-01T00:00:00Z")
    a, b = (make_sync(clean_storage, fo_server.url, shop_server.url) for _ in range(2))

    paused = Paused(a, "order.created_in_fo", lambda: a.handle("orders/create", order)).start()
    done = deliver(b, "orders/cancelled", cancelled)  # F&O has the order, the record does not say so yet
    paused.finish()
    if not done:
        assert deliver(b, "orders/cancelled", cancelled)

    assert admin.fo_rows("SalesOrderHeadersV2") == []
    assert present(OrderRecords(clean_storage).get(order["id"])).status == "cancelled"


@pytest.mark.parametrize("point", ["order.leased", "order.created_in_fo"])
def test_a_create_that_loses_to_a_cancel_deletes_its_own_order(clean_storage, admin, fo_server, shop_server, point):
    # The create's lease expires while it works (a stalled worker): the cancel gets through, and the
    # create's guarded record save tells it that it lost.
    order = admin.shop_order(good_order())
    cancelled = dict(order, cancelled_at="2026-01-01T00:00:00Z", updated_at="2099-01-01T00:00:00Z")
    a, b = (make_sync(clean_storage, fo_server.url, shop_server.url) for _ in range(2))
    a.lease_seconds = 0.0

    paused = Paused(a, point, lambda: a.handle("orders/create", order)).start()
    assert deliver(b, "orders/cancelled", cancelled)
    outcome = paused.finish()

    assert outcome.status == "cancelled"
    assert admin.fo_rows("SalesOrderHeadersV2") == []
    assert present(OrderRecords(clean_storage).get(order["id"])).status == "cancelled"


def test_an_fo_change_between_the_read_and_the_write_is_re_read_and_re_planned(
    clean_storage, admin, fo_server, shop_server
):
    # Someone changes the line in F&O after the update read it: the If-Match write fails with 412,
    # the update re-reads and re-plans, and F&O ends with Shopify's quantity.
    order = admin.shop_order(
        good_order(lines=[("IPOD2008GREEN", 3, "199.00", "0.00"), ("IPOD2008RED", 1, "199.00", "0.00")])
    )
    sync = make_sync(clean_storage, fo_server.url, shop_server.url)
    sync.handle("orders/create", order)
    ref = str(order["line_items"][GREEN]["id"])
    [lot] = [li["InventoryLotId"] for li in admin.fo_rows("SalesOrderLines") if li["OrderLineReference"] == ref]
    replanned: list[str] = []

    def fo_user_edits(_key: str) -> None:
        if not replanned:
            sync.d365.update("SalesOrderLines", {"InventoryLotId": lot}, {"OrderedSalesQuantity": 5})

    sync.hooks.on("order.update_read", fo_user_edits)
    sync.hooks.on("order.update_replanned", replanned.append)

    outcome = sync.handle("orders/updated", edit(order, "2099-01-01T00:00:00Z", {GREEN: 1}))

    assert replanned == [str(order["id"])] and outcome.action == "updated"
    assert green_quantity(admin, order) == 1
