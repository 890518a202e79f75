"""The order link written by order sync: which Shopify order an F&O sales order is, and which Shopify
line item each F&O line (``InventoryLotId``) came from.

This is the only place the fulfillment sync reads it: order sync's record (``integration.orders.records``,
Table ``orders``) found by ``OrderRecords.by_sales_order``, whose ``line_lots`` maps each Shopify line
item id to its F&O lot id(s) (a line split for exact discounts has two lots, both the same line item).
"""

from __future__ import annotations

from dataclasses import dataclass

from integration.fulfillment.model import legacy
from integration.orders.records import OrderRecords
from shared.storage import Storage


@dataclass(frozen=True)
class OrderLink:
    shopify_order_id: str
    sales_order: str
    lot_to_line_item: dict[str, str]


def find_by_sales_order(storage: Storage, sales_order: str) -> OrderLink | None:
    """The Shopify order behind an F&O sales order, or None when order sync never created it."""
    record = OrderRecords(storage).by_sales_order(sales_order)
    if record is None or not record.sales_order_number:
        return None
    lots = {str(lot): legacy(line_item) for line_item, lot_ids in record.line_lots.items() for lot in lot_ids if lot}
    return OrderLink(legacy(record.shopify_order_id), record.sales_order_number, lots)
