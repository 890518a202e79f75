"""The F&O side a refund is credited against: the sales order, its lines and what was invoiced.

Plain values, built by ``lookup.py`` from OData reads (or from the order-sync record), consumed by
the pure mapping in ``mapping.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

ZERO = Decimal(0)


@dataclass
class SalesLine:
    lot: str  # InventoryLotId: what a return line's ReturningInventoryLotId points to
    item: str
    sequence: int  # LineCreationSequenceNumber (Shopify line order, freight last)
    ordered_qty: Decimal
    line_amount: Decimal  # net, as ordered
    invoiced_qty: Decimal = ZERO
    invoiced_amount: Decimal = ZERO
    returned_qty: Decimal = ZERO  # already on other return orders (positive)
    returned_amount: Decimal = ZERO  # credit already on other return orders (positive)
    site: str = ""
    warehouse: str = ""
    shopify_line_id: str = ""  # known when the order-sync record maps line item id -> lot
    invoice_numbers: list[str] = field(default_factory=list)
    status: str = ""
    # A product master's variant: ProductColorId, ... as on the sales line (a return line must name them too).
    dimensions: dict[str, str] = field(default_factory=dict)

    @property
    def unit_price(self) -> Decimal:
        return self.line_amount / self.ordered_qty if self.ordered_qty else self.line_amount

    @property
    def returnable_qty(self) -> Decimal:
        return self.invoiced_qty - self.returned_qty

    @property
    def returnable_amount(self) -> Decimal:
        return self.invoiced_amount - self.returned_amount


@dataclass
class Invoice:
    number: str
    date: str
    total: Decimal = ZERO
    tax: Decimal = ZERO


@dataclass
class InvoicedOrder:
    sales_order_number: str
    customer_account: str
    invoice_account: str
    currency: str
    status: str  # SalesOrderStatus: Backorder (open), Delivered, Invoiced, Canceled
    customers_order_reference: str = ""
    lines: list[SalesLine] = field(default_factory=list)
    invoices: list[Invoice] = field(default_factory=list)

    @property
    def invoice_numbers(self) -> list[str]:
        return [i.number for i in self.invoices]

    @property
    def nothing_invoiced(self) -> bool:
        return not self.invoices and all(line.invoiced_qty == 0 for line in self.lines)

    def lines_of(self, item: str) -> list[SalesLine]:
        folded = item.casefold()
        return sorted((line for line in self.lines if line.item.casefold() == folded), key=lambda x: x.sequence)
