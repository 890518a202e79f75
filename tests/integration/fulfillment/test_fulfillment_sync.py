"""Packing slips posted in the F&O emulator become fulfillments in the Shopify emulator."""

from __future__ import annotations

from integration.cases import ExceptionStore
from integration.fulfillment.model import SlipRef
from integration.fulfillment.records import FulfillmentRecords
from tests.integration.fulfillment.conftest import World

FEDEX_URL = "https://www.fedex.com/fedextrack/?trknbr="


def fulfilled(summary: dict) -> dict[int, int]:
    out: dict[int, int] = {}
    for f in summary["fulfillments"]:
        for line in f["lines"]:
            out[line["line_item_id"]] = out.get(line["line_item_id"], 0) + line["quantity"]
    return out


def test_full_shipment_creates_one_fulfillment_with_fedex_tracking(world: World) -> None:
    order = world.order([("TSHIRT-1", 2), ("A0001", 1)])
    slip = world.post_slip(order, tracking=["794600000001"])

    summary = world.sync().poll()

    assert summary["created"] == 1 and summary["failed"] == 0
    shopify = world.shopify_order(order)
    assert shopify["display_fulfillment_status"] == "FULFILLED"
    [fulfillment] = shopify["fulfillments"]
    assert fulfillment["tracking"] == [
        {"company": "FedEx", "number": "794600000001", "url": FEDEX_URL + "794600000001"}
    ]
    assert fulfilled(shopify) == {order.line_items[0]: 2, order.line_items[1]: 1}
    record = FulfillmentRecords(world.storage).get(SlipRef(order.sales_order, slip))
    assert record is not None and record.status == "done"
    assert record.fulfillment_ids == [str(fulfillment["id"])]
    status = FulfillmentRecords(world.storage).order_status(str(order.shopify_id))
    assert status is not None and status["ShopifyStatus"] == "FULFILLED"


def test_whole_order_slip_with_the_freight_line_is_one_fulfillment(world: World) -> None:
    # F&O's default "all lines" packing slip includes the non-stocked freight line.
    order = world.order([("TSHIRT-1", 2), ("A0001", 1)], freight=True)
    world.post_slip(order, tracking=["794600000031"])

    summary = world.sync().poll()

    assert summary["created"] == 1 and summary["failed"] == 0, summary
    shopify = world.shopify_order(order)
    assert shopify["display_fulfillment_status"] == "FULFILLED"
    [fulfillment] = shopify["fulfillments"]
    assert fulfillment["tracking"][0]["number"] == "794600000031"
    assert fulfilled(shopify) == {order.line_items[0]: 2, order.line_items[1]: 1}


def test_partial_slip_with_the_freight_line_fulfils_exactly_the_product_lines(world: World) -> None:
    order = world.order([("TSHIRT-1", 3), ("A0001", 2)], freight=True)
    world.post_slip(order, [(0, 1), (len(order.lots) - 1, 1)], tracking=["794600000032"])

    summary = world.sync().poll()

    assert summary["created"] == 1 and summary["failed"] == 0, summary
    shopify = world.shopify_order(order)
    assert shopify["display_fulfillment_status"] == "PARTIALLY_FULFILLED"
    assert fulfilled(shopify) == {order.line_items[0]: 1}


def test_two_partial_shipments_make_two_fulfillments(world: World) -> None:
    order = world.order([("TSHIRT-1", 3), ("A0001", 2)])
    sync = world.sync()
    world.post_slip(order, [(0, 1), (1, 2)], tracking=["794600000011"])

    sync.poll()

    shopify = world.shopify_order(order)
    assert shopify["display_fulfillment_status"] == "PARTIALLY_FULFILLED"
    assert fulfilled(shopify) == {order.line_items[0]: 1, order.line_items[1]: 2}
    [fo] = shopify["fulfillment_orders"]
    assert {li["line_item_id"]: li["remaining"] for li in fo["line_items"]} == {
        order.line_items[0]: 2,
        order.line_items[1]: 0,
    }
    assert world.d365_order_status(order) == ("Backorder", "PartiallyDelivered")  # partial on both sides

    world.post_slip(order, [(0, 2)], tracking=["794600000012"])
    summary = sync.poll()

    assert summary["created"] == 1  # the first slip is re-read in the overlap and left alone
    shopify = world.shopify_order(order)
    assert shopify["display_fulfillment_status"] == "FULFILLED"
    assert len(shopify["fulfillments"]) == 2
    assert [f["tracking"][0]["number"] for f in shopify["fulfillments"]] == ["794600000011", "794600000012"]
    assert fulfilled(shopify) == {order.line_items[0]: 3, order.line_items[1]: 2}
    assert world.d365_order_status(order) == ("Delivered", "Delivered")


def test_shipment_spanning_two_locations_is_split_per_fulfillment_order(world: World) -> None:
    assert world.shopify_ops.put("/_emulator/settings", json={"split_locations": True}).status_code == 200
    order = world.order([("TSHIRT-1", 1), ("A0001", 2), ("D0001", 1)])
    slip = world.post_slip(order, tracking=["794600000021"])

    outcome = world.sync().sync_slip(SlipRef(order.sales_order, slip))

    assert outcome.outcome == "created" and len(outcome.fulfillment_ids) == 2
    shopify = world.shopify_order(order)
    assert shopify["display_fulfillment_status"] == "FULFILLED"
    by_location = {
        f["location_id"]: {li["line_item_id"]: li["quantity"] for li in f["lines"]} for f in shopify["fulfillments"]
    }
    fo_lines = {
        fo["location_id"]: {li["line_item_id"]: li["total"] for li in fo["line_items"]}
        for fo in shopify["fulfillment_orders"]
    }
    assert by_location == fo_lines and len(by_location) == 2
    assert all(f["tracking"][0]["number"] == "794600000021" for f in shopify["fulfillments"])


def test_updated_tracking_number_updates_the_fulfillment(world: World) -> None:
    order = world.order([("TSHIRT-1", 1)])
    slip = world.post_slip(order, tracking=["794600000031"])
    sync = world.sync()
    sync.poll()

    world.replace_tracking(order, slip, "794600000032")
    summary = sync.poll()

    assert summary["tracking_updated"] == 1
    [fulfillment] = world.shopify_order(order)["fulfillments"]
    assert fulfillment["tracking"] == [
        {"company": "FedEx", "number": "794600000032", "url": FEDEX_URL + "794600000032"}
    ]
    assert sync.poll().get("tracking_updated", 0) == 0


def test_duplicate_runs_create_nothing_new(world: World) -> None:
    order = world.order([("TSHIRT-1", 2)])
    slip = world.post_slip(order, [(0, 1)])
    sync = world.sync()

    first = sync.poll()
    second = sync.poll()
    again = world.sync().sync_slip(SlipRef(order.sales_order, slip))  # another instance, same slip

    assert first["created"] == 1 and second.get("created", 0) == 0 and second["unchanged"] == 1
    assert again.outcome == "unchanged"
    shopify = world.shopify_order(order)
    assert len(shopify["fulfillments"]) == 1 and fulfilled(shopify) == {order.line_items[0]: 1}


def test_unknown_order_becomes_an_exception(world: World) -> None:
    order = world.order([("TSHIRT-1", 1)], link=False)  # an F&O order order sync never created
    slip = world.post_slip(order)

    outcome = world.sync().sync_slip(SlipRef(order.sales_order, slip))

    assert (outcome.outcome, outcome.reason_code) == ("exception", "unknown_order")
    record = ExceptionStore(world.storage).get("packing_slip", f"{order.sales_order}:{slip}")
    assert record is not None and record.reason_code == "unknown_order"
    assert record.values["sales_order"] == order.sales_order and record.values["packing_slip"] == slip
    assert world.shopify_order(order)["fulfillments"] == []


def test_over_shipment_becomes_an_exception_with_the_numbers(world: World) -> None:
    order = world.order([("TSHIRT-1", 3)])
    # The merchant already fulfilled 2 in Shopify's admin; F&O then ships all 3.
    admin = world.admin()
    state = world.sync(admin=admin).shopify.order_state(str(order.shopify_id))
    assert state is not None
    fo = state.fulfillment_orders[0]
    admin.check(
        admin.graphql(
            "mutation f($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) { userErrors { message } } }",
            {
                "f": {
                    "lineItemsByFulfillmentOrder": [
                        {
                            "fulfillmentOrderId": f"gid://shopify/FulfillmentOrder/{fo.id}",
                            "fulfillmentOrderLineItems": [
                                {"id": f"gid://shopify/FulfillmentOrderLineItem/{fo.lines[0].id}", "quantity": 2}
                            ],
                        }
                    ]
                }
            },
        ),
        "fulfillmentCreate",
    )
    slip = world.post_slip(order)

    outcome = world.sync(admin=admin).sync_slip(SlipRef(order.sales_order, slip))

    assert (outcome.outcome, outcome.reason_code) == ("exception", "over_shipment")
    record = ExceptionStore(world.storage).get("packing_slip", f"{order.sales_order}:{slip}")
    assert record is not None
    assert record.values["lines"] == [
        {"line_item_id": str(order.line_items[0]), "shipped": 3, "open_in_shopify": 1, "excess": 2}
    ]
    assert len(world.shopify_order(order)["fulfillments"]) == 1  # only the merchant's own


def test_shopify_throttling_is_waited_out(world: World) -> None:
    order = world.order([("TSHIRT-1", 1), ("A0001", 1)])
    world.post_slip(order)
    # An empty bucket that refills slowly: the first query (requested cost ~850) answers THROTTLED.
    assert (
        world.shopify_ops.put(
            "/_emulator/bucket", json={"maximum_available": 1000, "restore_rate": 400, "currently_available": 0}
        ).status_code
        == 200
    )
    admin = world.admin()

    summary = world.sync(admin=admin).poll()

    assert summary["created"] == 1 and summary["failed"] == 0
    assert admin.stats.throttled >= 1
    assert len(world.shopify_order(order)["fulfillments"]) == 1


def test_slip_without_tracking_waits_until_f_and_o_has_a_number(world: World) -> None:
    order = world.order([("TSHIRT-1", 1)])
    slip = world.post_slip(order, tracking=[])
    sync = world.sync()

    assert sync.poll()["waiting_for_tracking"] == 1
    assert world.shopify_order(order)["fulfillments"] == []

    world.d365.create(
        "PackingSlipTrackingInformation",
        {
            "SalesOrderNumber": order.sales_order,
            "PackingSlipNumber": slip,
            "DeliveryDate": world.d365.get("CustPackingSlipJourBiEntities", filter=f"PackingSlipId eq '{slip}'")[0][
                "DeliveryDate"
            ],
            "TrackingNumber": "794600000071",
        },
    )
    assert sync.poll()["created"] == 1
    [fulfillment] = world.shopify_order(order)["fulfillments"]
    assert fulfillment["tracking"][0]["number"] == "794600000071"


def test_without_required_tracking_the_slip_is_fulfilled_at_once(world: World) -> None:
    order = world.order([("TSHIRT-1", 1)])
    world.post_slip(order, tracking=[])

    assert world.sync(require_tracking=False).poll()["created"] == 1
    [fulfillment] = world.shopify_order(order)["fulfillments"]
    assert fulfillment["tracking"] == []


def test_a_slip_waits_while_another_delivery_holds_the_shopify_order(world: World) -> None:
    from shared.lease import order_lease

    order = world.order([("TSHIRT-1", 1)])
    world.post_slip(order, tracking=["794600000041"])
    held = order_lease(world.storage, order.shopify_id)  # e.g. an orders/updated or a refund in flight
    assert held.acquire()

    summary = world.sync().poll()
    assert summary.get("order_busy") == 1 and summary["watermark_advanced"] is False
    assert world.shopify_order(order)["fulfillments"] == []

    held.release()
    assert world.sync().poll()["created"] == 1
    assert fulfilled(world.shopify_order(order)) == {order.line_items[0]: 1}
