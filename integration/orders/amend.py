"""Changes after the order reached F&O: ``orders/updated`` and ``orders/cancelled``.

Updates: F&O's open order is compared line by line (Shopify line id = ``OrderLineReference``) with
what the updated Shopify order maps to. A changed ship-to on an open order is patched onto the
header. Any line difference (an order edit: quantities, added or removed items, prices) is an
``UPDATE_CONFLICT`` exception naming each difference: the ERP order never silently diverges, and a
person decides (F&O may already be picking). Older updates are ignored by the caller.

Cancellation: F&O has no standard OData "cancel" action, so an open sales order with nothing
delivered or invoiced is deleted (F&O itself refuses once anything was shipped or invoiced); the
audit log and the order record keep the trail. Otherwise ``CANCEL_CONFLICT``. A cancellation that
arrives before the order reached F&O marks the record so a late create does nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from integration.clients.d365 import D365NotFound, D365ValidationError
from integration.mappings import load_mappings
from integration.orders import records as rec
from integration.orders.model import Order, fingerprint
from integration.orders.salesorder import build_sales_order, delivery_address
from integration.orders.validation import CANCEL_CONFLICT, UPDATE_CONFLICT, Failure, item_numbers, validate

if TYPE_CHECKING:
    from integration.orders.service import OrderSync, Outcome

OPEN_STATUSES = ("Backorder", "None", "")
OPEN_PROCESSING = ("Active", "Confirmed", "None", "")
_ADDRESS_SELECT = ["DeliveryAddressName", "DeliveryAddressStreet", "DeliveryAddressCity", "DeliveryAddressStateId",
                   "DeliveryAddressZipCode", "DeliveryAddressCountryRegionId"]
_LINES = ("SalesOrderLines($select=InventoryLotId,OrderLineReference,ItemNumber,OrderedSalesQuantity,SalesPrice,"
          "LineDiscountAmount,SalesOrderLineStatus)")


def _is_open(header: dict[str, Any]) -> bool:
    return str(header.get("SalesOrderStatus", "")) in OPEN_STATUSES and \
        str(header.get("SalesOrderProcessingStatus", "")) in OPEN_PROCESSING


def _read(sync: OrderSync, number: str) -> dict[str, Any]:
    return dict(sync.d365.get("SalesOrderHeadersV2", {"SalesOrderNumber": number},
                              select=["SalesOrderNumber", "SalesOrderStatus", "SalesOrderProcessingStatus",
                                      *_ADDRESS_SELECT], expand=_LINES))


def _wanted_lines(sync: OrderSync, order: Order) -> dict[str, tuple[Decimal, Decimal, Decimal]]:
    """ref -> (quantity, unit price, total discount) the updated order maps to (current quantities)."""
    mappings = load_mappings(sync.storage)
    released = sync.products.released(sync.d365, item_numbers(order, mappings))
    decisions, _ = validate(order, mappings, released)
    plan = build_sales_order(order, decisions, sync.config.order)
    wanted: dict[str, tuple[Decimal, Decimal, Decimal]] = {}
    current = {str(li.id): li.current_quantity for li in order.lines}
    for line in plan.lines:
        ref = line["OrderLineReference"]
        qty, price, disc = wanted.get(ref, (Decimal(0), Decimal(line["SalesPrice"]), Decimal(0)))
        wanted[ref] = (qty + line["OrderedSalesQuantity"], price,
                       disc + line["LineDiscountAmount"] * line["OrderedSalesQuantity"])
    for ref, quantity in current.items():  # an order edit changes current_quantity, not quantity
        if quantity is not None and ref in wanted and quantity != wanted[ref][0]:
            qty, price, disc = wanted[ref]
            wanted[ref] = (Decimal(quantity), price, disc) if quantity else (Decimal(0), price, disc)
    return {ref: v for ref, v in wanted.items() if v[0] > 0}


def _have_lines(header: dict[str, Any]) -> dict[str, tuple[Decimal, Decimal, Decimal]]:
    have: dict[str, tuple[Decimal, Decimal, Decimal]] = {}
    for line in header.get("SalesOrderLines") or []:
        if line.get("SalesOrderLineStatus") == "Canceled":
            continue
        ref = str(line.get("OrderLineReference", ""))
        qty = Decimal(str(line.get("OrderedSalesQuantity", 0)))
        q, _, d = have.get(ref, (Decimal(0), Decimal(0), Decimal(0)))
        have[ref] = (q + qty, Decimal(str(line.get("SalesPrice", 0))),
                     d + Decimal(str(line.get("LineDiscountAmount", 0))) * qty)
    return have


def update(sync: OrderSync, order: Order, record: rec.OrderRecord) -> Outcome:
    from integration.orders.service import ENTITY, Outcome

    header = _read(sync, record.sales_order_number)
    wanted, have = _wanted_lines(sync, order), _have_lines(header)
    differences = [{"line": ref, "fo": [str(x) for x in have.get(ref, ())], "shopify": [str(x) for x in
                                                                                        wanted.get(ref, ())]}
                   for ref in sorted(set(wanted) | set(have)) if wanted.get(ref) != have.get(ref)]
    address = delivery_address(order.shipping_address)
    address_changes = {k: v for k, v in address.items()
                       if k in _ADDRESS_SELECT and str(header.get(k, "")) != str(v)}
    if differences or (address_changes and not _is_open(header)):
        failure = Failure(UPDATE_CONFLICT, f"Shopify order {order.name} changed after F&O sales order "
                          f"{record.sales_order_number} was created and F&O cannot take the change automatically",
                          {"sales_order": record.sales_order_number, "line_differences": differences,
                           "address_changes": sorted(address_changes),
                           "fo_status": header.get("SalesOrderProcessingStatus", "")})
        sync._open(order, [failure])
        sync.audit.record(ENTITY, str(order.id), "update", "conflict", target=record.sales_order_number,
                          details={"lines": len(differences), "address": sorted(address_changes)})
        return Outcome(record.status, "conflict", record.sales_order_number, UPDATE_CONFLICT)
    if address_changes:
        try:
            sync.d365.update("SalesOrderHeadersV2", {"SalesOrderNumber": record.sales_order_number},
                             {"IsDeliveryAddressOrderSpecific": "Yes", **address})
        except D365ValidationError as error:
            failure = Failure(UPDATE_CONFLICT, f"F&O refused the address change: {error.message}",
                              {"sales_order": record.sales_order_number, "fo_message": error.message})
            sync._open(order, [failure])
            return Outcome(record.status, "conflict", record.sales_order_number, UPDATE_CONFLICT)
    record.fingerprint = fingerprint(order)
    record.shopify_updated_at = order.updated_at.isoformat() if order.updated_at else record.shopify_updated_at
    sync.records.save(record)
    sync.audit.record(ENTITY, str(order.id), "update", "applied" if address_changes else "no-op",
                      target=record.sales_order_number, details={"address": sorted(address_changes)})
    return Outcome(record.status, "updated", record.sales_order_number)


def cancel(sync: OrderSync, order: Order, record: rec.OrderRecord) -> Outcome:
    from integration.orders.service import ENTITY, Outcome

    if record.status == rec.CANCELLED:
        return Outcome(rec.CANCELLED, "ignored", record.sales_order_number, "already cancelled")
    number = record.sales_order_number
    header = None
    if record.status in rec.IN_FO or record.attempts:
        header = sync.find_existing(number or f"{sync.config.order.number_prefix}{order.order_number}", order.id)
    if header is not None:
        number = str(header["SalesOrderNumber"])
        header = _read(sync, number)
        delivered = [ln.get("InventoryLotId") for ln in header.get("SalesOrderLines") or []
                     if ln.get("SalesOrderLineStatus") not in ("Backorder", "None", "Canceled", "")]
        if header.get("SalesOrderStatus") != "Canceled":
            problem = "" if _is_open(header) and not delivered else \
                f"F&O sales order {number} is {header.get('SalesOrderProcessingStatus')}"
            if not problem:
                try:
                    sync.d365.delete("SalesOrderHeadersV2", {"SalesOrderNumber": number})
                except D365NotFound:
                    pass
                except D365ValidationError as error:
                    problem = f"F&O refused to delete sales order {number}: {error.message}"
            if problem:
                failure = Failure(CANCEL_CONFLICT, f"Shopify order {order.name} was cancelled but {problem}; "
                                  "cancel or return it in F&O", {"sales_order": number,
                                                                 "fo_status": header.get("SalesOrderProcessingStatus"),
                                                                 "lines_shipped_or_invoiced": delivered})
                sync._open(order, [failure])
                sync.audit.record(ENTITY, str(order.id), "cancel", "conflict", target=number)
                return Outcome(record.status, "conflict", number, CANCEL_CONFLICT)
    record.status, record.sales_order_number = rec.CANCELLED, number
    record.shopify_updated_at = order.updated_at.isoformat() if order.updated_at else record.shopify_updated_at
    sync.records.save(record)
    sync.exceptions.resolve(ENTITY, str(order.id), "order cancelled in Shopify")
    sync.audit.record(ENTITY, str(order.id), "cancel", "deleted" if header is not None else "never-created",
                      target=number)
    if header is not None:
        sync._write_back(order, record)
    return Outcome(rec.CANCELLED, "cancelled", number, "deleted in F&O" if header is not None else "not in F&O")
