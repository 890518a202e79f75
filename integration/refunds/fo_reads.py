"""Everything a refund reads from F&O, in ONE ``$batch`` of GET parts (one HTTP request).

The parts are built from what is known before any read: the sales order number the order-sync record
(Table ``orders``) names, and the lots of its lines (``line_lots``). So the sales order header, its
lines, its invoices (``SalesInvoiceHeadersV2`` with ``SalesInvoiceLinesV2`` expanded: invoice lines
carry no sales order number of their own) and every earlier return line pointing at one of its lots go
in the same batch. On a retry (``own=True``), this refund's own return order, its lines and its posted
credit note go in it too; a first attempt does not look for them.

Every part is a collection read (``$filter``): one that matches nothing answers ``200`` with an empty
``value``, never a ``404``, because F&O stops a batch at its first failed part.

Dependent reads, each one more request and each rare:

- the order record is missing or names no sales order (the order was never synced or its record is
  gone): the header is found by ``CustomerRequisitionNumber`` = Shopify order id first (its part expands
  ``SalesOrderLines``, so the lines and their lots come with it), then invoices and returns in one more
  batch;
- the record names a sales order F&O does not have: the same lookup by Shopify order id, one more;
- a sales line whose lot the record does not list (a line added in F&O after sync): its earlier
  returns are read after the batch;
- server paging (``@odata.nextLink``, at 10,000 rows) is followed with ordinary GETs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from integration.clients.d365 import BatchRead, D365Client, ReadResult, odata_literal
from integration.orders import sales_orders
from integration.orders.records import IN_FO, OrderRecords
from integration.refunds.invoiced import InvoicedOrder
from integration.refunds.lookup import (
    INVOICE_LINE_SET,
    INVOICE_LINES,
    INVOICE_SET,
    ORDER_LINES,
    SALES_LINE_SET,
    any_of,
    invoiced_order,
)
from integration.refunds.mapping import HEADER_SET, LINE_SET
from shared.storage import Storage


@dataclass
class CreditNote:
    """This refund's own return order as F&O has it (``header`` None: it does not exist)."""

    header: dict[str, Any] | None = None
    lines: list[dict[str, Any]] = field(default_factory=list)
    invoice: str = ""  # the posted credit note's invoice number, once F&O users invoiced the return


@dataclass
class RefundSide:
    order: InvoicedOrder | None
    credit_note: CreditNote | None = None  # None: not read (a first attempt)


def own_reads(d365: D365Client, return_number: str) -> list[BatchRead]:
    """This refund's return order, its lines and its posted credit note: three GET parts."""
    number = odata_literal(return_number)
    return [
        BatchRead(HEADER_SET, filter=d365.company_filter(f"ReturnOrderNumber eq {number}"), top=1),
        BatchRead(LINE_SET, filter=d365.company_filter(f"ReturnOrderNumber eq {number}")),
        BatchRead(
            INVOICE_SET,
            filter=d365.company_filter(f"SalesOrderNumber eq {number}"),
            select=["InvoiceNumber"],
            top=1,
        ),
    ]


def credit_note_of(results: list[ReadResult]) -> CreditNote:
    """The answers to :func:`own_reads` (a failed part raises its error)."""
    headers, lines, invoices = (r.rows() for r in results)
    if not headers:
        return CreditNote()
    lines.sort(key=lambda r: int(r.get("LineCreationSequenceNumber") or 0))
    return CreditNote(headers[0], lines, str(invoices[0].get("InvoiceNumber", "")) if invoices else "")


def _order_reads(d365: D365Client, number: str, lots: list[str]) -> list[BatchRead]:
    """The sales order's invoices with their lines, and earlier returns of ``lots``."""
    reads = [
        BatchRead(
            INVOICE_SET,
            filter=d365.company_filter(f"SalesOrderNumber eq {odata_literal(number)}"),
            expand=INVOICE_LINES,
        )
    ]
    return reads + [BatchRead(LINE_SET, filter=d365.company_filter(c)) for c in any_of("ReturningInventoryLotId", lots)]


def _header_read(d365: D365Client, number: str, shopify_order_id: str) -> BatchRead:
    """The sales order header with its lines expanded, by number or else by Shopify order id."""
    if number:
        condition = f"SalesOrderNumber eq {odata_literal(number)}"
    else:
        condition = f"CustomerRequisitionNumber eq {odata_literal(shopify_order_id)}"
    return BatchRead(sales_orders.ORDER_SET, filter=d365.company_filter(condition), expand=ORDER_LINES, top=1)


def _known(storage: Storage | None, shopify_order_id: str) -> tuple[str, list[str]]:
    """The sales order number and line lots order sync recorded ("" and [] when it has none)."""
    record = OrderRecords(storage).get(shopify_order_id) if storage is not None else None
    if record is None or not record.sales_order_number or record.status not in IN_FO:
        return "", []
    lots = [lot for lot_ids in record.line_lots.values() for lot in lot_ids if lot]
    return record.sales_order_number, list(dict.fromkeys(lots))


def _returns(d365: D365Client, lots: list[str]) -> list[dict[str, Any]]:
    reads = [BatchRead(LINE_SET, filter=d365.company_filter(c)) for c in any_of("ReturningInventoryLotId", lots)]
    return [row for result in d365.read_batch(reads) for row in result.rows()] if reads else []


def _with_invoice_lines(d365: D365Client, invoices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The invoice headers with their lines: expanded by F&O in the batch; read on their own (one more
    request) only for headers a service answered without the expansion."""
    bare = [r for r in invoices if INVOICE_LINES not in r]
    if not bare:
        return invoices
    lines: list[dict[str, Any]] = []
    for clause in any_of("InvoiceNumber", [str(r["InvoiceNumber"]) for r in bare]):
        lines.extend(d365.query(INVOICE_LINE_SET, filter=d365.company_filter(clause)))
    for row in bare:
        row[INVOICE_LINES] = [line for line in lines if line.get("InvoiceNumber") == row["InvoiceNumber"]]
    return invoices


def read_refund_side(
    d365: D365Client,
    shopify_order_id: str,
    return_number: str = "",
    storage: Storage | None = None,
    own: bool = False,
) -> RefundSide:
    """The sales order (None when F&O has none for the Shopify order) and, when ``own``, this refund's
    own return order; one ``$batch`` when the order record names the sales order and its lots."""
    number, lots = _known(storage, shopify_order_id)
    mine = own_reads(d365, return_number) if own else []
    order_reads = _order_reads(d365, number, lots) if number else []
    results = d365.read_batch([_header_read(d365, number, shopify_order_id), *order_reads, *mine])
    headers, order_results = results[0].rows(), results[1 : 1 + len(order_reads)]
    credit_note = credit_note_of(results[1 + len(order_reads) :]) if own else None
    if not headers and number:  # the record names an order F&O does not have: by the Shopify order id
        number = ""
        headers = d365.read_batch([_header_read(d365, "", shopify_order_id)])[0].rows()
    if not headers:
        return RefundSide(None, credit_note)
    header = dict(headers[0])
    if ORDER_LINES not in header:  # a service that ignored $expand (F&O honours it): the lines on their own
        filter = d365.company_filter(f"SalesOrderNumber eq {odata_literal(str(header['SalesOrderNumber']))}")
        header[ORDER_LINES] = d365.query(SALES_LINE_SET, filter=filter)
    line_rows: list[dict[str, Any]] = list(header.pop(ORDER_LINES, None) or [])
    line_lots = [str(r.get("InventoryLotId", "")) for r in line_rows]
    if not number:  # found by the Shopify order id: its invoices and returns need its number and lots
        number, lots = str(header["SalesOrderNumber"]), line_lots
        order_results = d365.read_batch(_order_reads(d365, number, lots))
    invoice_rows = _with_invoice_lines(d365, order_results[0].rows())
    returned = [row for result in order_results[1:] for row in result.rows()]
    # Lines the order record does not list (added in F&O after sync): their earlier returns too.
    returned += _returns(d365, [lot for lot in line_lots if lot and lot not in lots])
    order = invoiced_order(header, line_rows, invoice_rows, returned, return_number)
    return RefundSide(order, credit_note)
