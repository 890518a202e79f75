"""Changes after the order reached F&O: ``orders/updated`` and ``orders/cancelled``.

Updates: F&O's order is compared line by line (Shopify line id = ``OrderLineReference``) with what
the edited Shopify order maps to (``edits.py``: current quantities, refunds left to the refund flow).
A changed ship-to and the line changes (quantity PATCH, added line POST, removed line DELETE) go to
F&O in ONE changeset with the totals read back in the same ``$batch``; the read-back refreshes the
record's ``line_lots`` and is checked against Shopify's current total. A line that F&O has picked,
delivered or invoiced (or a header past that point) makes the update an ``UPDATE_CONFLICT``
exception naming each difference: the ERP order never silently diverges. Older updates are
ignored by the caller.

Cancellation: F&O has no standard OData "cancel" action, so an open sales order with nothing
delivered or invoiced is deleted (F&O itself refuses once anything was shipped or invoiced); the
audit log and the order record keep the trail. Otherwise ``CANCEL_CONFLICT``. A cancellation that
arrives before the order reached F&O marks the record so a late create does nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from integration.clients.d365 import BatchOp, D365NotFound, D365PreconditionFailed, D365ValidationError, odata_literal
from integration.mappings import load_mappings
from integration.orders import records as rec
from integration.orders.edits import (
    by_ref,
    edited_order,
    header_blocks_edits,
    needs_shipped_lots,
    plan_line_changes,
    touched_lines,
)
from integration.orders.model import Order, fingerprint
from integration.orders.salesorder import build_sales_order, delivery_address, fo_total_failure, total_failure
from integration.orders.validation import CANCEL_CONFLICT, UPDATE_CONFLICT, Failure, item_numbers, validate
from integration.refunds.ledger import settle_before_write

if TYPE_CHECKING:
    from integration.orders.service import OrderSync, Outcome

UPDATE_ATTEMPTS = 3
OPEN_STATUSES = ("Backorder", "None", "")
OPEN_PROCESSING = ("Active", "Confirmed", "None", "")
_ADDRESS_SELECT = [
    "DeliveryAddressName",
    "DeliveryAddressStreet",
    "DeliveryAddressCity",
    "DeliveryAddressStateId",
    "DeliveryAddressZipCode",
    "DeliveryAddressCountryRegionId",
]
_LINES = (
    "SalesOrderLines($select=InventoryLotId,OrderLineReference,ItemNumber,OrderedSalesQuantity,SalesPrice,"
    "LineDiscountAmount,FixedPriceCharges,LineAmount,SalesOrderLineStatus,FulfillmentStatus)"
)


def _is_open(header: dict[str, Any]) -> bool:
    return (
        str(header.get("SalesOrderStatus", "")) in OPEN_STATUSES
        and str(header.get("SalesOrderProcessingStatus", "")) in OPEN_PROCESSING
    )


def _read(sync: OrderSync, number: str) -> dict[str, Any]:
    return dict(
        sync.d365.get(
            "SalesOrderHeadersV2",
            {"SalesOrderNumber": number},
            select=[
                "SalesOrderNumber",
                "SalesOrderStatus",
                "SalesOrderProcessingStatus",
                "OrderTotalAmount",
                "OrderTotalTaxAmount",
                *_ADDRESS_SELECT,
            ],
            expand=_LINES,
        )
    )


def update(sync: OrderSync, order: Order, record: rec.OrderRecord) -> Outcome:
    """:func:`apply_update`; the line and header writes carry the ETags read, so when F&O changed
    the order in between (a 412) the update re-reads and re-plans (bounded)."""
    for _ in range(UPDATE_ATTEMPTS - 1):
        try:
            return apply_update(sync, order, record)
        except D365PreconditionFailed:
            sync.hooks.reached("order.update_replanned", str(order.id))
            # Re-read the record too: a newer update may have been applied meanwhile (a holder whose
            # lease expired); this older one must then not write.
            record = sync.records.get(order.id) or record
            applied, seen = record.shopify_updated_at, order.updated_at.isoformat() if order.updated_at else ""
            if applied and seen and seen < applied:
                return sync._ignore(order, record, f"stale: updated_at {seen} < {applied} (applied meanwhile)")
    return apply_update(sync, order, record)


def apply_update(sync: OrderSync, order: Order, record: rec.OrderRecord) -> Outcome:
    """Apply an ``orders/updated`` to the F&O order: ship-to on the header, edited lines (quantity
    changed, added, removed) as PATCH/POST/DELETE of ``SalesOrderLines`` -- all in one changeset,
    with F&O's totals read back in the same ``$batch``. Lines F&O has picked, delivered or invoiced
    (or a header past that point) make the whole update an ``UPDATE_CONFLICT``; nothing is half-applied."""
    from integration.orders.service import ENTITY, Outcome, line_lots

    number = record.sales_order_number
    # A refund reduction left pending by a dead writer is settled while the lines still show what it
    # did; after this update's write the line's ETag would no longer tell (integration/refunds/ledger.py).
    settle_before_write(sync.d365, sync.storage, str(order.id))
    header = _read(sync, number)
    sync.hooks.reached("order.update_read", str(order.id))
    edit = edited_order(order)
    mappings = load_mappings(sync.storage)
    released = sync.products.released(sync.d365, item_numbers(edit.order, mappings))
    decisions, failures = validate(edit.order, mappings, released)
    plan = build_sales_order(edit.order, decisions, sync.config.order)
    have = by_ref(header.get("SalesOrderLines") or [])
    changes = plan_line_changes(by_ref(plan.lines), have, edit.refunded_refs)
    address = delivery_address(order.shipping_address)
    address_changes = {k: v for k, v in address.items() if k in _ADDRESS_SELECT and str(header.get(k, "")) != str(v)}
    money_checked = not order.refunded_quantities  # current totals include refunds the refund flow books
    if changes.differences and failures:
        return _refuse(sync, order, record, failures)
    if changes.differences and money_checked and (failure := total_failure(edit.order, plan)):
        return _refuse(sync, order, record, [failure])
    blocked = header_blocks_edits(header) if changes.differences else ""
    touched: list[dict[str, str]] = []
    if changes.differences and not blocked:
        shipped = _shipped_lots(sync, number) if needs_shipped_lots(header) else set()
        touched = touched_lines(changes.refs, have, shipped)
    if blocked or touched or edit.mixed or (address_changes and not _is_open(header)):
        why = blocked or (
            "F&O lines are picked, delivered or invoiced"
            if touched
            else "lines changed by an edit and a refund"
            if edit.mixed
            else "the order is not open"
        )
        return _conflict(
            sync,
            order,
            record,
            header,
            f"{why}; F&O cannot take the change automatically",
            {
                "line_differences": changes.differences,
                "address_changes": sorted(address_changes),
                "lines_in_progress": touched,
                "edited_and_refunded_lines": list(edit.mixed),
            },
        )
    ops = (
        [
            BatchOp(
                "PATCH",
                "SalesOrderHeadersV2",
                {"IsDeliveryAddressOrderSpecific": "Yes", **address},
                {"SalesOrderNumber": number},
                str(header["@odata.etag"]) if header.get("@odata.etag") else None,
            )
        ]
        if address_changes
        else []
    ) + changes.operations
    if ops:
        try:
            *_, read = sync.d365.batch(ops, reads=[sync.order_read(number)])
        except D365ValidationError as error:
            return _conflict(
                sync,
                order,
                record,
                header,
                f"F&O refused the change: {error.message}",
                {
                    "line_differences": changes.differences,
                    "address_changes": sorted(address_changes),
                    "fo_message": error.message,
                },
            )
        header = dict(read.body) if read.error() is None and isinstance(read.body, dict) else sync.read_order(number)
        record.line_lots = line_lots(header)
    # With refunds the current totals include money the refund flow books: the status stays what it was.
    checked = money_checked and "OrderTotalAmount" in header
    mismatch = fo_total_failure(edit.order, plan, header) if checked else None
    if "OrderTotalAmount" in header:
        record.fo_total = str(header["OrderTotalAmount"])
    if checked:
        record.shopify_total = str(edit.order.total_price.shop)
        record.status, record.reason_code = (rec.MISMATCH, mismatch.reason_code) if mismatch else (rec.CREATED, "")
    record.fingerprint = fingerprint(order)
    record.shopify_updated_at = _latest(record.shopify_updated_at, order)
    sync.records.save(record)
    if mismatch:
        sync._open(order, [mismatch])
    elif checked:
        sync.exceptions.resolve(ENTITY, str(order.id), f"update applied to F&O sales order {number}")
    sync.audit.record(
        ENTITY,
        str(order.id),
        "update",
        "applied" if ops else "no-op",
        target=number,
        details={
            "address": sorted(address_changes),
            "lines": changes.differences,
            "operations": [f"{op.method} {op.entity_set}" for op in ops],
        },
    )
    return Outcome(record.status, "updated", number)


def _latest(applied: str, order: Order) -> str:
    """The Shopify ``updated_at`` last applied never moves backwards."""
    seen = order.updated_at.isoformat() if order.updated_at else ""
    return max(applied, seen)


def _shipped_lots(sync: OrderSync, number: str) -> set[str]:
    rows = sync.d365.query(
        "CustPackingSlipTransBiEntities",
        filter=sync.d365.company_filter(f"SalesId eq {odata_literal(number)}"),
        select=["InventTransId", "Qty"],
    )
    return {str(r.get("InventTransId", "")) for r in rows if Decimal(str(r.get("Qty", 0))) != 0}


def _conflict(
    sync: OrderSync, order: Order, record: rec.OrderRecord, header: dict[str, Any], why: str, values: dict[str, Any]
) -> Outcome:
    from integration.orders.service import ENTITY, Outcome

    failure = Failure(
        UPDATE_CONFLICT,
        f"Shopify order {order.name} changed after F&O sales order {record.sales_order_number} was created: {why}",
        {
            "sales_order": record.sales_order_number,
            **values,
            "fo_status": header.get("SalesOrderStatus", ""),
            "fo_processing_status": header.get("SalesOrderProcessingStatus", ""),
        },
    )
    sync._open(order, [failure])
    sync.audit.record(
        ENTITY,
        str(order.id),
        "update",
        "conflict",
        target=record.sales_order_number,
        details={"lines": len(values.get("line_differences") or []), "address": values.get("address_changes") or []},
    )
    return Outcome(record.status, "conflict", record.sales_order_number, UPDATE_CONFLICT)


def _refuse(sync: OrderSync, order: Order, record: rec.OrderRecord, failures: list[Failure]) -> Outcome:
    """The edited order is not ERP-ready (unknown SKU, totals): nothing is written, the update waits."""
    from integration.orders.service import ENTITY, Outcome

    sync._open(order, failures)
    sync.audit.record(
        ENTITY,
        str(order.id),
        "update",
        failures[0].reason_code,
        target=record.sales_order_number,
        details={"reasons": [f.reason_code for f in failures]},
    )
    return Outcome(record.status, "conflict", record.sales_order_number, failures[0].reason_code)


def cancel(sync: OrderSync, order: Order, record: rec.OrderRecord) -> Outcome:
    from integration.orders.service import ENTITY, Outcome

    if record.status == rec.CANCELLED:
        return Outcome(rec.CANCELLED, "ignored", record.sales_order_number, "already cancelled")
    number = record.sales_order_number
    # Always look F&O up by the deterministic key (and the Shopify id) before deciding: a create
    # in flight, or one whose record save was lost, may have put the order there already.
    header = sync.find_existing(number or f"{sync.config.order.number_prefix}{order.order_number}", order.id)
    if header is not None:
        number = str(header["SalesOrderNumber"])
        header = _read(sync, number)
        delivered = [
            ln.get("InventoryLotId")
            for ln in header.get("SalesOrderLines") or []
            if ln.get("SalesOrderLineStatus") not in ("Backorder", "None", "Canceled", "")
        ]
        if header.get("SalesOrderStatus") != "Canceled":
            problem = (
                ""
                if _is_open(header) and not delivered
                else f"F&O sales order {number} is {header.get('SalesOrderProcessingStatus')}"
            )
            if not problem:
                try:
                    # If-Match the header read: a change since (F&O moved it on) fails with 412 and
                    # the redelivery decides again on what F&O has then.
                    sync.d365.delete(
                        "SalesOrderHeadersV2", {"SalesOrderNumber": number}, etag=header.get("@odata.etag") or None
                    )
                except D365NotFound:
                    pass
                except D365ValidationError as error:
                    problem = f"F&O refused to delete sales order {number}: {error.message}"
            if problem:
                failure = Failure(
                    CANCEL_CONFLICT,
                    f"Shopify order {order.name} was cancelled but {problem}; cancel or return it in F&O",
                    {
                        "sales_order": number,
                        "fo_status": header.get("SalesOrderProcessingStatus"),
                        "lines_shipped_or_invoiced": delivered,
                    },
                )
                sync._open(order, [failure])
                sync.audit.record(ENTITY, str(order.id), "cancel", "conflict", target=number)
                return Outcome(record.status, "conflict", number, CANCEL_CONFLICT)
    record.status, record.sales_order_number = rec.CANCELLED, number
    record.shopify_updated_at = _latest(record.shopify_updated_at, order)
    sync.records.save(record)
    sync.exceptions.resolve(ENTITY, str(order.id), "order cancelled in Shopify")
    sync.audit.record(
        ENTITY, str(order.id), "cancel", "deleted" if header is not None else "never-created", target=number
    )
    if header is not None:
        sync._write_back(order, record)
    return Outcome(rec.CANCELLED, "cancelled", number, "deleted in F&O" if header is not None else "not in F&O")
