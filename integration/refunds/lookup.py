"""The F&O side of a refund as plain values: the sales order of a Shopify order, its lines, its posted
invoices (``SalesInvoiceHeadersV2`` with their ``SalesInvoiceLinesV2``) and what earlier return orders
already credited (:func:`invoiced_order`, from the rows ``fo_reads.py`` reads in one ``$batch``), and the
single reads other flows use (payments: :func:`find_sales_order`, :func:`credit_note_invoice`).

The sales order is the one the order-sync record names, else the one F&O finds by the Shopify order id
(``integration/orders/sales_orders.py``, the lookup the order flow uses too).
Invoice lines have no ``InventoryLotId``: they are matched to sales lines by item number and
``LineCreationSequenceNumber`` (which F&O copies from the sales line).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from integration.clients.d365 import D365Client, D365NotFound, odata_literal
from integration.orders import sales_orders
from integration.orders.records import IN_FO, OrderRecords
from integration.refunds.invoiced import Invoice, InvoicedOrder, SalesLine
from integration.refunds.mapping import HEADER_SET, LINE_SET
from integration.refunds.model import decimal_of
from integration.sku_registry import DIMENSIONS
from shared.storage import Storage

ORDER_LINES = "SalesOrderLines"  # SalesOrderHeadersV2's navigation to its lines (reference d365.md)
INVOICE_SET = "SalesInvoiceHeadersV2"
INVOICE_LINES = "SalesInvoiceLinesV2"  # its navigation to SalesInvoiceV2Lines (real $metadata)
INVOICE_LINE_SET = "SalesInvoiceV2Lines"  # the same lines as an entity set (read alone only without $expand)
SALES_LINE_SET = "SalesOrderLines"  # the entity set (and SalesOrderHeadersV2's navigation) of sales lines
OR_CHUNK = 20  # keep $filter URLs short


def any_of(field: str, values: Iterable[str]) -> Iterator[str]:
    values = list(dict.fromkeys(values))
    for start in range(0, len(values), OR_CHUNK):
        yield " or ".join(f"{field} eq {odata_literal(v)}" for v in values[start : start + OR_CHUNK])


def find_sales_order(d365: D365Client, shopify_order_id: str, storage: Storage | None = None) -> dict[str, Any] | None:
    """The F&O sales order header of a Shopify order, or None when order sync has not created it.

    The order-sync record (Table ``orders``) names the sales order when it has one; otherwise (or when
    the record is missing) F&O is asked by ``CustomerRequisitionNumber`` = Shopify order id."""
    if storage is not None:
        record = OrderRecords(storage).get(shopify_order_id)
        if record is not None and record.sales_order_number and record.status in IN_FO:
            try:
                return d365.get(sales_orders.ORDER_SET, {"SalesOrderNumber": record.sales_order_number})
            except D365NotFound:
                pass
    return sales_orders.by_shopify_id(d365, shopify_order_id)


def return_order(d365: D365Client, number: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """A return order header and its lines (None, [] when it does not exist)."""
    try:
        header = d365.get(HEADER_SET, {"ReturnOrderNumber": number})
    except D365NotFound:
        return None, []
    lines = list(d365.query(LINE_SET, filter=d365.company_filter(f"ReturnOrderNumber eq {odata_literal(number)}")))
    return header, sorted(lines, key=lambda r: int(r.get("LineCreationSequenceNumber") or 0))


def credit_note_invoice(d365: D365Client, return_number: str) -> str:
    """The posted credit note's invoice number once F&O users have invoiced the return order."""
    row = d365.find(
        INVOICE_SET,
        d365.company_filter(f"SalesOrderNumber eq {odata_literal(return_number)}"),
        select=["InvoiceNumber"],
    )
    return str(row.get("InvoiceNumber", "")) if row else ""


def invoiced_order(
    header: dict[str, Any],
    raw_lines: list[dict[str, Any]],
    invoice_rows: list[dict[str, Any]],
    returned: list[dict[str, Any]],
    own_return_number: str = "",
) -> InvoicedOrder:
    """The sales order as the refund mapping sees it, from F&O's rows: the header, its lines, its
    invoice headers (each with its ``SalesInvoiceLinesV2`` expanded) and every return line that
    points at one of its lots."""
    lines = [
        SalesLine(
            lot=str(r["InventoryLotId"]),
            item=str(r.get("ItemNumber", "")),
            sequence=int(r.get("LineCreationSequenceNumber") or 0),
            ordered_qty=decimal_of(r.get("OrderedSalesQuantity")),
            line_amount=decimal_of(r.get("LineAmount")),
            site=str(r.get("ShippingSiteId", "")),
            warehouse=str(r.get("ShippingWarehouseId", "")),
            shopify_line_id=str(r.get("OrderLineReference", "")),
            status=str(r.get("SalesOrderLineStatus", "")),
            dimensions={d: str(r[d]) for d in DIMENSIONS if r.get(d)},
        )
        for r in raw_lines
        if r.get("SalesOrderLineStatus") != "Canceled"
    ]
    lines.sort(key=lambda s: s.sequence)
    invoices = [
        Invoice(
            str(r["InvoiceNumber"]),
            str(r.get("InvoiceDate", "")),
            decimal_of(r.get("TotalInvoiceAmount")),
            decimal_of(r.get("TotalTaxAmount")),
        )
        for r in invoice_rows
    ]
    invoices.sort(key=lambda i: (i.date, i.number))
    invoice_lines = [
        {"InvoiceNumber": r.get("InvoiceNumber"), "InvoiceDate": r.get("InvoiceDate"), **line}
        for r in invoice_rows
        for line in r.get(INVOICE_LINES) or []
    ]
    _apply_invoice_lines(lines, invoice_lines)
    _apply_returns(lines, returned, own_return_number)
    return InvoicedOrder(
        sales_order_number=str(header["SalesOrderNumber"]),
        customer_account=str(header.get("OrderingCustomerAccountNumber", "")),
        invoice_account=str(header.get("InvoiceCustomerAccountNumber", "")),
        currency=str(header.get("CurrencyCode", "")),
        status=str(header.get("SalesOrderStatus", "")),
        customers_order_reference=str(header.get("CustomersOrderReference", "")),
        lines=lines,
        invoices=invoices,
    )


def _apply_invoice_lines(lines: list[SalesLine], invoice_lines: list[dict[str, Any]]) -> None:
    by_key = {(s.item.casefold(), s.sequence): s for s in lines}
    for row in sorted(
        invoice_lines,
        key=lambda r: (
            str(r.get("InvoiceDate", "")),
            str(r.get("InvoiceNumber", "")),
            int(r.get("LineCreationSequenceNumber") or 0),
        ),
    ):
        item = str(row.get("ProductNumber", "")).casefold()
        qty = decimal_of(row.get("InvoicedQuantity"))
        line = by_key.get((item, int(row.get("LineCreationSequenceNumber") or 0)))
        if line is None:  # a deployment whose invoice lines do not carry the sales line's sequence
            line = next((s for s in lines if s.item.casefold() == item and s.invoiced_qty + qty <= s.ordered_qty), None)
        if line is None:
            continue
        line.invoiced_qty += qty
        line.invoiced_amount += decimal_of(row.get("LineAmount"))
        number = str(row.get("InvoiceNumber", ""))
        if number and number not in line.invoice_numbers:
            line.invoice_numbers.append(number)


def _apply_returns(lines: list[SalesLine], returned: list[dict[str, Any]], own_return_number: str) -> None:
    by_lot = {s.lot: s for s in lines}
    for row in returned:
        if row.get("ReturnStatus") == "Canceled":
            continue
        if own_return_number and str(row.get("ReturnOrderNumber", "")).casefold() == own_return_number.casefold():
            continue  # this refund's own credit note (a retry after "created but response lost")
        line = by_lot.get(str(row.get("ReturningInventoryLotId", "")))
        if line is not None:
            line.returned_qty += -decimal_of(row.get("ReturnSalesQuantity"))
            line.returned_amount += -decimal_of(row.get("LineAmount"))
