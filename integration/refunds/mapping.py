"""Pure mapping: a Shopify refund + the invoiced F&O order -> the credit note (a return order).

Rules (README "Refunds and credit notes"):
* one return order per refund, number ``D365_RETURN_NUMBER_PREFIX`` + refund id (also the RMA number);
* each refunded line item -> a return line with a negative quantity whose ``ReturningInventoryLotId``
  is the invoiced sales line's ``InventoryLotId``; amount = Shopify ``subtotal_set.shop_money`` (the
  money refunded, never recomputed); disposition by ``restock_type``;
* refunded shipping -> a return line of the freight item against the invoiced freight line;
* ``refund_discrepancy``/goodwill adjustments and refunded duties -> a configured misc item, else an
  exception; a refund whose money is still pending waits; cumulative returns never exceed invoiced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

from integration.refunds.config import RefundConfig
from integration.refunds.errors import RefundBlocked, RefundNotYet
from integration.refunds.invoiced import InvoicedOrder, SalesLine
from integration.refunds.model import CENT, ZERO, Refund, RefundLine, ShippingRefund

HEADER_SET = "ReturnOrderHeadersV2"
LINE_SET = "ReturnOrderLinesV2"
PRICE_QUANTUM = Decimal("0.000001")
ITEM, FREIGHT, MISC = "item", "freight", "misc"


@dataclass(frozen=True)
class ShopifyOrderLines:
    """Order of line items / shipping lines on the Shopify order, for matching F&O lines by position."""

    line_items: tuple[tuple[str, str], ...] = ()  # (line item id, sku)
    shipping_line_ids: tuple[str, ...] = ()

    @classmethod
    def from_order(cls, order: dict[str, Any] | None) -> ShopifyOrderLines:
        if not order:
            return cls()
        return cls(
            tuple((str(li.get("id")), str(li.get("sku") or "")) for li in order.get("line_items") or []),
            tuple(str(s.get("id")) for s in order.get("shipping_lines") or []),
        )

    def sku_of(self, line_item_id: str) -> str:
        return next((sku for lid, sku in self.line_items if lid == line_item_id), "")

    def ordinal(self, line_item_id: str, sku: str) -> int | None:
        """Position of this line among the order's lines with the same SKU."""
        same = [lid for lid, s in self.line_items if s.casefold() == sku.casefold()]
        return same.index(line_item_id) if line_item_id in same else None


@dataclass(frozen=True)
class PlannedLine:
    kind: str
    item: str
    quantity: Decimal  # negative: a return
    unit_price: Decimal
    amount: Decimal  # credit to the customer, excluding tax (positive for a credit)
    tax: Decimal  # tax Shopify refunded on it (F&O computes its own; compared after create)
    reference: str  # Shopify refund line / shipping line / adjustment id
    disposition: str = ""
    returning_lot: str = ""
    shopify_line_item_id: str = ""
    description: str = ""
    dimensions: dict[str, str] = field(default_factory=dict)  # the returned sales line's product dimensions

    def body(self, return_number: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ReturnOrderNumber": return_number,
            "ItemNumber": self.item,
            "ReturnSalesQuantity": self.quantity,
            "SalesPrice": self.unit_price,
            "LineAmount": -self.amount,
            "LineDescription": self.description[:60],
        }
        body.update(self.dimensions)  # a product master's variant: F&O refuses a line that names only the item
        if self.returning_lot:
            body["ReturningInventoryLotId"] = self.returning_lot
        if self.disposition:
            body["ReturnDispositionCode"] = self.disposition
        return body


@dataclass
class CreditNotePlan:
    refund_id: str
    order_id: str
    return_number: str
    header: dict[str, Any]
    lines: list[PlannedLine] = field(default_factory=list)
    invoice_numbers: list[str] = field(default_factory=list)
    sales_order_number: str = ""

    @property
    def amount(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def tax(self) -> Decimal:
        return sum((line.tax for line in self.lines), ZERO)

    @property
    def total(self) -> Decimal:
        return self.amount + self.tax

    def line_bodies(self) -> list[dict[str, Any]]:
        return [line.body(self.return_number) for line in self.lines]


def check_money_settled(refund: Refund) -> None:
    pending = refund.pending_transactions
    if pending:
        raise RefundNotYet(
            "refund_transaction_pending",
            "the refund's transaction is still pending: no credit note until the money has moved",
            {"transactions": [t.id for t in pending]},
        )
    if refund.failed_only:
        raise RefundBlocked(
            "refund_transaction_failed",
            "every refund transaction failed: no money was returned",
            {"transactions": [f"{t.id}:{t.status}" for t in refund.transactions]},
        )


def _quantity_problem(lines: list[SalesLine], wanted: Decimal, what: str) -> Exception:
    invoiced = sum((s.invoiced_qty for s in lines), ZERO)
    ordered = sum((s.ordered_qty for s in lines), ZERO)
    returned = sum((s.returned_qty for s in lines), ZERO)
    item = lines[0].item
    values = {
        "lots": [s.lot for s in lines],
        "item": item,
        "wanted": str(wanted),
        "invoiced": str(invoiced),
        "already_returned": str(returned),
        "ordered": str(ordered),
        "for": what,
    }
    if invoiced < ordered and returned + wanted <= ordered:
        return RefundNotYet(
            "refund_not_invoiced",
            f"{what}: only {invoiced} of {ordered} of {item} invoiced yet ({returned} already returned)",
            values,
        )
    return RefundBlocked(
        "refund_exceeds_invoiced",
        f"{what}: returning {wanted} of {item} would exceed the invoiced {invoiced} ({returned} already returned)",
        values,
    )


def sales_lines_for(
    refund_line: RefundLine, order: InvoicedOrder, shopify: ShopifyOrderLines, freight_item: str
) -> list[SalesLine]:
    """The F&O line(s) of a Shopify line item: by ``OrderLineReference`` (order sync writes the line item id
    there, and splits a line in two when its discount is not a whole cent per unit), else by item number
    and position among the order's lines with that SKU."""
    by_id = sorted(
        (s for s in order.lines if s.shopify_line_id and s.shopify_line_id == refund_line.line_item_id),
        key=lambda s: s.sequence,
    )
    if by_id:
        return by_id
    sku = refund_line.sku or shopify.sku_of(refund_line.line_item_id)
    values = {"line_item_id": refund_line.line_item_id, "sku": sku, "sales_order": order.sales_order_number}
    if not sku:
        raise RefundBlocked(
            "refund_line_unmapped",
            f"refunded line item {refund_line.line_item_id} has no SKU to find its F&O sales line",
            values,
        )
    candidates = [s for s in order.lines_of(sku) if s.item.casefold() != freight_item.casefold()]
    if not candidates:
        raise RefundBlocked(
            "refund_line_unmapped", f"no line for item {sku} on F&O sales order {order.sales_order_number}", values
        )
    ordinal = shopify.ordinal(refund_line.line_item_id, sku)
    if ordinal is not None and ordinal < len(candidates):
        return [candidates[ordinal]]
    return [candidates[0]]


def allocate(
    quantity: Decimal, lines: list[SalesLine], capacity: dict[str, Decimal]
) -> list[tuple[SalesLine, Decimal]]:
    """Spread ``quantity`` over ``lines`` in order, each up to its capacity; [] when it does not fit."""
    out, left = [], quantity
    for line in lines:
        take = min(left, capacity.get(line.lot, ZERO))
        if take > 0:
            out.append((line, take))
            left -= take
    return out if left == 0 else []


def split_amount(amount: Decimal, parts: list[Decimal]) -> list[Decimal]:
    """``amount`` pro rata of ``parts`` to the cent; the last part takes the remainder (sum stays exact)."""
    total = sum(parts, ZERO)
    out, done = [], ZERO
    for index, part in enumerate(parts):
        share = amount - done if index == len(parts) - 1 else (amount * part / total).quantize(CENT)
        out.append(share)
        done += share
    return out


def _item_lines(
    refund_line: RefundLine, allocations: list[tuple[SalesLine, Decimal]], config: RefundConfig
) -> list[PlannedLine]:
    quantities = [q for _, q in allocations]
    amounts = split_amount(refund_line.subtotal.shop, quantities)
    taxes = split_amount(refund_line.tax.shop, quantities)
    return [
        PlannedLine(
            kind=ITEM,
            item=line.item,
            quantity=-qty,
            unit_price=(amount / qty).quantize(PRICE_QUANTUM),
            amount=amount,
            tax=tax,
            reference=refund_line.id,
            disposition=config.disposition(refund_line.restock_type),
            returning_lot=line.lot,
            shopify_line_item_id=refund_line.line_item_id,
            description=f"Shopify refund line {refund_line.id} {refund_line.title}".strip(),
            dimensions=dict(line.dimensions),
        )
        for (line, qty), amount, tax in zip(allocations, amounts, taxes, strict=True)
    ]


def _freight_line(
    shipping: ShippingRefund,
    order: InvoicedOrder,
    shopify: ShopifyOrderLines,
    config: RefundConfig,
    planned: dict[str, tuple[Decimal, Decimal]],
) -> PlannedLine:
    freight = order.lines_of(config.freight_item)
    values = {
        "shipping_refund": shipping.id,
        "amount": str(shipping.amount.shop),
        "freight_item": config.freight_item,
        "sales_order": order.sales_order_number,
    }
    if not freight:
        raise RefundBlocked(
            "refund_shipping_unmapped",
            f"shipping refund {shipping.amount.shop} but sales order "
            f"{order.sales_order_number} has no {config.freight_item} line",
            values,
        )
    line = freight[0]
    reference = f"shipping:{shipping.shipping_line_id}"
    by_ref = [s for s in freight if shipping.shipping_line_id and s.shopify_line_id == reference]
    if by_ref:
        line = by_ref[0]
    elif shipping.shipping_line_id in shopify.shipping_line_ids:
        index = shopify.shipping_line_ids.index(shipping.shipping_line_id)
        line = freight[index] if index < len(freight) else freight[0]
    qty_done, amount_done = planned.get(line.lot, (ZERO, ZERO))
    remaining_amount = line.returnable_amount - amount_done
    remaining_qty = line.returnable_qty - qty_done
    if line.invoiced_qty <= 0:
        raise _quantity_problem([line], Decimal(1), f"shipping refund {shipping.id}")
    if shipping.amount.shop > remaining_amount:
        raise RefundBlocked(
            "refund_shipping_exceeds_invoiced",
            f"shipping refund {shipping.amount.shop} exceeds the "
            f"invoiced freight still creditable ({remaining_amount})",
            {**values, "remaining": str(remaining_amount)},
        )
    unit = line.unit_price or Decimal(1)
    if shipping.amount.shop == remaining_amount:
        quantity = remaining_qty  # the last part takes what is left, so quantities add up exactly
    else:
        quantity = max(PRICE_QUANTUM, (shipping.amount.shop / unit).quantize(PRICE_QUANTUM, rounding=ROUND_DOWN))
    planned[line.lot] = (qty_done + quantity, amount_done + shipping.amount.shop)
    return PlannedLine(
        kind=FREIGHT,
        item=line.item,
        quantity=-quantity,
        unit_price=unit.quantize(PRICE_QUANTUM),
        amount=shipping.amount.shop,
        tax=shipping.tax.shop,
        reference=shipping.id,
        disposition=config.disposition_no_restock,
        returning_lot=line.lot,
        description=f"Shopify shipping refund {shipping.id} {shipping.title}".strip(),
    )


def _misc_line(item: str, reference: str, amount: Decimal, tax: Decimal, description: str) -> PlannedLine:
    return PlannedLine(
        kind=MISC,
        item=item,
        quantity=Decimal(-1),
        unit_price=amount,
        amount=amount,
        tax=tax,
        reference=reference,
        description=description,
    )


def plan_credit_note(
    refund: Refund, order: InvoicedOrder, config: RefundConfig, shopify: ShopifyOrderLines | None = None
) -> CreditNotePlan:
    """The credit note for ``refund`` against ``order``. Raises RefundNotYet / RefundBlocked."""
    shopify = shopify or ShopifyOrderLines()
    check_money_settled(refund)
    if refund.currency and order.currency and refund.currency.casefold() != order.currency.casefold():
        raise RefundBlocked(
            "refund_currency_mismatch",
            f"refund in {refund.currency} (shop money) but sales order "
            f"{order.sales_order_number} is in {order.currency}",
            {"refund_currency": refund.currency, "order_currency": order.currency},
        )
    number = config.return_number(refund.id)
    lines: list[PlannedLine] = []
    capacity = {s.lot: s.returnable_qty for s in order.lines}
    for refund_line in refund.lines:
        if refund_line.quantity == 0:
            if refund_line.subtotal.shop or refund_line.tax.shop:
                raise RefundBlocked(
                    "refund_line_zero_quantity",
                    f"refund line {refund_line.id} refunds money on quantity 0",
                    {"refund_line": refund_line.id},
                )
            continue
        candidates = sales_lines_for(refund_line, order, shopify, config.freight_item)
        allocations = allocate(Decimal(refund_line.quantity), candidates, capacity)
        if not allocations:
            already = sum((s.returnable_qty - capacity.get(s.lot, ZERO) for s in candidates), ZERO)
            raise _quantity_problem(candidates, already + refund_line.quantity, f"refund line {refund_line.id}")
        for sales_line, qty in allocations:
            capacity[sales_line.lot] -= qty
        lines.extend(_item_lines(refund_line, allocations, config))
    planned_freight: dict[str, tuple[Decimal, Decimal]] = {}
    for shipping in refund.shipping:
        if shipping.amount.shop or shipping.tax.shop:
            lines.append(_freight_line(shipping, order, shopify, config, planned_freight))
    for adjustment in refund.adjustments:
        if not (adjustment.credit.shop or adjustment.tax_credit.shop):
            continue
        if not config.misc_item:
            raise RefundBlocked(
                "refund_adjustment_unmapped",
                f"{adjustment.kind} adjustment of "
                f"{adjustment.credit.shop} (+ tax {adjustment.tax_credit.shop}) and no "
                f"D365_REFUND_MISC_ITEM configured",
                {
                    "adjustment": adjustment.id,
                    "kind": adjustment.kind,
                    "credit": str(adjustment.credit.shop),
                    "tax": str(adjustment.tax_credit.shop),
                    "reason": adjustment.reason,
                },
            )
        lines.append(
            _misc_line(
                config.misc_item,
                adjustment.id,
                adjustment.credit.shop,
                adjustment.tax_credit.shop,
                f"Shopify {adjustment.kind} {adjustment.id}",
            )
        )
    if refund.duties.shop:
        if not config.duty_item:
            raise RefundBlocked(
                "refund_duties_unmapped",
                f"refunded duties of {refund.duties.shop} and no D365_REFUND_DUTY_ITEM configured",
                {"duties": str(refund.duties.shop)},
            )
        lines.append(
            _misc_line(
                config.duty_item,
                f"duties-{refund.id}",
                refund.duties.shop,
                ZERO,
                f"Shopify refunded duties {refund.id}",
            )
        )
    header: dict[str, Any] = {
        "ReturnOrderNumber": number,
        "RMANumber": number,
        "CustomerAccountNumber": order.customer_account,
        "InvoiceCustomerAccountNumber": order.invoice_account or order.customer_account,
        "CurrencyCode": order.currency or refund.currency,
        "CustomerRequisitionNumber": refund.id,
        "CustomersOrderReference": order.customers_order_reference or order.sales_order_number,
    }
    if config.return_reason_code:
        header["CustomerReturnReasonCode"] = config.return_reason_code
    plan = CreditNotePlan(
        refund_id=refund.id,
        order_id=refund.order_id,
        return_number=number,
        header=header,
        lines=lines,
        sales_order_number=order.sales_order_number,
        invoice_numbers=sorted(
            {n for s in order.lines if s.lot in _lots(lines) for n in s.invoice_numbers} or set(order.invoice_numbers)
        ),
    )
    # Every part of the refund became a line or raised: the plan equals the refund to the cent.
    if plan.total.quantize(CENT) != refund.total.quantize(CENT):
        raise RefundBlocked(
            "refund_total_mismatch",
            "the credit note lines do not add up to the refund",
            {"refund_total": str(refund.total), "credit_note_total": str(plan.total)},
        )
    return plan


def _lots(lines: list[PlannedLine]) -> set[str]:
    return {line.returning_lot for line in lines if line.returning_lot}
