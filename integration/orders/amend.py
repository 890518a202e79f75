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
from typing import Any

from integration.clients.d365 import (
    BatchOp,
    D365Client,
    D365NotFound,
    D365PreconditionFailed,
    D365ValidationError,
    odata_literal,
)
from integration.mappings import load_mappings
from integration.orders import records as rec
from integration.orders import sales_orders
from integration.orders.edits import (
    by_ref,
    edited_order,
    header_blocks_edits,
    needs_shipped_lots,
    plan_line_changes,
    touched_lines,
)
from integration.orders.model import Order, fingerprint
from integration.orders.outcome import ENTITY, OrderLedger, Outcome, line_lots
from integration.orders.products import ProductCache
from integration.orders.salesorder import (
    OrderSettings,
    build_sales_order,
    delivery_address,
    fo_total_failure,
    total_failure,
)
from integration.orders.validation import CANCEL_CONFLICT, UPDATE_CONFLICT, Failure, item_numbers, validate
from integration.refunds.ledger import settle_before_write
from shared.hooks import Hooks
from shared.storage import Storage

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


def _latest(applied: str, order: Order) -> str:
    """The Shopify ``updated_at`` last applied never moves backwards."""
    seen = order.updated_at.isoformat() if order.updated_at else ""
    return max(applied, seen)


class OrderChanges:
    """Updates and cancellations of an order F&O already has (or may have): the order flow's
    collaborator for ``orders/updated`` and ``orders/cancelled``."""

    def __init__(
        self,
        d365: D365Client,
        storage: Storage,
        settings: OrderSettings,
        ledger: OrderLedger,
        products: ProductCache,
        hooks: Hooks,
    ) -> None:
        self.d365, self.storage, self.settings = d365, storage, settings
        self.ledger, self.products, self.hooks = ledger, products, hooks

    def _read(self, number: str) -> dict[str, Any]:
        return dict(
            self.d365.get(
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

    def update(self, order: Order, record: rec.OrderRecord) -> Outcome:
        """:func:`apply_update`; the line and header writes carry the ETags read, so when F&O changed
        the order in between (a 412) the update re-reads and re-plans (bounded)."""
        for _ in range(UPDATE_ATTEMPTS - 1):
            try:
                return self.apply_update(order, record)
            except D365PreconditionFailed:
                self.hooks.reached("order.update_replanned", str(order.id))
                # Re-read the record too: a newer update may have been applied meanwhile (a holder whose
                # lease expired); this older one must then not write.
                record = self.ledger.records.get(order.id) or record
                applied, seen = record.shopify_updated_at, order.updated_at.isoformat() if order.updated_at else ""
                if applied and seen and seen < applied:
                    return self.ledger.ignore(
                        order, record, f"stale: updated_at {seen} < {applied} (applied meanwhile)"
                    )
        return self.apply_update(order, record)

    def apply_update(self, order: Order, record: rec.OrderRecord) -> Outcome:
        """Apply an ``orders/updated`` to the F&O order: ship-to on the header, edited lines (quantity
        changed, added, removed) as PATCH/POST/DELETE of ``SalesOrderLines`` -- all in one changeset,
        with F&O's totals read back in the same ``$batch``. Lines F&O has picked, delivered or invoiced
        (or a header past that point) make the whole update an ``UPDATE_CONFLICT``; nothing is half-applied."""
        number = record.sales_order_number
        # A refund reduction left pending by a dead writer is settled while the lines still show what it
        # did; after this update's write the line's ETag would no longer tell (integration/refunds/ledger.py).
        settle_before_write(self.d365, self.storage, str(order.id))
        header = self._read(number)
        self.hooks.reached("order.update_read", str(order.id))
        edit = edited_order(order)
        mappings = load_mappings(self.storage)
        released = self.products.released(self.d365, item_numbers(edit.order, mappings))
        decisions, failures = validate(edit.order, mappings, released)
        plan = build_sales_order(edit.order, decisions, self.settings)
        have = by_ref(header.get("SalesOrderLines") or [])
        changes = plan_line_changes(by_ref(plan.lines), have, edit.refunded_refs)
        address = delivery_address(order.shipping_address)
        address_changes = {
            k: v for k, v in address.items() if k in _ADDRESS_SELECT and str(header.get(k, "")) != str(v)
        }
        money_checked = not order.refunded_quantities  # current totals include refunds the refund flow books
        if changes.differences and failures:
            return self._refuse(order, record, failures)
        if changes.differences and money_checked and (failure := total_failure(edit.order, plan)):
            return self._refuse(order, record, [failure])
        blocked = header_blocks_edits(header) if changes.differences else ""
        touched: list[dict[str, str]] = []
        if changes.differences and not blocked:
            shipped = self._shipped_lots(number) if needs_shipped_lots(header) else set()
            touched = touched_lines(changes.refs, have, shipped)
        if blocked or touched or edit.mixed or (address_changes and not _is_open(header)):
            why = blocked or (
                "F&O lines are picked, delivered or invoiced"
                if touched
                else "lines changed by an edit and a refund"
                if edit.mixed
                else "the order is not open"
            )
            return self._conflict(
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
                *_, read = self.d365.batch(ops, reads=[sales_orders.read_request(number)])
            except D365ValidationError as error:
                return self._conflict(
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
            header = (
                dict(read.body)
                if read.error() is None and isinstance(read.body, dict)
                else sales_orders.read(self.d365, number)
            )
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
        self.ledger.records.save(record)
        if mismatch:
            self.ledger.open(order, [mismatch])
        elif checked:
            self.ledger.exceptions.resolve(ENTITY, str(order.id), f"update applied to F&O sales order {number}")
        self.ledger.audit.record(
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

    def _shipped_lots(self, number: str) -> set[str]:
        rows = self.d365.query(
            "CustPackingSlipTransBiEntities",
            filter=self.d365.company_filter(f"SalesId eq {odata_literal(number)}"),
            select=["InventTransId", "Qty"],
        )
        return {str(r.get("InventTransId", "")) for r in rows if Decimal(str(r.get("Qty", 0))) != 0}

    def _conflict(
        self, order: Order, record: rec.OrderRecord, header: dict[str, Any], why: str, values: dict[str, Any]
    ) -> Outcome:
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
        self.ledger.open(order, [failure])
        self.ledger.audit.record(
            ENTITY,
            str(order.id),
            "update",
            "conflict",
            target=record.sales_order_number,
            details={
                "lines": len(values.get("line_differences") or []),
                "address": values.get("address_changes") or [],
            },
        )
        return Outcome(record.status, "conflict", record.sales_order_number, UPDATE_CONFLICT)

    def _refuse(self, order: Order, record: rec.OrderRecord, failures: list[Failure]) -> Outcome:
        """The edited order is not ERP-ready (unknown SKU, totals): nothing is written, the update waits."""
        self.ledger.open(order, failures)
        self.ledger.audit.record(
            ENTITY,
            str(order.id),
            "update",
            failures[0].reason_code,
            target=record.sales_order_number,
            details={"reasons": [f.reason_code for f in failures]},
        )
        return Outcome(record.status, "conflict", record.sales_order_number, failures[0].reason_code)

    def cancel(self, order: Order, record: rec.OrderRecord) -> Outcome:
        if record.status == rec.CANCELLED:
            return Outcome(rec.CANCELLED, "ignored", record.sales_order_number, "already cancelled")
        number = record.sales_order_number
        # Always look F&O up by the deterministic key (and the Shopify id) before deciding: a create
        # in flight, or one whose record save was lost, may have put the order there already.
        header = sales_orders.find_existing(
            self.d365, number or f"{self.settings.number_prefix}{order.order_number}", order.id
        )
        if header is not None:
            number = str(header["SalesOrderNumber"])
            header = self._read(number)
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
                        self.d365.delete(
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
                    self.ledger.open(order, [failure])
                    self.ledger.audit.record(ENTITY, str(order.id), "cancel", "conflict", target=number)
                    return Outcome(record.status, "conflict", number, CANCEL_CONFLICT)
        record.status, record.sales_order_number = rec.CANCELLED, number
        record.shopify_updated_at = _latest(record.shopify_updated_at, order)
        self.ledger.records.save(record)
        self.ledger.exceptions.resolve(ENTITY, str(order.id), "order cancelled in Shopify")
        self.ledger.audit.record(
            ENTITY, str(order.id), "cancel", "deleted" if header is not None else "never-created", target=number
        )
        if header is not None:
            self.ledger.write_back(order, record)
        return Outcome(rec.CANCELLED, "cancelled", number, "deleted in F&O" if header is not None else "not in F&O")
