"""Pure mapping: packing slip lines -> Shopify line items -> fulfillment orders, split per location.

Matching is by the Shopify line item id that order sync stored beside each F&O line's
``InventoryLotId`` (never by SKU: the same SKU can sit on two lines or be split over two
fulfillment orders, and variant matching is what failed for other connectors on split shipments).
Quantities come from the packing slip, so a partial shipment fulfils exactly what shipped and leaves
the rest open on the fulfillment order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from urllib.parse import quote

from integration.fulfillment.model import (
    ExistingFulfillment,
    FulfillmentOrder,
    OverShippedLine,
    PackingSlip,
    PlannedFulfillment,
    SlipProblem,
)


def shipped_line_items(
    slip: PackingSlip, lot_to_line_item: Mapping[str, str], ignored_items: Iterable[str] = ()
) -> dict[str, int]:
    """Line item id -> shipped quantity. Non-product lines are never fulfilment lines: lines of
    ``ignored_items`` (the freight service item) and lots order sync linked to a non-product
    reference (``shipping:<id>``, the freight line) are skipped, whether the slip ships them whole or
    in part. A lot order sync never linked, or a fractional quantity, is a problem."""
    ignored = {i.casefold() for i in ignored_items if i}
    lots = {lot.casefold(): line for lot, line in lot_to_line_item.items()}
    shipped: dict[str, int] = {}
    unknown: list[dict[str, str]] = []
    for line in slip.lines:
        if line.quantity == 0 or line.item_number.casefold() in ignored:
            continue
        line_item = lots.get(line.lot_id.casefold())
        if line_item is not None and not is_product_line(line_item):
            continue
        if line_item is None:
            unknown.append({"lot_id": line.lot_id, "item_number": line.item_number, "quantity": str(line.quantity)})
            continue
        if line.quantity != line.quantity.to_integral_value() or line.quantity < 0:
            raise SlipProblem(
                "fractional_quantity",
                f"packing slip {slip.ref.packing_slip} ships {line.quantity} of lot {line.lot_id}; "
                "Shopify fulfils whole units only",
                {"lot_id": line.lot_id, "quantity": str(line.quantity)},
            )
        shipped[line_item] = shipped.get(line_item, 0) + int(line.quantity)
    if unknown:
        raise SlipProblem(
            "unknown_line",
            f"packing slip {slip.ref.packing_slip} has {len(unknown)} line(s) whose F&O lot is not "
            f"linked to a Shopify line item of the order",
            {"lines": unknown},
        )
    if not shipped:
        raise SlipProblem(
            "nothing_to_fulfil",
            f"packing slip {slip.ref.packing_slip} ships no Shopify line item",
            {"lines": len(slip.lines)},
        )
    return shipped


def is_product_line(line_item: str) -> bool:
    """Order sync links the freight line as ``shipping:<id>`` (any ``kind:<id>`` reference is a
    charge, not a Shopify line item); only a bare line item id is fulfilled."""
    return bool(line_item) and ":" not in line_item


def plan_fulfillments(
    shipped: Mapping[str, int], fulfillment_orders: Iterable[FulfillmentOrder]
) -> list[PlannedFulfillment]:
    """Allocate each shipped quantity to the open fulfillment-order lines of that line item (in
    Shopify's order), one planned fulfillment per location. Raises ``over_shipment`` naming every
    line that ships more than remains open, and applies nothing of that slip."""
    open_orders = [fo for fo in fulfillment_orders if fo.is_open]
    by_location: dict[str, PlannedFulfillment] = {}
    over: list[OverShippedLine] = []
    for line_item, quantity in sorted(shipped.items()):
        left = quantity
        available = 0
        for fo in open_orders:
            for fo_line in fo.lines:
                if fo_line.line_item_id != line_item or fo_line.remaining <= 0:
                    continue
                available += fo_line.remaining
                take = min(left, fo_line.remaining)
                if take <= 0:
                    continue
                planned = by_location.setdefault(fo.location_id, PlannedFulfillment(fo.location_id))
                planned.orders.setdefault(fo.id, []).append((fo_line.id, line_item, take))
                left -= take
        if left > 0:
            over.append(OverShippedLine(line_item, quantity, available))
    if over:
        raise SlipProblem(
            "over_shipment",
            "packing slip ships more than remains unfulfilled in Shopify: "
            + "; ".join(f"line item {o.line_item_id} shipped {o.shipped}, open {o.open_quantity}" for o in over),
            {
                "lines": [
                    {
                        "line_item_id": o.line_item_id,
                        "shipped": o.shipped,
                        "open_in_shopify": o.open_quantity,
                        "excess": o.shipped - o.open_quantity,
                    }
                    for o in over
                ]
            },
        )
    return [by_location[key] for key in sorted(by_location)]


def match_existing(
    planned: PlannedFulfillment,
    tracking_numbers: Iterable[str],
    fulfillments: Iterable[ExistingFulfillment],
    claimed: set[str],
) -> str:
    """The id of a Shopify fulfillment that is this planned one, created by an attempt whose answer
    was lost: same location, same line items and quantities, a shared tracking number (or none on
    either side), and not already recorded for another packing slip. ``""`` when there is none."""
    numbers = {n for n in tracking_numbers if n}
    for existing in fulfillments:
        if existing.id in claimed or existing.status in ("CANCELLED", "ERROR", "FAILURE"):
            continue
        if existing.location_id and existing.location_id != planned.location_id:
            continue
        if existing.quantities != planned.quantities:
            continue
        theirs = set(existing.tracking_numbers)
        if (numbers & theirs) or (not numbers and not theirs):
            return existing.id
    return ""


def tracking_input(slip: PackingSlip, company: str, url_template: str) -> dict[str, object] | None:
    """``FulfillmentTrackingInput``: company, number(s), URL(s). F&O's URL when it has one, else the
    carrier URL built from the number (FedEx by default)."""
    numbers = [n for n in slip.tracking_numbers if n]
    if not numbers:
        return None
    urls = []
    for index, number in enumerate(numbers):
        given = slip.tracking_urls[index] if index < len(slip.tracking_urls) else ""
        urls.append(given or (url_template.format(number=quote(number, safe="")) if url_template else ""))
    info: dict[str, object] = {"company": company, "number": numbers[0]}
    if urls[0]:
        info["url"] = urls[0]
    if len(numbers) > 1:
        info["numbers"] = numbers
        if all(urls):
            info["urls"] = urls
    return info


def quantity_text(value: Decimal) -> str:
    return format(value.normalize(), "f")
