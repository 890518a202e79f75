"""The F&O sales order of a Shopify order: read by its number, or found by the Shopify order id.

Order sync writes the Shopify order id into ``CustomerRequisitionNumber`` (``salesorder.py``), so
that field finds the sales order when the number is not known (a create whose answer was lost, a
refund of an order whose record is gone). The order flow and the refund flow both look up here.
"""

from __future__ import annotations

from typing import Any

from integration.clients.d365 import BatchRead, D365Client, D365NotFound, odata_literal

ORDER_SET = "SalesOrderHeadersV2"
HEADER_SELECT = [
    "SalesOrderNumber",
    "CustomerRequisitionNumber",
    "SalesOrderStatus",
    "SalesOrderProcessingStatus",
    "OrderTotalAmount",
    "OrderTotalTaxAmount",
    "CurrencyCode",
]
LINES_EXPAND = (
    "SalesOrderLines($select=InventoryLotId,OrderLineReference,ItemNumber,OrderedSalesQuantity,SalesOrderLineStatus)"
)


def read_request(number: str) -> BatchRead:
    """The header with its lines, as a GET part of a ``$batch`` (read back after a changeset)."""
    return BatchRead(ORDER_SET, {"SalesOrderNumber": number}, select=HEADER_SELECT, expand=LINES_EXPAND)


def read(d365: D365Client, number: str) -> dict[str, Any]:
    """The header with its lines; :class:`D365NotFound` when F&O has no such order."""
    return dict(d365.get(ORDER_SET, {"SalesOrderNumber": number}, select=HEADER_SELECT, expand=LINES_EXPAND))


def by_shopify_id(
    d365: D365Client, shopify_order_id: str | int, select: list[str] | None = None, expand: str | None = None
) -> dict[str, Any] | None:
    """The sales order whose ``CustomerRequisitionNumber`` is the Shopify order id (this legal entity)."""
    rows = d365.get(
        ORDER_SET,
        filter=d365.company_filter(f"CustomerRequisitionNumber eq {odata_literal(str(shopify_order_id))}"),
        select=select,
        expand=expand,
        top=1,
    )
    return dict(rows[0]) if rows else None


def find_existing(d365: D365Client, number: str, shopify_order_id: str | int) -> dict[str, Any] | None:
    """The order under its deterministic number, else under the Shopify id (header and lines)."""
    try:
        return read(d365, number)
    except D365NotFound:
        return by_shopify_id(d365, shopify_order_id, HEADER_SELECT, LINES_EXPAND)
