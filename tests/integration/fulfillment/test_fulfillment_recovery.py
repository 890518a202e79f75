"""A fulfillmentCreate whose answer is lost must not create a second fulfillment."""

from __future__ import annotations

import httpx

from integration.fulfillment.model import SlipRef
from integration.fulfillment.records import FulfillmentRecords
from tests.integration.fulfillment.conftest import World


class LosesCreateAnswers(httpx.BaseTransport):
    """Real HTTP to the emulator; the first ``lose`` fulfillmentCreate requests reach Shopify and are
    applied, then the connection drops before the answer. With ``outage_after`` every later request
    fails too (the network stays down for the rest of the run)."""

    def __init__(self, lose: int = 1, outage_after: bool = False) -> None:
        self.inner = httpx.HTTPTransport()
        self.lose = lose
        self.outage_after = outage_after
        self.down = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("network unreachable", request=request)
        response = self.inner.handle_request(request)
        if self.lose and b"fulfillmentCreate(" in request.read():
            response.read()
            response.close()
            self.lose -= 1
            self.down = self.outage_after
            raise httpx.ReadError("connection reset after the request was sent", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


def creates_sent(world: World) -> int:
    log = world.shopify_ops.get("/_emulator/requests", params={"last": 1000}).json()
    return int(log["counts"].get("graphql fulfillmentCreate", 0))


def test_lost_answer_is_recovered_by_reading_the_order_before_retrying(world: World) -> None:
    order = world.order([("TSHIRT-1", 2)])
    slip = world.post_slip(order, [(0, 2)], tracking=["794600000041"])
    world.shopify_ops.delete("/_emulator/requests")
    transport = LosesCreateAnswers(lose=1)

    outcome = world.sync(admin=world.admin(transport)).sync_slip(SlipRef(order.sales_order, slip))

    assert outcome.outcome == "created" and transport.lose == 0
    shopify = world.shopify_order(order)
    assert len(shopify["fulfillments"]) == 1 and creates_sent(world) == 1  # found, not sent again
    assert outcome.fulfillment_ids == [str(shopify["fulfillments"][0]["id"])]


def test_lost_answer_then_outage_is_finished_by_the_next_run_without_a_duplicate(world: World) -> None:
    order = world.order([("TSHIRT-1", 1), ("A0001", 3)])
    slip = world.post_slip(order, [(1, 3)], tracking=["794600000042"])
    world.shopify_ops.delete("/_emulator/requests")
    records = FulfillmentRecords(world.storage)

    first = world.sync(admin=world.admin(LosesCreateAnswers(lose=1, outage_after=True))).poll()

    assert first["failed"] == 1 and not first["watermark_advanced"]
    record = records.get(SlipRef(order.sales_order, slip))
    assert record is not None and record.status == "planned" and record.fulfillment_ids == []
    assert len(world.shopify_order(order)["fulfillments"]) == 1  # applied although the answer was lost

    second = world.sync().poll()

    assert second["created"] == 1 and second["failed"] == 0
    shopify = world.shopify_order(order)
    assert len(shopify["fulfillments"]) == 1 and creates_sent(world) == 1
    assert shopify["display_fulfillment_status"] == "PARTIALLY_FULFILLED"
    record = records.get(SlipRef(order.sales_order, slip))
    assert record is not None and record.status == "done"
    assert record.fulfillment_ids == [str(shopify["fulfillments"][0]["id"])]


def test_a_create_that_never_reached_shopify_is_sent_again(world: World) -> None:
    order = world.order([("TSHIRT-1", 1)])
    slip = world.post_slip(order, tracking=["794600000043"])
    # 503 on every Shopify call for the first run: nothing is applied, the run fails and keeps its watermark.
    world.shopify_ops.put("/_emulator/faults", json={"rate_503": 1.0, "paths": "graphql"})
    failed = world.sync().poll()
    world.shopify_ops.delete("/_emulator/faults")

    assert failed["failed"] == 1 and world.shopify_order(order)["fulfillments"] == []
    assert world.sync().sync_slip(SlipRef(order.sales_order, slip)).outcome == "created"
    assert len(world.shopify_order(order)["fulfillments"]) == 1
