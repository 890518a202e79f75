"""Forced interleavings of refund reductions of an open (not invoiced) sales order (issue 15).

TSHIRT-1 x 3 is open in F&O. Two refunds of one unit each must leave exactly 1, however they
interleave: at once, or with the first dying between its F&O write and its record. Deterministic:
each test pauses (or kills) one delivery at a named injection point and runs the other meanwhile."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from integration.clients.d365 import D365Client, D365Transient
from integration.clients.shopify import ShopifyAdmin
from integration.refunds.config import RefundConfig
from integration.refunds.service import Outcome, RefundService
from sandbox.emulators.serve import RunningServer
from shared.http import RetryPolicy
from shared.storage import Storage
from tests.integration.refunds.conftest import Clock, Sale
from tests.races import Paused

TSHIRT = 1  # line index: TSHIRT-1 x 3


class Crash(Exception):
    """A worker dying at an injection point (the host would redeliver its message)."""


def new_service(d365: D365Client, shopify: ShopifyAdmin, storage: Storage, clock: Clock) -> RefundService:
    return RefundService(d365, shopify, storage, RefundConfig(retry_base_s=1, retry_max_s=4), now=clock)


def quantity(d365: D365Client, sale: Sale) -> Decimal:
    lot = sale.lots[str(sale.line_id(TSHIRT))]
    return Decimal(str(d365.get("SalesOrderLines", {"InventoryLotId": lot})["OrderedSalesQuantity"]))


def until_done(service: RefundService, body: dict[str, Any]) -> Outcome:
    """The queue's redeliveries of a message put back while the order was busy (bounded)."""
    for _ in range(5):
        outcome = service.handle(body)
        if outcome.reason_code != "refund_order_busy":
            return outcome
    raise AssertionError("the order stayed busy")


@pytest.mark.parametrize("point", ["refund.leased", "refund.reduction_recorded"])
def test_two_refunds_of_one_open_line_at_once_reduce_twice(
    d365: D365Client, shopify: ShopifyAdmin, storage: Storage, clock: Clock, sale: Sale, point: str
) -> None:
    first, second = sale.refund_body([(TSHIRT, 1, "cancel")]), sale.refund_body([(TSHIRT, 1, "cancel")])
    a, b = new_service(d365, shopify, storage, clock), new_service(d365, shopify, storage, clock)

    paused = Paused(a, point, lambda: a.handle(first)).start()
    meanwhile = b.handle(second)  # the order is held: put back on the queue
    assert meanwhile.reason_code == "refund_order_busy" and meanwhile.retry_after is not None
    assert paused.finish().status == "order_reduced"
    assert until_done(b, second).status == "order_reduced"

    assert quantity(d365, sale) == 1  # 3 - 1 - 1
    assert b.handle(first).status == b.handle(second).status == "duplicate"
    assert quantity(d365, sale) == 1


def test_two_refunds_with_an_expired_lease_still_reduce_relative_and_guarded(
    d365: D365Client, shopify: ShopifyAdmin, storage: Storage, clock: Clock, sale: Sale
) -> None:
    # The first writer's lease expires while it is paused between reading the line and writing it:
    # the second gets through; the first's If-Match write then fails (412), it re-reads and re-plans.
    first, second = sale.refund_body([(TSHIRT, 1, "cancel")]), sale.refund_body([(TSHIRT, 1, "cancel")])
    a, b = new_service(d365, shopify, storage, clock), new_service(d365, shopify, storage, clock)
    a.lease_seconds = 0.0

    paused = Paused(a, "refund.reduction_recorded", lambda: a.handle(first)).start()
    assert b.handle(second).status == "order_reduced"
    assert paused.finish().status == "order_reduced"

    assert quantity(d365, sale) == 1


def test_a_reduction_that_dies_after_its_write_is_not_applied_twice(
    d365: D365Client, shopify: ShopifyAdmin, storage: Storage, clock: Clock, sale: Sale
) -> None:
    # R1 writes 3 -> 2 and dies before recording it; R2 reduces; R1's redelivery must not write 2 again.
    first, second = sale.refund_body([(TSHIRT, 1, "cancel")]), sale.refund_body([(TSHIRT, 1, "cancel")])
    dying = new_service(d365, shopify, storage, clock)

    def die(_key: str) -> None:
        raise Crash("worker died after the F&O write")

    dying.hooks.on("refund.line_patched", die)
    with pytest.raises(Crash):
        dying.handle(first)
    assert quantity(d365, sale) == 2

    other = new_service(d365, shopify, storage, clock)
    assert until_done(other, second).status == "order_reduced"
    assert quantity(d365, sale) == 1
    assert until_done(other, first).status == "order_reduced"  # the redelivery of R1

    assert quantity(d365, sale) == 1  # 3 -> 2 -> 1, never back to 2


def test_a_reduction_that_dies_before_its_write_applies_once_on_redelivery(
    d365: D365Client, shopify: ShopifyAdmin, storage: Storage, clock: Clock, sale: Sale
) -> None:
    first, second = sale.refund_body([(TSHIRT, 1, "cancel")]), sale.refund_body([(TSHIRT, 1, "cancel")])
    dying = new_service(d365, shopify, storage, clock)

    def die(_key: str) -> None:
        raise Crash("worker died before the F&O write")

    dying.hooks.on("refund.reduction_recorded", die)
    with pytest.raises(Crash):
        dying.handle(first)
    assert quantity(d365, sale) == 3

    other = new_service(d365, shopify, storage, clock)
    assert until_done(other, second).status == "order_reduced"
    assert until_done(other, first).status == "order_reduced"

    assert quantity(d365, sale) == 1


def edit_in_fo(d365: D365Client, sale: Sale, to: int) -> None:
    """A person changes the line's quantity in F&O (a new ETag)."""
    lot = sale.lots[str(sale.line_id(TSHIRT))]
    d365.update("SalesOrderLines", {"InventoryLotId": lot}, {"OrderedSalesQuantity": Decimal(to)})


@pytest.mark.parametrize("point", ["refund.reduction_recorded", "refund.line_patched"])
def test_a_dead_reduction_then_an_fo_edit_is_an_exception_never_counted_applied(
    d365: D365Client, shopify: ShopifyAdmin, storage: Storage, clock: Clock, sale: Sale, point: str
) -> None:
    # R1 dies before (3 stays) or after (3 -> 2) its write; a person then sets the line to 5 in F&O.
    # Whether R1's write happened cannot be told from the line any more: R1 must not be counted as
    # applied (the old ETag-only settlement did) nor subtract again: it is an exception for a person.
    first, second = sale.refund_body([(TSHIRT, 1, "cancel")]), sale.refund_body([(TSHIRT, 1, "cancel")])
    dying = new_service(d365, shopify, storage, clock)

    def die(_key: str) -> None:
        raise Crash(f"worker died at {point}")

    dying.hooks.on(point, die)
    with pytest.raises(Crash):
        dying.handle(first)
    edit_in_fo(d365, sale, 5)

    other = new_service(d365, shopify, storage, clock)
    assert until_done(other, second).status == "order_reduced"  # R2 is independent: 5 -> 4
    assert quantity(d365, sale) == 4
    redelivered = until_done(other, first)
    assert redelivered.reason_code == "refund_reduction_uncertain"
    assert quantity(d365, sale) == 4  # R1 subtracted nothing more


def test_an_fo_edit_to_the_expected_quantity_settles_as_applied(
    d365: D365Client, shopify: ShopifyAdmin, storage: Storage, clock: Clock, sale: Sale
) -> None:
    first = sale.refund_body([(TSHIRT, 1, "cancel")])
    dying = new_service(d365, shopify, storage, clock)

    def die(_key: str) -> None:
        raise Crash("worker died before the F&O write")

    dying.hooks.on("refund.reduction_recorded", die)
    with pytest.raises(Crash):
        dying.handle(first)
    edit_in_fo(d365, sale, 2)  # where R1's write would have left it

    assert until_done(new_service(d365, shopify, storage, clock), first).status == "order_reduced"
    assert quantity(d365, sale) == 2


def test_an_order_update_settles_a_dead_reduction_before_it_writes_the_line(
    d365: D365Client, shopify: ShopifyAdmin, storage: Storage, clock: Clock, sale: Sale
) -> None:
    # R1 dies before its write; an order update (the integration's other writer of open lines, under
    # the same lease) settles the ledger first -- R1 not applied -- and then writes the line (4).
    # R1's redelivery then re-plans relative to F&O's current quantity: 4 -> 3, applied once.
    from integration.refunds.ledger import settle_before_write

    first = sale.refund_body([(TSHIRT, 1, "cancel")])
    dying = new_service(d365, shopify, storage, clock)

    def die(_key: str) -> None:
        raise Crash("worker died before the F&O write")

    dying.hooks.on("refund.reduction_recorded", die)
    with pytest.raises(Crash):
        dying.handle(first)
    settle_before_write(d365, storage, str(sale.order_id))  # what integration/orders/amend.py does first
    edit_in_fo(d365, sale, 4)  # the update's line write

    assert until_done(new_service(d365, shopify, storage, clock), first).status == "order_reduced"
    assert quantity(d365, sale) == 3


def test_a_reduction_whose_response_is_lost_is_settled_not_subtracted_again(
    d365: D365Client, d365_server: RunningServer, shopify: ShopifyAdmin, storage: Storage, clock: Clock, sale: Sale
) -> None:
    # F&O applies the line PATCH (3 -> 2) and the connection drops before the answer (the emulator's
    # fault injector). The faults are switched off in the client's backoff, so a resend would reach
    # F&O: with the same If-Match it gets 412 for this very write, which reads as "not applied" and
    # subtracts again (3 -> 2 -> 1, found by the chaos run). The reduction must not resend; its
    # redelivery settles the pending entry as applied by the line's quantity: 2.
    faults = f"{d365_server.url}/_emulator/faults"

    def faults_off(_delay: float) -> None:
        httpx.put(faults, json={}, timeout=10).raise_for_status()

    lossy = D365Client(
        d365_server.url, "usmf", lambda: "local-dev-token", policy=RetryPolicy(attempts=3, sleep=faults_off)
    )
    lose = {"rate_lost_response": 1.0, "methods": ["PATCH"], "paths": "SalesOrderLines"}
    httpx.put(faults, json=lose, timeout=10).raise_for_status()
    first = sale.refund_body([(TSHIRT, 1, "cancel")])
    try:
        with pytest.raises(D365Transient):
            new_service(lossy, shopify, storage, clock).handle(first)
    finally:
        faults_off(0)
        lossy.close()
    assert quantity(d365, sale) == 2  # applied once

    assert until_done(new_service(d365, shopify, storage, clock), first).status == "order_reduced"
    assert quantity(d365, sale) == 2
