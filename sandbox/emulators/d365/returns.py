"""Return orders (ReturnOrderHeaders/V2 + ReturnOrderLines/V2): the way refunds become credit notes.

A return line that references the original sale sets ``ReturningInventoryLotId`` to the
``InventoryLotId`` of an **invoiced** sales order line (F&O's "Find sales order"). We check, as
F&O does, that the cumulative returned quantity never exceeds the invoiced quantity, and copy item,
unit, net unit price and tax groups from the original line. Return quantities are negative.
Header totals (``OrderTotalAmount``, ``OrderTotalTaxAmount``) and line ``TotalTaxAmount`` are
server-computed like on sales orders.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sandbox.emulators.d365.domain import Env, days_from_today, decimal, fail, money
from sandbox.emulators.d365.entities import EntitySet
from sandbox.emulators.d365.product_writes import DIMENSIONS, check_line_variant
from sandbox.emulators.d365.sales import customer_name, lot_taken, order_number_taken
from sandbox.emulators.d365.store import Row
from sandbox.emulators.d365.wire import already_exists, not_in_related

HEADER, LINE = "ReturnTable", "ReturnLine"
# Returns are SalesTable/SalesLine rows in F&O: that is the name its Infolog messages carry.
INFOLOG_HEADER, INFOLOG_LINE = "SalesTable", "SalesLine"
_READ_ONLY = (
    "OrderTotalAmount",
    "OrderTotalTaxAmount",
    "OrderTotalChargesAmount",
    "TotalDiscountAmount",
    "ReturnOrderStatus",
    "ReturnStatus",
)


def create_header(env: Env, es: EntitySet, row: Row) -> Row:
    company = row["dataAreaId"]
    number = row.get("ReturnOrderNumber", "")
    if number:
        if not env.manual_allowed("ReturnOrderNumber"):
            raise fail(es, INFOLOG_HEADER, "Number sequence for 'Return order' does not allow manual entry.")
        if order_number_taken(env, company, number):
            raise already_exists(es.aot_entity, es.table_label, INFOLOG_HEADER, f"Sales order: {number}")
    else:
        row["ReturnOrderNumber"] = env.store.next_number(
            company, "SalesOrderNumber", lambda n: order_number_taken(env, company, n)
        )
    rma = row.get("RMANumber", "")
    if rma:
        # The RMA number is an alternate key of return orders.
        if env.store.find(HEADER, dataAreaId=company, RMANumber=rma) is not None:
            raise already_exists(es.aot_entity, es.table_label, INFOLOG_HEADER, f"RMA number: {rma}")
    else:
        row["RMANumber"] = env.store.next_number(
            company, "RMANumber", lambda n: env.store.find(HEADER, dataAreaId=company, RMANumber=n) is not None
        )
    env.require(es, INFOLOG_HEADER, row, "CustomerAccountNumber")
    customer = env.customer(company, row["CustomerAccountNumber"])
    env.check_fk(es, INFOLOG_HEADER, row, "CustomerAccountNumber", customer is not None, "Customers")
    assert customer is not None
    if not row.get("InvoiceCustomerAccountNumber"):
        row["InvoiceCustomerAccountNumber"] = customer.get("InvoiceAccount") or customer["CustomerAccount"]
    if not row.get("CurrencyCode"):
        row["CurrencyCode"] = customer.get("SalesCurrencyCode", "")
    row.setdefault("ReturnAddressName", customer_name(customer))
    env.check_common(es, INFOLOG_HEADER, row)
    env.site_and_warehouse(es, INFOLOG_HEADER, row, "DefaultReturnSiteId", "DefaultReturnWarehouseId")
    row.setdefault("ReturnDeadline", days_from_today(30))
    row.update(
        ReturnStatus="Created",
        ReturnOrderStatus="Backorder",
        OrderTotalAmount=Decimal(0),
        OrderTotalTaxAmount=Decimal(0),
        OrderTotalChargesAmount=Decimal(0),
        TotalDiscountAmount=Decimal(0),
        _TaxGroup=customer.get("SalesTaxGroup", ""),
    )
    return row


def update_header(env: Env, es: EntitySet, row: Row, changes: dict[str, Any]) -> dict[str, Any]:
    if row.get("ReturnStatus") in ("Closed", "Canceled"):
        raise fail(
            es,
            INFOLOG_HEADER,
            f"Return order {row['ReturnOrderNumber']} cannot be changed because it has "
            f"the status {row.get('ReturnStatus')}.",
        )
    changes = {k: v for k, v in changes.items() if k not in _READ_ONLY}
    merged = {**row, **changes}
    env.check_common(es, INFOLOG_HEADER, merged)
    env.site_and_warehouse(es, INFOLOG_HEADER, merged, "DefaultReturnSiteId", "DefaultReturnWarehouseId")
    return {k: merged[k] for k in changes} | {k: merged[k] for k in ("DefaultReturnSiteId",) if k in merged}


def delete_header(env: Env, es: EntitySet, row: Row) -> None:
    if row.get("ReturnStatus") == "Closed":
        raise fail(
            es, INFOLOG_HEADER, f"Return order {row['ReturnOrderNumber']} has been invoiced and cannot be deleted."
        )
    for line in list(env.store.scan(LINE, dataAreaId=row["dataAreaId"], ReturnOrderNumber=row["ReturnOrderNumber"])):
        env.store.delete(LINE, line)


def returned_quantity(env: Env, company: str, lot: str, exclude: Row | None = None) -> Decimal:
    """Quantity already on return lines for the sales line ``lot`` (positive number)."""
    total = Decimal(0)
    for line in env.store.scan(LINE, dataAreaId=company, ReturningInventoryLotId=lot):
        if line is not exclude and line.get("ReturnStatus") != "Canceled":
            total += -decimal(line, "ReturnSalesQuantity")
    return total


def _check_against_invoice(env: Env, es: EntitySet, row: Row, exclude: Row | None) -> Row | None:
    company, lot = row["dataAreaId"], str(row.get("ReturningInventoryLotId", ""))
    if not lot:
        return None
    original = env.store.get("SalesLine", (company, lot))
    if original is None or not decimal(original, "_Invoiced"):
        raise fail(
            es,
            INFOLOG_LINE,
            f"Lot ID {lot} does not refer to an invoiced sales order line, so it cannot be returned against.",
        )
    invoiced = decimal(original, "_Invoiced")
    already = returned_quantity(env, company, lot, exclude)
    wanted = -decimal(row, "ReturnSalesQuantity")
    if already + wanted > invoiced:
        raise fail(
            es,
            INFOLOG_LINE,
            f"The return quantity {wanted} exceeds the quantity that can be returned "
            f"for lot ID {lot} (invoiced {invoiced}, already returned {already}).",
        )
    return original


def create_line(env: Env, es: EntitySet, row: Row) -> Row:
    company = row["dataAreaId"]
    env.require(es, INFOLOG_LINE, row, "ReturnOrderNumber")
    header = env.store.get(HEADER, (company, row["ReturnOrderNumber"]))
    if header is None:
        raise not_in_related(es.aot_entity, INFOLOG_LINE, row["ReturnOrderNumber"], "Return order", "Sales orders")
    if header.get("ReturnStatus") in ("Closed", "Canceled"):
        raise fail(
            es,
            INFOLOG_LINE,
            f"Return order {header['ReturnOrderNumber']} has the status "
            f"{header.get('ReturnStatus')}; lines cannot be added.",
        )
    lot = row.get("ReturnInventoryLotId", "")
    if lot:
        if lot_taken(env, company, lot):
            raise already_exists(es.aot_entity, es.table_label, INFOLOG_LINE, f"Lot ID: {lot}")
    else:
        row["ReturnInventoryLotId"] = env.store.next_number(
            company, "InventoryLotId", lambda n: lot_taken(env, company, n)
        )
    qty = decimal(row, "ReturnSalesQuantity")
    if qty >= 0:
        raise fail(es, INFOLOG_LINE, "The quantity on a return order line must be negative.")
    original = _check_against_invoice(env, es, row, None)
    if original is not None:
        if row.get("ItemNumber") and str(row["ItemNumber"]).casefold() != str(original["ItemNumber"]).casefold():
            raise fail(
                es,
                INFOLOG_LINE,
                f"Item number {row['ItemNumber']} does not match item "
                f"{original['ItemNumber']} of returned lot ID {original['InventoryLotId']}.",
            )
        row["ItemNumber"] = original["ItemNumber"]
        for dimension in DIMENSIONS:
            if row.get(dimension) and str(row[dimension]) != str(original.get(dimension) or ""):
                raise fail(
                    es,
                    INFOLOG_LINE,
                    f"{dimension} {row[dimension]} does not match the returned lot ID {original['InventoryLotId']}.",
                )
            if original.get(dimension):
                row.setdefault(dimension, original[dimension])  # like the item number: the returned lot's
        ordered = decimal(original, "OrderedSalesQuantity") or Decimal(1)
        if "SalesPrice" not in row and "LineAmount" not in row:
            row["LineAmount"] = -_proportional_amount(env, original, -qty)
        row.setdefault("SalesPrice", (decimal(original, "LineAmount") / ordered).quantize(Decimal("0.000001")))
        row.setdefault("SalesUnitSymbol", original.get("SalesUnitSymbol", ""))
        row["_TaxGroup"] = original.get("SalesTaxGroupCode", "")
        row["_ItemTaxGroup"] = original.get("SalesTaxItemGroupCode", "")
        for target, source in (("ReturnWarehouseId", "ShippingWarehouseId"), ("ReturnSiteId", "ShippingSiteId")):
            if not row.get(target) and not header.get(f"Default{target}") and original.get(source):
                row[target] = original[source]
    env.require(es, INFOLOG_LINE, row, "ItemNumber")
    item = env.item(company, row["ItemNumber"])
    env.check_fk(es, INFOLOG_LINE, row, "ItemNumber", item is not None, "Released products")
    assert item is not None
    check_line_variant(env, es, INFOLOG_LINE, row, item)  # a product master's line names its variant
    row.setdefault("SalesPrice", decimal(item, "SalesPrice"))
    row.setdefault("SalesUnitSymbol", item.get("SalesUnitSymbol") or "ea")
    row.setdefault("_TaxGroup", header.get("_TaxGroup", ""))
    row.setdefault("_ItemTaxGroup", item.get("SalesSalesTaxItemGroupCode", ""))
    for name in ("ReturnWarehouseId", "ReturnSiteId"):
        if not row.get(name) and header.get(f"Default{name}"):
            row[name] = header[f"Default{name}"]
    env.site_and_warehouse(es, INFOLOG_LINE, row, "ReturnSiteId", "ReturnWarehouseId")
    if (
        row.get("ReturnDispositionCode")
        and env.store.get("ReturnDispositionCode", (company, row["ReturnDispositionCode"])) is None
    ):
        raise not_in_related(
            es.aot_entity, INFOLOG_LINE, row["ReturnDispositionCode"], "Disposition code", "Disposition codes"
        )
    if "LineAmount" not in row:
        row["LineAmount"] = money(decimal(row, "SalesPrice") * qty)
    seq = sum(1 for _ in env.store.scan(LINE, dataAreaId=company, ReturnOrderNumber=row["ReturnOrderNumber"])) + 1
    row.setdefault("LineCreationSequenceNumber", seq)
    row.update(
        ReturnStatus="Awaiting",
        RMANumber=header.get("RMANumber", ""),
        CustomerAccountNumber=header.get("CustomerAccountNumber", ""),
        InvoiceCustomerAccountNumber=header.get("InvoiceCustomerAccountNumber", ""),
    )
    row.setdefault("ExpectedReturnArrivalDate", days_from_today(0))
    row["TotalTaxAmount"] = line_tax(env, row)
    return row


def _proportional_amount(env: Env, original: Row, qty: Decimal) -> Decimal:
    """Net amount of ``qty`` units of the original line; the last units take the remainder so a
    full return credits exactly the invoiced line amount."""
    company, lot = original["dataAreaId"], original["InventoryLotId"]
    invoiced_qty = decimal(original, "_Invoiced")
    invoiced_amount = decimal(original, "_InvoicedAmount")
    lines = [
        r
        for r in env.store.scan(LINE, dataAreaId=company, ReturningInventoryLotId=lot)
        if r.get("ReturnStatus") != "Canceled"
    ]
    done_qty = sum((-decimal(r, "ReturnSalesQuantity") for r in lines), Decimal(0))
    done_amount = sum((-decimal(r, "LineAmount") for r in lines), Decimal(0))
    if done_qty + qty >= invoiced_qty:
        return invoiced_amount - done_amount
    return money(invoiced_amount * qty / invoiced_qty)


def line_tax(env: Env, line: Row) -> Decimal:
    rate = env.tax_rate(line["dataAreaId"], str(line.get("_TaxGroup", "")), str(line.get("_ItemTaxGroup", "")))
    return money(decimal(line, "LineAmount") * rate)


def update_line(env: Env, es: EntitySet, row: Row, changes: dict[str, Any]) -> dict[str, Any]:
    if row.get("ReturnStatus") in ("Invoiced", "Canceled"):
        raise fail(es, INFOLOG_LINE, f"Return line {row['ReturnInventoryLotId']} cannot be changed.")
    changes = {
        k: v
        for k, v in changes.items()
        if k not in ("ReturnOrderNumber", "ReturningInventoryLotId", "ReturnStatus", "TotalTaxAmount")
    }
    merged = {**row, **changes}
    if "ReturnSalesQuantity" in changes:
        if decimal(merged, "ReturnSalesQuantity") >= 0:
            raise fail(es, INFOLOG_LINE, "The quantity on a return order line must be negative.")
        _check_against_invoice(env, es, merged, row)
        if "LineAmount" not in changes:
            changes["LineAmount"] = money(decimal(merged, "SalesPrice") * decimal(merged, "ReturnSalesQuantity"))
    elif "SalesPrice" in changes and "LineAmount" not in changes:
        changes["LineAmount"] = money(decimal(merged, "SalesPrice") * decimal(merged, "ReturnSalesQuantity"))
    merged.update(changes)
    changes["TotalTaxAmount"] = line_tax(env, merged)
    return changes


def delete_line(env: Env, es: EntitySet, row: Row) -> None:
    if row.get("ReturnStatus") == "Invoiced":
        raise fail(es, INFOLOG_LINE, f"Return line {row['ReturnInventoryLotId']} has been invoiced.")


def recompute_totals(env: Env, company: str, number: str) -> None:
    header = env.store.get(HEADER, (company, number))
    if header is None:
        return
    lines = [
        r
        for r in env.store.scan(LINE, dataAreaId=company, ReturnOrderNumber=number)
        if r.get("ReturnStatus") != "Canceled"
    ]
    amount = sum((decimal(r, "LineAmount") for r in lines), Decimal(0))
    tax = sum((decimal(r, "TotalTaxAmount") for r in lines), Decimal(0))
    changes = {"OrderTotalAmount": money(amount + tax), "OrderTotalTaxAmount": money(tax)}
    if any(header.get(k) != v for k, v in changes.items()):
        env.store.update(HEADER, header, changes, new_version=False)
