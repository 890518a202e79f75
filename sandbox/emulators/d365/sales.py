"""Sales order headers (SalesOrderHeadersV2) and lines (SalesOrderLines): defaults, validation,
line amounts, tax and header totals.

Line amount follows F&O: ``LineDiscountAmount`` is a discount **per unit** ("Discount" on the
line), so ``LineAmount = round((SalesPrice / SalesPriceQuantity - LineDiscountAmount) x qty x
(1 - LineDiscountPercentage / 100), 2)`` unless the client sends ``LineAmount`` itself (then it is
kept, as F&O keeps a manually entered line amount). Tax per line is
``round_half_up(LineAmount x rate, 2)`` with the rate of the line's sales tax group when its item
sales tax group is taxable (see :meth:`Env.tax_rate`). Freight is a line on the non-stock item
``FREIGHT``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sandbox.emulators.d365.domain import Env, days_from_today, decimal, fail, money, now, today
from sandbox.emulators.d365.entities import EntitySet
from sandbox.emulators.d365.product_writes import DIMENSIONS, check_line_variant
from sandbox.emulators.d365.store import Row
from sandbox.emulators.d365.wire import already_exists, not_in_related, write_failed

HEADER, LINE = "SalesTable", "SalesLine"
OPEN = "Backorder"
_TOTALS = (
    "OrderTotalAmount",
    "OrderTotalTaxAmount",
    "OrderTotalChargesAmount",
    "OrderTotalDiscountAmount",
    "TotalDiscountAmount",
    "OrderHeaderTaxAmount",
    "AreTotalsCalculated",
    "SalesOrderStatus",
    "SalesOrderProcessingStatus",
    "OrderCreationDateTime",
)
_ADDRESS = (
    "Name",
    "Street",
    "StreetNumber",
    "City",
    "StateId",
    "CountyId",
    "ZipCode",
    "CountryRegionId",
    "CountryRegionISOCode",
    "Description",
    "LocationId",
)
_CUSTOMER_ADDRESS = {
    "Name": "",
    "Street": "AddressStreet",
    "StreetNumber": "AddressStreetNumber",
    "City": "AddressCity",
    "StateId": "AddressState",
    "CountyId": "AddressCounty",
    "ZipCode": "AddressZipCode",
    "CountryRegionId": "AddressCountryRegionId",
    "CountryRegionISOCode": "AddressCountryRegionISOCode",
    "Description": "AddressDescription",
    "LocationId": "AddressLocationId",
}


def order_number_taken(env: Env, company: str, number: str) -> bool:
    # Return orders are SalesTable rows too: one number space for both.
    return env.sales_order(company, number) is not None or env.store.get("ReturnTable", (company, number)) is not None


def customer_name(customer: Row) -> str:
    if customer.get("OrganizationName"):
        return str(customer["OrganizationName"])
    parts = [
        customer.get("PersonFirstName", ""),
        customer.get("PersonMiddleName", ""),
        customer.get("PersonLastName", ""),
    ]
    return " ".join(p for p in parts if p)


# ---- headers ------------------------------------------------------------------------------------
def create_header(env: Env, es: EntitySet, row: Row) -> Row:
    company = row["dataAreaId"]
    number = row.get("SalesOrderNumber", "")
    if number:
        if not env.manual_allowed("SalesOrderNumber"):
            raise fail(es, HEADER, "Number sequence for 'Sales order' does not allow manual entry.")
        if order_number_taken(env, company, number):
            raise already_exists(es.aot_entity, es.table_label, HEADER, f"Sales order: {number}")
    else:
        row["SalesOrderNumber"] = env.store.next_number(
            company, "SalesOrderNumber", lambda n: order_number_taken(env, company, n)
        )
    env.require(es, HEADER, row, "OrderingCustomerAccountNumber")
    customer = env.customer(company, row["OrderingCustomerAccountNumber"])
    env.check_fk(es, HEADER, row, "OrderingCustomerAccountNumber", customer is not None, "Customers")
    assert customer is not None
    if customer.get("OnHoldStatus") == "All":
        raise fail(
            es,
            HEADER,
            f"Customer {customer['CustomerAccount']} is on hold (All). "
            f"No transactions can be created for this customer.",
        )
    row.setdefault("InvoiceCustomerAccountNumber", customer.get("InvoiceAccount") or customer["CustomerAccount"])
    env.check_fk(
        es,
        HEADER,
        row,
        "InvoiceCustomerAccountNumber",
        env.customer(company, row["InvoiceCustomerAccountNumber"]) is not None,
        "Customers",
    )
    for target, source in (
        ("CurrencyCode", "SalesCurrencyCode"),
        ("DeliveryModeCode", "DeliveryMode"),
        ("SalesTaxGroupCode", "SalesTaxGroup"),
        ("PaymentTermsName", "PaymentTerms"),
        ("Email", "PrimaryContactEmail"),
        ("LanguageId", "LanguageId"),
    ):
        if not row.get(target) and customer.get(source):
            row[target] = customer[source]
    row.setdefault("SalesOrderName", customer_name(customer))
    if row.get("IsDeliveryAddressOrderSpecific") != "Yes" and not row.get("DeliveryAddressStreet"):
        for suffix in _ADDRESS:
            source = _CUSTOMER_ADDRESS[suffix]
            value = customer_name(customer) if suffix == "Name" else customer.get(source, "")
            if value:
                row.setdefault(f"DeliveryAddress{suffix}", value)
    env.country(row, "DeliveryAddressCountryRegionId", "DeliveryAddressCountryRegionISOCode", es, HEADER)
    env.country(row, "InvoiceAddressCountryRegionId", "InvoiceAddressCountryRegionISOCode", es, HEADER)
    env.check_common(es, HEADER, row)
    env.site_and_warehouse(es, HEADER, row, "DefaultShippingSiteId", "DefaultShippingWarehouseId")
    row.update(
        SalesOrderStatus=OPEN,
        SalesOrderProcessingStatus="Active",
        AreTotalsCalculated="Yes",
        OrderCreationDateTime=now(),
    )
    for name in ("RequestedShippingDate", "RequestedReceiptDate"):
        row.setdefault(name, today())
    row.setdefault("ArePricesIncludingSalesTax", "No")
    for name in ("OrderTotalAmount", "OrderTotalTaxAmount", "OrderTotalChargesAmount", "OrderTotalDiscountAmount"):
        row[name] = Decimal(0)
    return row


def update_header(env: Env, es: EntitySet, row: Row, changes: dict[str, Any]) -> dict[str, Any]:
    if row.get("SalesOrderStatus") != OPEN:
        raise fail(
            es,
            HEADER,
            f"Sales order {row['SalesOrderNumber']} cannot be changed because it has the "
            f"status {row.get('SalesOrderStatus')}.",
        )
    changes = {k: v for k, v in changes.items() if k not in _TOTALS}
    merged = {**row, **changes}
    for name in ("OrderingCustomerAccountNumber", "InvoiceCustomerAccountNumber"):
        if name in changes:
            env.check_fk(
                es, HEADER, merged, name, env.customer(merged["dataAreaId"], merged[name]) is not None, "Customers"
            )
    env.country(merged, "DeliveryAddressCountryRegionId", "DeliveryAddressCountryRegionISOCode", es, HEADER)
    env.check_common(es, HEADER, merged)
    env.site_and_warehouse(es, HEADER, merged, "DefaultShippingSiteId", "DefaultShippingWarehouseId")
    return {k: merged[k] for k in merged if k in changes or k.startswith("Default") or k.startswith("Delivery")}


def delete_header(env: Env, es: EntitySet, row: Row) -> None:
    lines = env.order_lines(row["dataAreaId"], row["SalesOrderNumber"])
    if any(decimal(line, "_Delivered") or decimal(line, "_Invoiced") for line in lines):
        raise fail(
            es,
            HEADER,
            f"Sales order {row['SalesOrderNumber']} cannot be deleted because it has been delivered or invoiced.",
        )
    for line in lines:
        env.store.delete(LINE, line)


# ---- lines --------------------------------------------------------------------------------------
def line_gross(line: Row) -> Decimal:
    per = decimal(line, "SalesPriceQuantity") or Decimal(1)
    return decimal(line, "SalesPrice") / per * decimal(line, "OrderedSalesQuantity")


def compute_line_amount(line: Row) -> Decimal:
    qty = decimal(line, "OrderedSalesQuantity")
    per = decimal(line, "SalesPriceQuantity") or Decimal(1)
    unit = decimal(line, "SalesPrice") / per - decimal(line, "LineDiscountAmount")
    percent = decimal(line, "LineDiscountPercentage")
    return money(unit * qty * (Decimal(100) - percent) / Decimal(100))


def line_tax(env: Env, line: Row, prices_include_tax: bool = False) -> Decimal:
    rate = env.tax_rate(
        line["dataAreaId"], str(line.get("SalesTaxGroupCode", "")), str(line.get("SalesTaxItemGroupCode", ""))
    )
    amount = decimal(line, "LineAmount")
    if prices_include_tax:
        return money(amount - amount / (1 + rate))
    return money(amount * rate)


def create_line(env: Env, es: EntitySet, row: Row) -> Row:
    company = row["dataAreaId"]
    env.require(es, LINE, row, "SalesOrderNumber")
    header = env.sales_order(company, row["SalesOrderNumber"])
    if header is None:
        raise not_in_related(es.aot_entity, LINE, row["SalesOrderNumber"], "Sales order", "Sales orders")
    if header.get("SalesOrderStatus") != OPEN:
        raise fail(
            es,
            LINE,
            f"Sales order {header['SalesOrderNumber']} has the status "
            f"{header.get('SalesOrderStatus')}; lines cannot be added.",
        )
    lot = row.get("InventoryLotId", "")
    if lot:
        if not env.manual_allowed("InventoryLotId"):
            raise fail(es, LINE, "Number sequence for 'Lot ID' does not allow manual entry.")
        if lot_taken(env, company, lot):
            raise already_exists(es.aot_entity, es.table_label, LINE, f"Lot ID: {lot}")
    else:
        row["InventoryLotId"] = env.store.next_number(company, "InventoryLotId", lambda n: lot_taken(env, company, n))
    env.require(es, LINE, row, "ItemNumber")
    item = env.item(company, row["ItemNumber"])
    env.check_fk(es, LINE, row, "ItemNumber", item is not None, "Released products")
    assert item is not None
    check_line_variant(env, es, LINE, row, item)
    existing = env.order_lines(company, row["SalesOrderNumber"])
    seq = max((int(r.get("LineCreationSequenceNumber", 0)) for r in existing), default=0) + 1
    row.setdefault("LineCreationSequenceNumber", seq)
    row.setdefault("LineNumber", Decimal(seq))
    row.setdefault("OrderedSalesQuantity", Decimal(1))
    row.setdefault("SalesUnitSymbol", item.get("SalesUnitSymbol") or "ea")
    row.setdefault("SalesPrice", decimal(item, "SalesPrice"))
    row.setdefault("SalesPriceQuantity", decimal(item, "SalesPriceQuantity") or Decimal(1))
    row.setdefault("SalesTaxItemGroupCode", item.get("SalesSalesTaxItemGroupCode", ""))
    row.setdefault("LineDescription", item.get("SearchName", ""))
    for name in (
        "SalesTaxGroupCode",
        "DeliveryModeCode",
        "CurrencyCode",
        "RequestedShippingDate",
        "RequestedReceiptDate",
        "CustomerRequisitionNumber",
    ):
        if not row.get(name) and header.get(name):
            row[name] = header[name]
    for name in list(header):
        if name.startswith("DeliveryAddress") and header[name] and not row.get(name):
            row[name] = header[name]
    if not row.get("ShippingWarehouseId") and header.get("DefaultShippingWarehouseId"):
        row["ShippingWarehouseId"] = header["DefaultShippingWarehouseId"]
    if not row.get("ShippingSiteId") and not row.get("ShippingWarehouseId") and header.get("DefaultShippingSiteId"):
        row["ShippingSiteId"] = header["DefaultShippingSiteId"]
    env.site_and_warehouse(es, LINE, row, "ShippingSiteId", "ShippingWarehouseId")
    if env.is_stocked(item) and not row.get("ShippingSiteId"):
        # Real text (HotWax OMS → D365 plan): stocked lines need a site, from the line or header warehouse.
        raise write_failed(
            es.aot_entity, "Inventory dimension Site is mandatory and must consequently be specified.", table=LINE
        )
    env.check_common(es, LINE, row)
    if "LineAmount" not in row:
        row["LineAmount"] = compute_line_amount(row)
    row.update(SalesOrderLineStatus=OPEN, _Delivered=Decimal(0), _Invoiced=Decimal(0))
    row.setdefault("ConfirmedShippingDate", days_from_today(0))
    return row


def lot_taken(env: Env, company: str, lot: str) -> bool:
    return (
        env.store.get("SalesLine", (company, lot)) is not None
        or env.store.find("ReturnLine", dataAreaId=company, ReturnInventoryLotId=lot) is not None
    )


def update_line(env: Env, es: EntitySet, row: Row, changes: dict[str, Any]) -> dict[str, Any]:
    header = env.sales_order(row["dataAreaId"], row.get("SalesOrderNumber", ""))
    if header is None or header.get("SalesOrderStatus") != OPEN or decimal(row, "_Invoiced"):
        raise fail(es, LINE, f"Line {row['InventoryLotId']} cannot be changed because the order is not open.")
    changes = {k: v for k, v in changes.items() if k not in ("SalesOrderNumber", "SalesOrderLineStatus")}
    merged = {**row, **changes}
    if "ItemNumber" in changes:
        env.check_fk(
            es,
            LINE,
            merged,
            "ItemNumber",
            env.item(merged["dataAreaId"], merged["ItemNumber"]) is not None,
            "Released products",
        )
    if {"ItemNumber", *DIMENSIONS} & set(changes):
        changed_item = env.item(merged["dataAreaId"], merged.get("ItemNumber", ""))
        if changed_item is not None:
            check_line_variant(env, es, LINE, merged, changed_item)
    if decimal(merged, "OrderedSalesQuantity") < decimal(row, "_Delivered"):
        raise fail(es, LINE, "The quantity cannot be less than the quantity already delivered.")
    env.site_and_warehouse(es, LINE, merged, "ShippingSiteId", "ShippingWarehouseId")
    env.check_common(es, LINE, merged)
    pricing = {
        "OrderedSalesQuantity",
        "SalesPrice",
        "SalesPriceQuantity",
        "LineDiscountAmount",
        "LineDiscountPercentage",
    }
    if pricing & set(changes) and "LineAmount" not in changes:
        changes["LineAmount"] = compute_line_amount(merged)
    if "ShippingWarehouseId" in changes:
        changes["ShippingSiteId"] = merged.get("ShippingSiteId", "")
    return changes


def delete_line(env: Env, es: EntitySet, row: Row) -> None:
    if decimal(row, "_Delivered") or decimal(row, "_Invoiced"):
        raise fail(
            es, LINE, f"Line {row['InventoryLotId']} cannot be deleted because it has been delivered or invoiced."
        )


def recompute_totals(env: Env, company: str, number: str) -> None:
    """Header totals the way the order's Totals form shows them (server-computed, read-only)."""
    header = env.sales_order(company, number)
    if header is None:
        return
    lines = [r for r in env.order_lines(company, number) if r.get("SalesOrderLineStatus") != "Canceled"]
    included = header.get("ArePricesIncludingSalesTax") == "Yes"
    amount = sum((decimal(r, "LineAmount") for r in lines), Decimal(0))
    tax = sum((line_tax(env, r, included) for r in lines), Decimal(0))
    discount = sum((money(line_gross(r)) - decimal(r, "LineAmount") for r in lines), Decimal(0))
    total = amount if included else amount + tax
    changes = {
        "OrderTotalAmount": money(total),
        "OrderTotalTaxAmount": money(tax),
        "OrderTotalChargesAmount": Decimal("0.00"),
        "OrderTotalDiscountAmount": money(discount),
    }
    if any(header.get(k) != v for k, v in changes.items()):
        env.store.update(HEADER, header, changes, new_version=False)


def order_status(lines: list[Row]) -> tuple[str, str]:
    """(SalesOrderStatus, SalesOrderProcessingStatus) from the delivered/invoiced quantities."""
    active = [r for r in lines if r.get("SalesOrderLineStatus") != "Canceled"]
    if not active:
        return "Canceled", "Canceled"
    qty = [abs(decimal(r, "OrderedSalesQuantity")) for r in active]
    delivered = [abs(decimal(r, "_Delivered")) for r in active]
    invoiced = [abs(decimal(r, "_Invoiced")) for r in active]
    if all(i >= q for i, q in zip(invoiced, qty, strict=True)):
        return "Invoiced", "Invoiced"
    all_delivered = all(d >= q for d, q in zip(delivered, qty, strict=True))
    if any(invoiced):
        return ("Delivered" if all_delivered else OPEN), "PartiallyInvoiced"
    if all_delivered:
        return "Delivered", "Delivered"
    if any(delivered):
        return OPEN, "PartiallyDelivered"
    return OPEN, "Active"


def line_status(line: Row) -> str:
    qty = abs(decimal(line, "OrderedSalesQuantity"))
    if abs(decimal(line, "_Invoiced")) >= qty:
        return "Invoiced"
    if abs(decimal(line, "_Delivered")) >= qty:
        return "Delivered"
    return OPEN
