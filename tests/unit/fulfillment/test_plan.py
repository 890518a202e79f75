"""Pure mapping: slip lines -> line items -> fulfillment orders per location; matching; tracking."""

from __future__ import annotations

from decimal import Decimal

import pytest

from integration.fulfillment.model import (
    ExistingFulfillment,
    FoLine,
    FulfillmentOrder,
    PackingSlip,
    PlannedFulfillment,
    SlipLine,
    SlipProblem,
    SlipRef,
)
from integration.fulfillment.plan import match_existing, plan_fulfillments, shipped_line_items, tracking_input

FEDEX = "https://www.fedex.com/fedextrack/?trknbr={number}"
REF = SlipRef("SH1001", "CPS-000001")


def slip(
    *lines: tuple[str, str, str], numbers: tuple[str, ...] = ("794600000001",), urls: tuple[str, ...] = ("",)
) -> PackingSlip:
    return PackingSlip(
        REF, None, None, "GROUND", tuple(SlipLine(lot, item, Decimal(q)) for lot, item, q in lines), numbers, urls
    )


def fo(fo_id: str, location: str, *lines: tuple[str, str, int], status: str = "OPEN") -> FulfillmentOrder:
    return FulfillmentOrder(fo_id, status, location, tuple(FoLine(a, b, c, c) for a, b, c in lines))


LINKS = {"LOT-1": "11", "LOT-2": "12"}


def test_shipped_quantities_by_line_item_id_not_sku() -> None:
    # Both lines are the same SKU: only the lot tells them apart.
    shipped = shipped_line_items(slip(("LOT-1", "TSHIRT-1", "2"), ("LOT-2", "TSHIRT-1", "1.000000")), LINKS)
    assert shipped == {"11": 2, "12": 1}


def test_freight_lines_are_ignored_and_unknown_lots_are_a_problem() -> None:
    assert shipped_line_items(slip(("LOT-1", "A", "1"), ("LOT-F", "FREIGHT", "1")), LINKS, ["FREIGHT"]) == {"11": 1}
    with pytest.raises(SlipProblem) as problem:
        shipped_line_items(slip(("LOT-9", "A", "1")), LINKS)
    assert problem.value.reason_code == "unknown_line"
    assert problem.value.values["lines"][0]["lot_id"] == "LOT-9"


def test_linked_freight_line_is_never_a_fulfilment_line() -> None:
    # Order sync records the freight line's lot as ``shipping:<id>``: whole or partial, skipped.
    links = {**LINKS, "LOT-F": "shipping:77"}
    whole = slip(("LOT-1", "A", "2"), ("LOT-2", "A", "1"), ("LOT-F", "FREIGHT", "1"))
    assert shipped_line_items(whole, links, ["FREIGHT"]) == {"11": 2, "12": 1}
    partial = slip(("LOT-1", "A", "1"), ("LOT-F", "FREIGHT", "0.5"))
    assert shipped_line_items(partial, links, ["FREIGHT"]) == {"11": 1}
    # Even under another freight item number than the configured one, a linked charge is skipped.
    assert shipped_line_items(slip(("LOT-1", "A", "1"), ("LOT-F", "SHIP-SVC", "1")), links, ["FREIGHT"]) == {"11": 1}
    with pytest.raises(SlipProblem) as problem:
        shipped_line_items(slip(("LOT-F", "FREIGHT", "1")), links, ["FREIGHT"])
    assert problem.value.reason_code == "nothing_to_fulfil"


def test_fractional_quantity_is_a_problem() -> None:
    with pytest.raises(SlipProblem) as problem:
        shipped_line_items(slip(("LOT-1", "A", "1.5")), LINKS)
    assert problem.value.reason_code == "fractional_quantity"


def test_partial_shipment_fulfils_only_what_shipped() -> None:
    plan = plan_fulfillments({"11": 1}, [fo("100", "L1", ("1001", "11", 3), ("1002", "12", 1))])
    assert [(p.location_id, p.orders) for p in plan] == [("L1", {"100": [("1001", "11", 1)]})]


def test_split_per_location_and_across_fulfillment_orders() -> None:
    orders = [
        fo("100", "L1", ("1001", "11", 1)),
        fo("200", "L2", ("2001", "12", 2)),
        fo("300", "L2", ("3001", "11", 2)),
    ]
    plan = plan_fulfillments({"11": 3, "12": 2}, orders)
    assert [p.location_id for p in plan] == ["L1", "L2"]
    assert plan[0].quantities == {"11": 1}
    assert plan[1].orders == {"300": [("3001", "11", 2)], "200": [("2001", "12", 2)]}


def test_closed_fulfillment_orders_are_not_used_and_over_shipment_names_the_numbers() -> None:
    orders = [fo("100", "L1", ("1001", "11", 2), status="CLOSED"), fo("200", "L1", ("2001", "11", 1))]
    with pytest.raises(SlipProblem) as problem:
        plan_fulfillments({"11": 3}, orders)
    assert problem.value.reason_code == "over_shipment"
    assert problem.value.values["lines"] == [{"line_item_id": "11", "shipped": 3, "open_in_shopify": 1, "excess": 2}]


def test_match_existing_by_tracking_location_and_quantities() -> None:
    planned = PlannedFulfillment("L1", {"100": [("1001", "11", 2)]})
    other = ExistingFulfillment("9", "L1", "SUCCESS", ("OTHER",), {"11": 2})
    same = ExistingFulfillment("10", "L1", "SUCCESS", ("794600000001",), {"11": 2})
    assert match_existing(planned, ["794600000001"], [other, same], set()) == "10"
    assert match_existing(planned, ["794600000001"], [other, same], {"10"}) == ""
    assert (
        match_existing(
            planned, ["794600000001"], [ExistingFulfillment("11", "L2", "SUCCESS", ("794600000001",), {"11": 2})], set()
        )
        == ""
    )
    assert match_existing(planned, [], [ExistingFulfillment("12", "L1", "SUCCESS", (), {"11": 2})], set()) == "12"


def test_tracking_input_builds_fedex_url_when_fo_has_none() -> None:
    assert tracking_input(slip(), "FedEx", FEDEX) == {
        "company": "FedEx",
        "number": "794600000001",
        "url": "https://www.fedex.com/fedextrack/?trknbr=794600000001",
    }
    given = slip(numbers=("1", "2"), urls=("https://carrier.example/1", ""))
    info = tracking_input(given, "FedEx", FEDEX)
    assert info is not None
    assert info["url"] == "https://carrier.example/1"
    assert info["numbers"] == ["1", "2"]
    assert info["urls"] == ["https://carrier.example/1", "https://www.fedex.com/fedextrack/?trknbr=2"]
    assert tracking_input(slip(numbers=()), "FedEx", FEDEX) is None


def test_planned_fulfillment_round_trips_through_its_record_shape() -> None:
    planned = PlannedFulfillment("L1", {"100": [("1001", "11", 2)]}, "55")
    assert PlannedFulfillment.from_dict(planned.to_dict()) == planned
