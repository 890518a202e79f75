"""Posted documents the operator API creates the way F&O users would: invoices, packing slips with
tracking numbers, credit notes (invoiced return orders), cancellations, and on-hand.

Invoice lines carry the sales line's ``LineCreationSequenceNumber`` (SalesInvoiceV2Lines has no
InventoryLotId field), so a client can match invoice lines to order lines.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sandbox.emulators.d365 import returns, sales
from sandbox.emulators.d365.domain import Env, decimal, money, now, today
from sandbox.emulators.d365.store import Row


class DocumentError(ValueError):
    """A posting the emulated F&O would refuse (answered 409 by the operator API)."""


def _pick(lines: list[Row], wanted: list[dict[str, Any]] | None, done_field: str) -> list[tuple[Row, Decimal]]:
    """(line, quantity) to post: all remaining quantities, or the requested lot ids/quantities."""
    remaining = {id(r): decimal(r, "OrderedSalesQuantity") - decimal(r, done_field) for r in lines}
    if not wanted:
        return [(r, remaining[id(r)]) for r in lines if remaining[id(r)] > 0]
    by_lot = {str(r["InventoryLotId"]).casefold(): r for r in lines}
    out = []
    for item in wanted:
        line = by_lot.get(str(item.get("InventoryLotId", "")).casefold())
        if line is None:
            raise DocumentError(f"lot {item.get('InventoryLotId')!r} is not a line of this order")
        qty = Decimal(str(item.get("Quantity", remaining[id(line)])))
        if qty <= 0 or qty > remaining[id(line)]:
            raise DocumentError(
                f"quantity {qty} for lot {line['InventoryLotId']} must be between 0 and the "
                f"remaining {remaining[id(line)]}"
            )
        out.append((line, qty))
    return out


def _open_order(env: Env, company: str, number: str) -> tuple[Row, list[Row]]:
    header = env.sales_order(company, number)
    if header is None:
        raise DocumentError(f"sales order {number!r} not found in company {company!r}")
    if header.get("SalesOrderStatus") == "Canceled":
        raise DocumentError(f"sales order {number} is canceled")
    lines = [r for r in env.order_lines(company, number) if r.get("SalesOrderLineStatus") != "Canceled"]
    return header, lines


def _refresh_status(env: Env, header: Row) -> None:
    lines = env.order_lines(header["dataAreaId"], header["SalesOrderNumber"])
    for line in lines:
        status = sales.line_status(line) if line.get("SalesOrderLineStatus") != "Canceled" else "Canceled"
        if line.get("SalesOrderLineStatus") != status:
            env.store.update("SalesLine", line, {"SalesOrderLineStatus": status})
    status, processing = sales.order_status(lines)
    env.store.update("SalesTable", header, {"SalesOrderStatus": status, "SalesOrderProcessingStatus": processing})


def invoice_sales_order(env: Env, company: str, number: str, wanted: list[dict[str, Any]] | None = None) -> Row:
    header, lines = _open_order(env, company, number)
    picks = _pick(lines, wanted, "_Invoiced")
    if not picks:
        raise DocumentError(f"nothing left to invoice on sales order {number}")
    included = header.get("ArePricesIncludingSalesTax") == "Yes"
    invoice_lines = []
    for line, qty in picks:
        ordered = decimal(line, "OrderedSalesQuantity")
        done = decimal(line, "_Invoiced")
        # Proportional line amount; the last invoice takes the remainder so the sum is exact.
        amount = (
            decimal(line, "LineAmount") - decimal(line, "_InvoicedAmount")
            if done + qty >= ordered
            else money(decimal(line, "LineAmount") * qty / ordered)
        )
        portion = {**line, "LineAmount": amount}
        tax = sales.line_tax(env, portion, included)
        gross = money(sales.line_gross(line) * qty / ordered)
        invoice_lines.append((line, qty, amount, tax, gross - amount))
        # Invoicing what was never packing-slipped delivers it too (F&O posts the physical part).
        undelivered = done + qty - decimal(line, "_Delivered")
        item = env.item(company, line["ItemNumber"]) or {}
        if undelivered > 0 and env.is_stocked(item):
            adjust_on_hand(
                env,
                company,
                line["ItemNumber"],
                line.get("ShippingSiteId", ""),
                line.get("ShippingWarehouseId", ""),
                -undelivered,
            )
        env.store.update(
            "SalesLine",
            line,
            {
                "_Invoiced": done + qty,
                "_InvoicedAmount": decimal(line, "_InvoicedAmount") + amount,
                "_Delivered": max(decimal(line, "_Delivered"), done + qty),
            },
        )
    doc = _post_invoice(env, header, "InvoiceNumber", invoice_lines, included, header["SalesOrderNumber"])
    _refresh_status(env, header)
    return doc


def _post_invoice(
    env: Env,
    header: Row,
    sequence: str,
    lines: list[tuple[Row, Decimal, Decimal, Decimal, Decimal]],
    included: bool,
    order_number: str,
) -> Row:
    company = header["dataAreaId"]
    number = env.store.next_number(
        company, sequence, lambda n: env.store.find("CustInvoiceJour", dataAreaId=company, InvoiceNumber=n) is not None
    )
    date = today()
    amount = sum((a for _, _, a, _, _ in lines), Decimal(0))
    tax = sum((t for _, _, _, t, _ in lines), Decimal(0))
    invoice = {
        "dataAreaId": company,
        "InvoiceNumber": number,
        "InvoiceDate": date,
        "LedgerVoucher": number,
        "SalesOrderNumber": order_number,
        "CurrencyCode": header.get("CurrencyCode", ""),
        "InvoiceCustomerAccountNumber": header.get("InvoiceCustomerAccountNumber", ""),
        "CustomersOrderReference": header.get("CustomersOrderReference", ""),
        "DeliveryModeCode": header.get("DeliveryModeCode", ""),
        "PaymentTermsName": header.get("PaymentTermsName", ""),
        "TotalInvoiceAmount": money(amount if included else amount + tax),
        "TotalTaxAmount": money(tax),
        "TotalChargeAmount": Decimal("0.00"),
        "TotalDiscountAmount": money(sum((d for *_, d in lines), Decimal(0))),
        "InvoiceHeaderTaxAmount": Decimal(0),
        "InvoiceAddressCity": header.get("InvoiceAddressCity", ""),
        "InvoiceAddressCountryRegionId": header.get("InvoiceAddressCountryRegionId", ""),
    }
    env.store.insert("CustInvoiceJour", invoice)
    for line, qty, line_amount, line_tax, discount in lines:
        item = env.item(company, line.get("ItemNumber", "")) or {}
        env.store.insert(
            "CustInvoiceTrans",
            {
                "dataAreaId": company,
                "InvoiceNumber": number,
                "InvoiceDate": date,
                "LedgerVoucher": number,
                "LineCreationSequenceNumber": int(line.get("LineCreationSequenceNumber", 0)),
                "ProductNumber": line.get("ItemNumber", ""),
                "ProductName": item.get("SearchName", ""),
                "ProductDescription": line.get("LineDescription", ""),
                "InvoicedQuantity": qty,
                "SalesPrice": decimal(line, "SalesPrice"),
                "LineAmount": line_amount,
                "LineTotalTaxAmount": line_tax,
                "LineTotalDiscountAmount": discount,
                "LineTotalChargeAmount": Decimal(0),
                "InventorySiteId": line.get("ShippingSiteId", line.get("ReturnSiteId", "")),
                "InventoryWarehouseId": line.get("ShippingWarehouseId", line.get("ReturnWarehouseId", "")),
                "SalesUnitSymbol": line.get("SalesUnitSymbol", ""),
                "CurrencyCode": header.get("CurrencyCode", ""),
                "_InventoryLotId": line.get("InventoryLotId", line.get("ReturnInventoryLotId", "")),
            },
        )
    return invoice


def post_packing_slip(
    env: Env,
    company: str,
    number: str,
    wanted: list[dict[str, Any]] | None,
    tracking_numbers: list[str],
    tracking_url: str = "",
) -> Row:
    header, lines = _open_order(env, company, number)
    picks = _pick(lines, wanted, "_Delivered")
    if not picks:
        raise DocumentError(f"nothing left to deliver on sales order {number}")
    for line, qty in picks:
        item = env.item(company, line["ItemNumber"]) or {}
        if env.is_stocked(item) and not env.config.allow_negative_inventory:
            onhand = on_hand_row(
                env, company, line["ItemNumber"], line.get("ShippingSiteId", ""), line.get("ShippingWarehouseId", "")
            )
            if onhand is None or decimal(onhand, "OnHandQuantity") < qty:
                raise DocumentError(
                    f"Inventory on-hand of item {line['ItemNumber']} in warehouse "
                    f"{line.get('ShippingWarehouseId')} is insufficient for {qty}"
                )
    slip = env.store.next_number(
        company,
        "PackingSlipId",
        lambda n: env.store.find("CustPackingSlipJour", dataAreaId=company, PackingSlipId=n) is not None,
    )
    date = today()
    journal = {
        "dataAreaId": company,
        "SalesId": number,
        "PackingSlipId": slip,
        "DeliveryDate": date,
        "DocumentDate": date,
        "CreatedOn": now(),
        "DlvMode": header.get("DeliveryModeCode", ""),
        "OrderAccount": header.get("OrderingCustomerAccountNumber", ""),
        "InvoiceAccount": header.get("InvoiceCustomerAccountNumber", ""),
        "CustomerRef": header.get("CustomersOrderReference", ""),
        "DeliveryName": header.get("DeliveryAddressName", ""),
        "SalesType": "Sales",
        "Qty": sum((q for _, q in picks), Decimal(0)),
        "LanguageId": header.get("LanguageId", ""),
    }
    journal["SourceDocumentHeader"] = env.store._rec_id + 1  # the journal's own RecId
    env.store.insert("CustPackingSlipJour", journal)
    for line, qty in picks:
        delivered = decimal(line, "_Delivered") + qty
        item = env.item(company, line["ItemNumber"]) or {}
        trans = {
            "dataAreaId": company,
            "SourceDocumentLine": env.store._rec_id + 1,
            "SalesId": number,
            "PackingSlipId": slip,
            "DeliveryDate": date,
            "LineNum": decimal(line, "LineNumber"),
            "ItemId": line["ItemNumber"],
            "ExternalItemId": line.get("ExternalItemNumber", ""),
            "Name": line.get("LineDescription", ""),
            "Qty": qty,
            "inventQty": qty,
            "Ordered": decimal(line, "OrderedSalesQuantity"),
            "Remain": decimal(line, "OrderedSalesQuantity") - delivered,
            "RemainInvent": decimal(line, "OrderedSalesQuantity") - delivered,
            "SalesUnit": line.get("SalesUnitSymbol", ""),
            "PriceUnit": decimal(line, "SalesPriceQuantity"),
            "CurrencyCode": line.get("CurrencyCode", ""),
            "InventTransId": line["InventoryLotId"],
            "AmountCur": money(
                decimal(line, "LineAmount") * qty / (decimal(line, "OrderedSalesQuantity") or Decimal(1))
            ),
            "StockedProduct": "Yes" if env.is_stocked(item) else "No",
            "DeliveryType": "None",
            "CreatedOn": now(),
            "SalesLineShippingDateRequested": line.get("RequestedShippingDate", date),
            "SalesLineShippingDateConfirmed": line.get("ConfirmedShippingDate", date),
        }
        trans["ValueMST"] = trans["AmountCur"]
        env.store.insert("CustPackingSlipTrans", trans)
        env.store.update("SalesLine", line, {"_Delivered": delivered})
        if env.is_stocked(item):
            adjust_on_hand(
                env,
                company,
                line["ItemNumber"],
                line.get("ShippingSiteId", ""),
                line.get("ShippingWarehouseId", ""),
                -qty,
            )
    for tracking in tracking_numbers:
        env.store.insert(
            "PackingSlipTracking",
            {
                "dataAreaId": company,
                "SalesOrderNumber": number,
                "PackingSlipNumber": slip,
                "DeliveryDate": date,
                "TrackingNumber": tracking,
                "TrackingURL": tracking_url.format(tracking=tracking) if tracking_url else "",
            },
        )
    _refresh_status(env, header)
    return journal


def cancel_sales_order(env: Env, company: str, number: str) -> Row:
    header, lines = _open_order(env, company, number)
    if any(decimal(r, "_Delivered") or decimal(r, "_Invoiced") for r in lines):
        raise DocumentError(f"sales order {number} has been delivered or invoiced and cannot be canceled")
    for line in lines:
        env.store.update("SalesLine", line, {"SalesOrderLineStatus": "Canceled"})
    env.store.update("SalesTable", header, {"SalesOrderStatus": "Canceled", "SalesOrderProcessingStatus": "Canceled"})
    return header


def invoice_return_order(env: Env, company: str, number: str) -> Row:
    """Post the credit note of a return order: a negative invoice under the return order number."""
    header = env.store.get(returns.HEADER, (company, number))
    if header is None:
        raise DocumentError(f"return order {number!r} not found in company {company!r}")
    lines = [
        r
        for r in env.store.scan(returns.LINE, dataAreaId=company, ReturnOrderNumber=number)
        if r.get("ReturnStatus") not in ("Invoiced", "Canceled")
    ]
    if not lines:
        raise DocumentError(f"return order {number} has no lines to invoice")
    posted = [
        (r, decimal(r, "ReturnSalesQuantity"), decimal(r, "LineAmount"), decimal(r, "TotalTaxAmount"), Decimal(0))
        for r in lines
    ]
    for line in lines:
        env.store.update(
            returns.LINE,
            line,
            {"ReturnStatus": "Invoiced", "ReturnedSalesQuantity": decimal(line, "ReturnSalesQuantity")},
        )
        # Goods come back into stock unless the disposition says credit only / scrap.
        item = env.item(company, line.get("ItemNumber", "")) or {}
        disposition = env.store.get("ReturnDispositionCode", (company, line.get("ReturnDispositionCode", "")))
        action = (disposition or {}).get("DispositionAction", "Credit")
        if env.is_stocked(item) and action in ("Credit", "ReplaceCredit") and line.get("ReturnWarehouseId"):
            adjust_on_hand(
                env,
                company,
                line["ItemNumber"],
                line.get("ReturnSiteId", ""),
                line["ReturnWarehouseId"],
                -decimal(line, "ReturnSalesQuantity"),
            )
    doc = _post_invoice(env, header, "CreditNoteNumber", posted, False, number)
    env.store.update(returns.HEADER, header, {"ReturnStatus": "Closed", "ReturnOrderStatus": "Invoiced"})
    return doc


# ---- on-hand ------------------------------------------------------------------------------------
NO_DIMENSIONS = ("", "", "", "", "")  # colour, configuration, size, style, version (a distinct product)


def on_hand_key(
    company: str, item: str, site: str, warehouse: str, dims: tuple[str, ...] = NO_DIMENSIONS
) -> tuple[str, ...]:
    return (company, item, *dims, site, warehouse)


def on_hand_row(
    env: Env, company: str, item: str, site: str, warehouse: str, dims: tuple[str, ...] = NO_DIMENSIONS
) -> Row | None:
    return env.store.get("InventSum", on_hand_key(company, item, site, warehouse, dims))


def set_on_hand(
    env: Env,
    company: str,
    item: str,
    site: str,
    warehouse: str,
    dims: tuple[str, ...] = NO_DIMENSIONS,
    **quantities: Decimal,
) -> Row:
    """On-hand of an item (a product master's variant: its colour, configuration, size, style and version)."""
    row = on_hand_row(env, company, item, site, warehouse, dims)
    product = env.item(company, item) or {}
    if row is None:
        keys = (
            "dataAreaId",
            "ItemNumber",
            "ProductColorId",
            "ProductConfigurationId",
            "ProductSizeId",
            "ProductStyleId",
            "ProductVersionId",
            "InventorySiteId",
            "InventoryWarehouseId",
        )
        row = env.store.insert(
            "InventSum", dict(zip(keys, on_hand_key(company, item, site, warehouse, dims), strict=True))
        )
    changes: dict[str, Any] = {k: Decimal(str(v)) for k, v in quantities.items()}
    changes["ProductName"] = product.get("SearchName", "")
    changes["AreWarehouseManagementProcessesUsed"] = "No"
    env.store.update("InventSum", row, changes)
    _derive(env, row)
    return row


def adjust_on_hand(env: Env, company: str, item: str, site: str, warehouse: str, delta: Decimal) -> None:
    row = on_hand_row(env, company, item, site, warehouse)
    current = decimal(row, "OnHandQuantity") if row else Decimal(0)
    set_on_hand(env, company, item, site, warehouse, OnHandQuantity=current + delta)


def _derive(env: Env, row: Row) -> None:
    # Available physical = physical - reserved; total available = available physical + available ordered.
    available = decimal(row, "OnHandQuantity") - decimal(row, "ReservedOnHandQuantity")
    ordered = decimal(row, "OrderedQuantity") - decimal(row, "ReservedOrderedQuantity")
    env.store.update(
        "InventSum",
        row,
        {
            "AvailableOnHandQuantity": available,
            "AvailableOrderedQuantity": ordered,
            "TotalAvailableQuantity": available + ordered,
        },
    )
