"""Hand-built F&O orders and Shopify refunds for the mapping tests."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from integration.refunds.invoiced import Invoice, InvoicedOrder, SalesLine


def sales_line(
    lot: str,
    item: str,
    seq: int,
    qty: str = "1",
    amount: str = "10.00",
    invoiced: str | None = None,
    returned: str = "0",
    returned_amount: str = "0",
    shopify_id: str = "",
) -> SalesLine:
    inv = Decimal(qty if invoiced is None else invoiced)
    ordered = Decimal(qty)
    return SalesLine(
        lot=lot,
        item=item,
        sequence=seq,
        ordered_qty=ordered,
        line_amount=Decimal(amount),
        invoiced_qty=inv,
        invoiced_amount=(Decimal(amount) * inv / ordered) if ordered else Decimal(0),
        returned_qty=Decimal(returned),
        returned_amount=Decimal(returned_amount),
        shopify_line_id=shopify_id,
        invoice_numbers=["CIV-1"] if inv else [],
        warehouse="11",
    )


def order(*lines: SalesLine, currency: str = "USD", invoiced: bool = True) -> InvoicedOrder:
    return InvoicedOrder(
        sales_order_number="SH1001",
        customer_account="SC42",
        invoice_account="SC42",
        currency=currency,
        status="Invoiced" if invoiced else "Backorder",
        customers_order_reference="#1001",
        lines=list(lines),
        invoices=[Invoice("CIV-1", "2025-01-01")] if invoiced else [],
    )


def money(amount: str, currency: str = "USD", presentment: str | None = None) -> dict[str, Any]:
    return {
        "shop_money": {"amount": amount, "currency_code": currency},
        "presentment_money": {"amount": presentment or amount, "currency_code": currency},
    }


def refund_line(
    line_item_id: int,
    qty: int,
    subtotal: str,
    tax: str,
    sku: str = "",
    restock: str = "return",
    line_id: int | None = None,
) -> dict[str, Any]:
    return {
        "id": line_id or line_item_id + 1000,
        "line_item_id": line_item_id,
        "quantity": qty,
        "restock_type": restock,
        "subtotal_set": money(subtotal),
        "total_tax_set": money(tax),
        "line_item": {"id": line_item_id, "sku": sku, "quantity": qty},
    }


def refund(
    *lines: dict[str, Any],
    shipping: Sequence[tuple[str, str]] = (),
    refund_id: int = 777,
    adjustments: Sequence[dict[str, Any]] = (),
    status: str = "success",
) -> dict[str, Any]:
    return {
        "id": refund_id,
        "order_id": 5001,
        "refund_line_items": list(lines),
        "refund_shipping_lines": [
            {"id": 900 + i, "shipping_line_id": 300 + i, "subtotal_amount_set": money(a), "tax_amount_set": money(t)}
            for i, (a, t) in enumerate(shipping)
        ],
        "order_adjustments": list(adjustments),
        "transactions": [{"id": 1, "kind": "refund", "status": status, "amount": "1.00", "currency": "USD"}],
    }
