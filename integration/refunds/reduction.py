"""Refund of an order nothing of which is invoiced yet: lower the open sales order instead of a credit
note (never a credit note without an invoice to link). Pure; the flow applies it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from integration.refunds.config import RefundConfig
from integration.refunds.errors import RefundBlocked
from integration.refunds.invoiced import InvoicedOrder
from integration.refunds.mapping import ShopifyOrderLines, allocate, check_money_settled, sales_lines_for
from integration.refunds.model import Refund


@dataclass(frozen=True)
class LineReduction:
    lot: str
    item: str
    before: Decimal
    after: Decimal
    reference: str


def plan_order_reduction(
    refund: Refund,
    order: InvoicedOrder,
    config: RefundConfig,
    shopify: ShopifyOrderLines | None = None,
    baseline: dict[str, Decimal] | None = None,
) -> list[LineReduction]:
    """Refund of an order nothing of which is invoiced: lower the open sales order's quantities instead.

    ``baseline`` (lot -> quantity before this refund, from the refund record) makes a retry compute the
    same absolute target instead of reducing twice."""
    shopify = shopify or ShopifyOrderLines()
    check_money_settled(refund)
    if refund.shipping or refund.adjustments or refund.duties.shop:
        raise RefundBlocked(
            "refund_uninvoiced_not_reducible",
            "shipping, adjustments or duties refunded on an "
            "order that is not invoiced: only line quantities can reduce an open sales order",
            {"sales_order": order.sales_order_number},
        )
    baseline = baseline or {}
    reductions: dict[str, LineReduction] = {}
    open_qty = {s.lot: baseline.get(s.lot, s.ordered_qty) for s in order.lines}
    for refund_line in refund.lines:
        if refund_line.quantity == 0:
            continue
        candidates = sales_lines_for(refund_line, order, shopify, config.freight_item)
        allocations = allocate(Decimal(refund_line.quantity), list(reversed(candidates)), open_qty)
        if not allocations:
            raise RefundBlocked(
                "refund_exceeds_ordered",
                f"refund of {refund_line.quantity} x {candidates[0].item} exceeds the open quantity",
                {"lots": [c.lot for c in candidates], "open": [str(open_qty[c.lot]) for c in candidates]},
            )
        for line, qty in allocations:
            before = baseline.get(line.lot, line.ordered_qty)
            open_qty[line.lot] -= qty
            reductions[line.lot] = LineReduction(line.lot, line.item, before, open_qty[line.lot], refund_line.id)
    return list(reductions.values())
