"""Order edits (``orders/updated`` with changed lines) on an F&O order: what to change, and whether F&O
still allows it. Pure; ``amend.update`` reads F&O and applies the plan in one changeset.

What the edit is: Shopify keeps ``quantity`` (as ordered) and lowers ``current_quantity`` when an
edit removes units or a line, and adds new line items for added products. Refunds also lower
``current_quantity``; those reductions belong to the refund flow (it reduces the open order or
credits the invoice), so order sync compares F&O with ``current_quantity + refunded`` and leaves
refunded lines alone. A line changed by an edit *and* a refund is a conflict for a person. A
reduced line keeps its per-unit discount (Shopify leaves the original ``discount_allocations`` on
the line, which would over-discount the remaining units).

When F&O allows it: the header is open (``SalesOrderStatus`` Backorder) and processing has not
moved past ``Active``/``Confirmed`` -- or is ``PartiallyDelivered``, where the packing-slip lines
(``CustPackingSlipTransBiEntities``) say which lots shipped -- and every F&O line of a changed
Shopify line is neither delivered/invoiced (``SalesOrderLineStatus``) nor in picking/packing
(``FulfillmentStatus``). Header status ``Picked`` (or any later one) blocks every line change.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from integration.clients.d365 import BatchOp
from integration.orders.model import Line, Money, Order

CENT = Decimal("0.01")
OPEN_HEADER = frozenset({"Backorder", "None", ""})
EDITABLE_PROCESSING = frozenset({"Active", "Confirmed", "None", ""})
PER_LOT_PROCESSING = frozenset({"PartiallyDelivered"})  # packing-slip lines name what shipped
DONE_LINE = frozenset({"Delivered", "Invoiced"})
PICKED_FULFILLMENT = frozenset(
    {"Picking", "PartiallyPicked", "Picked", "PartiallyPacked", "Packed", "PartiallyInvoiced", "Invoiced"}
)
LINE_FIELDS = ("OrderedSalesQuantity", "SalesPrice", "LineDiscountAmount", "FixedPriceCharges", "LineAmount")
Summary = tuple[Decimal, Decimal, Decimal]  # quantity, unit price, total discount


@dataclass(frozen=True)
class EditedOrder:
    order: Order  # lines at their edited quantities, prorated discounts, current totals
    refunded_refs: frozenset[str]  # lines with refunds: the refund flow owns their quantities
    mixed: tuple[str, ...] = ()  # lines changed by an edit and a refund: a person decides


@dataclass
class LineChanges:
    differences: list[dict[str, Any]] = field(default_factory=list)
    operations: list[BatchOp] = field(default_factory=list)

    @property
    def refs(self) -> list[str]:
        return [str(d["line"]) for d in self.differences]


def _prorate(amount: Money, quantity: int, of: int) -> Money:
    if of <= 0 or quantity == of:
        return amount

    def part(value: Decimal) -> Decimal:
        return (value * quantity / of).quantize(CENT, rounding=ROUND_HALF_UP)

    return Money(part(amount.shop), part(amount.presentment), amount.shop_currency, amount.presentment_currency)


def edited_order(order: Order) -> EditedOrder:
    lines: list[Line] = []
    refunded_refs: set[str] = set()
    mixed: list[str] = []
    for li in order.lines:
        refunded = order.refunded_quantities.get(li.id, 0)
        quantity = li.quantity if li.current_quantity is None else li.current_quantity + refunded
        if refunded:
            refunded_refs.add(str(li.id))
            if quantity != li.quantity:
                mixed.append(str(li.id))
            quantity = li.quantity
        if quantity > 0:
            lines.append(
                replace(
                    li, quantity=quantity, current_quantity=None, discount=_prorate(li.discount, quantity, li.quantity)
                )
            )
    edited = replace(
        order,
        lines=tuple(lines),
        total_price=order.current_total_price or order.total_price,
        total_tax=order.current_total_tax or order.total_tax,
    )
    return EditedOrder(edited, frozenset(refunded_refs), tuple(mixed))


def by_ref(lines: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        if line.get("SalesOrderLineStatus") == "Canceled":
            continue
        out.setdefault(str(line.get("OrderLineReference", "")), []).append(line)
    return out


def summary(lines: list[dict[str, Any]]) -> Summary:
    quantity = discount = Decimal(0)
    price = Decimal(0)
    for line in lines:
        qty = Decimal(str(line.get("OrderedSalesQuantity", 0)))
        quantity += qty
        price = Decimal(str(line.get("SalesPrice", 0)))
        # The cents an uneven discount leaves over sit in the line's (negative) price charges.
        charges = Decimal(str(line.get("FixedPriceCharges", 0)))
        discount += Decimal(str(line.get("LineDiscountAmount", 0))) * qty - charges
    return quantity, price, discount


def _differs(have: Any, want: Any) -> bool:
    try:
        return Decimal(str(have)) != Decimal(str(want))
    except ArithmeticError:
        return str(have) != str(want)


def plan_line_changes(
    wanted: dict[str, list[dict[str, Any]]], have: dict[str, list[dict[str, Any]]], skip: frozenset[str]
) -> LineChanges:
    """PATCH/POST/DELETE per changed Shopify line: existing F&O lines are reused in lot order, missing
    ones added, surplus ones deleted (a line split for an uneven discount may gain or lose its twin)."""
    changes = LineChanges()
    for ref in sorted(set(wanted) | set(have)):
        if ref in skip or summary(wanted.get(ref, [])) == summary(have.get(ref, [])):
            continue
        changes.differences.append(
            {
                "line": ref,
                "fo": [str(x) for x in summary(have.get(ref, []))],
                "shopify": [str(x) for x in summary(wanted.get(ref, []))],
            }
        )
        current = sorted(have.get(ref, []), key=lambda ln: str(ln.get("InventoryLotId", "")))
        for index, body in enumerate(wanted.get(ref, [])):
            if index < len(current):
                patch = {k: body.get(k, 0) for k in LINE_FIELDS if _differs(current[index].get(k, 0), body.get(k, 0))}
                if patch:
                    lot = {"InventoryLotId": current[index]["InventoryLotId"]}
                    changes.operations.append(BatchOp("PATCH", "SalesOrderLines", patch, lot, _etag(current[index])))
            else:
                changes.operations.append(BatchOp("POST", "SalesOrderLines", body))
        for surplus in current[len(wanted.get(ref, [])) :]:
            changes.operations.append(
                BatchOp(
                    "DELETE", "SalesOrderLines", None, {"InventoryLotId": surplus["InventoryLotId"]}, _etag(surplus)
                )
            )
    return changes


def _etag(row: dict[str, Any]) -> str | None:
    """The ETag the line was read with: the write is ``If-Match`` it (a 412 re-reads and re-plans)."""
    return str(row["@odata.etag"]) if row.get("@odata.etag") else None


def header_blocks_edits(header: dict[str, Any]) -> str:
    """Why F&O's header status forbids line changes ("" when it allows them, maybe per lot)."""
    status = str(header.get("SalesOrderStatus", ""))
    processing = str(header.get("SalesOrderProcessingStatus", ""))
    if status not in OPEN_HEADER:
        return f"SalesOrderStatus {status}"
    if processing not in EDITABLE_PROCESSING | PER_LOT_PROCESSING:
        return f"SalesOrderProcessingStatus {processing}"
    return ""


def needs_shipped_lots(header: dict[str, Any]) -> bool:
    return str(header.get("SalesOrderProcessingStatus", "")) in PER_LOT_PROCESSING


def touched_lines(refs: list[str], have: dict[str, list[dict[str, Any]]], shipped: set[str]) -> list[dict[str, str]]:
    """F&O lines of the changed Shopify lines that are picked, delivered or invoiced."""
    out = []
    for ref in refs:
        for line in have.get(ref, []):
            lot = str(line.get("InventoryLotId", ""))
            status, fulfillment = str(line.get("SalesOrderLineStatus", "")), str(line.get("FulfillmentStatus", ""))
            if status in DONE_LINE or fulfillment in PICKED_FULFILLMENT or lot in shipped:
                out.append(
                    {
                        "line": ref,
                        "lot": lot,
                        "status": status,
                        "fulfillment_status": fulfillment,
                        "shipped": str(lot in shipped),
                    }
                )
    return out
