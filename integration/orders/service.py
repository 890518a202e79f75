"""The order flow: a Shopify order becomes exactly one ERP-ready F&O sales order.

Per message: load the order (re-fetched from the Admin API when the message is partial, a retry or
a reconciliation pointer), skip echoes and stale updates, validate everything that can be checked
before writing (a failure opens one exception and nothing reaches F&O), resolve the customer,
create header + lines in ONE ``$batch`` changeset under the deterministic ``SalesOrderNumber``,
read F&O's totals back, record the outcome and tag the Shopify order.

F&O requests for a known customer (link cached) and cached products: 1 (the ``$batch`` carries the
changeset and, after it, the GET that reads F&O's computed totals back). Transient errors propagate
so the queue retries; F&O's permanent 400s and every validation failure become exceptions, never
poison messages.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from integration.clients.d365 import (
    BatchOp,
    BatchRead,
    D365AlreadyExists,
    D365Client,
    D365NotFound,
    D365ValidationError,
    odata_literal,
)
from integration.clients.shopify import ShopifyAdmin
from integration.crm import hooks as crm_hooks
from integration.exceptions import ExceptionStore
from integration.mappings import load_mappings
from integration.orders import records as rec
from integration.orders.customers import CustomerLinks, CustomerResolver
from integration.orders.model import Order, fingerprint, parse_order
from integration.orders.products import DEFAULT_CACHE, ProductCache, available_quantities
from integration.orders.salesorder import (
    OrderSettings,
    SalesOrderPlan,
    build_sales_order,
    fo_total_failure,
    total_failure,
)
from integration.orders.validation import FO_REJECTED, Failure, item_numbers, validate
from integration.orders.writeback import write_back
from shared.audit import AuditLog
from shared.hooks import Hooks
from shared.lease import ORDER_LEASE_SECONDS, holding_order
from shared.logs import get_logger, log_event
from shared.settings import Settings
from shared.storage import Storage

ENTITY = "order"
RETRY_TOPIC = "orders/retry"  # internal: an ops retry (payload re-fetched from Shopify)
RESYNC_TOPIC = "integration/resync"  # the ops API's resync/retry envelope (integration/ops/resync.py)
RECONCILE_TOPIC = "orders/reconcile"  # internal: found by the reconciliation timer
TRANSIENT_EXHAUSTED = "TRANSIENT_EXHAUSTED"  # the last delivery failed transiently (integration/orders/exhausted.py)
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
log = get_logger(__name__)


@dataclass
class Outcome:
    status: str
    action: str  # created | existing | blocked | ignored | updated | cancelled | conflict
    sales_order_number: str = ""
    detail: str = ""


@dataclass(frozen=True)
class OrderFlowConfig:
    order: OrderSettings
    customer_prefix: str = "SC"

    @classmethod
    def from_settings(cls, settings: Settings) -> OrderFlowConfig:
        settings.require("D365_LEGAL_ENTITY")
        return cls(
            OrderSettings(settings.D365_LEGAL_ENTITY, settings.D365_ORDER_NUMBER_PREFIX, settings.D365_FREIGHT_ITEM),
            settings.D365_CUSTOMER_PREFIX,
        )


class OrderSync:
    def __init__(
        self,
        storage: Storage,
        d365: D365Client,
        shopify: ShopifyAdmin,
        config: OrderFlowConfig,
        products: ProductCache = DEFAULT_CACHE,
        hooks: Hooks | None = None,
    ) -> None:
        self.storage, self.d365, self.shopify, self.config = storage, d365, shopify, config
        self.hooks = hooks or Hooks()
        self.lease_seconds = ORDER_LEASE_SECONDS
        self.products = products
        self.records = rec.OrderRecords(storage)
        self.exceptions = ExceptionStore(storage)
        self.audit = AuditLog(storage)
        self.customers = CustomerResolver(d365, CustomerLinks(storage), config.customer_prefix)

    # ---- entry point -----------------------------------------------------------------------------
    def handle(
        self, topic: str, payload: dict[str, Any] | None, order_id: str = "", correlation_id: str = ""
    ) -> Outcome:
        order_id = str((payload or {}).get("id") or order_id)
        # One writer per Shopify order: create, update, cancel, refunds and fulfillment of this order
        # take its lease; a concurrent delivery gets LeaseBusy (transient: the queue redelivers it).
        with holding_order(self.storage, order_id, seconds=self.lease_seconds):
            return self._handle_held(topic, payload, order_id, correlation_id)

    def _handle_held(self, topic: str, payload: dict[str, Any] | None, order_id: str, correlation_id: str) -> Outcome:
        self.hooks.reached("order.leased", order_id)
        record = self.records.get(order_id) or rec.OrderRecord(shopify_order_id=order_id)
        record.correlation_id = correlation_id or record.correlation_id
        exhausted = record.reason_code == TRANSIENT_EXHAUSTED
        outcome = self._handle(topic, payload, order_id, record)
        if exhausted and outcome.action not in ("blocked", "conflict") and outcome.status != rec.MISMATCH:
            # A replay from the poison queue (or any later delivery) got through.
            self.exceptions.resolve(ENTITY, order_id, f"processed after transient failures ({outcome.action})")
            if record.reason_code == TRANSIENT_EXHAUSTED:
                record.reason_code = ""
                self.records.save(record)
        return outcome

    def transient_exhausted(self, order_id: str, topic: str, error: BaseException, dequeue_count: int) -> None:
        from integration.orders.exhausted import record_exhausted

        record_exhausted(self, order_id, topic, error, dequeue_count)

    def _handle(self, topic: str, payload: dict[str, Any] | None, order_id: str, record: rec.OrderRecord) -> Outcome:
        payload = self._load(topic, payload, order_id, record)
        if payload is None:
            return Outcome(record.status, "ignored", record.sales_order_number, "order not found in Shopify")
        order = parse_order(payload)
        record.order_name = order.name
        if topic == "orders/cancelled" or order.cancelled_at is not None:
            from integration.orders.amend import cancel

            return cancel(self, order, record)
        if record.status == rec.CANCELLED:
            return self._ignore(order, record, "order was cancelled")
        applied = record.shopify_updated_at
        if applied and order.updated_at and order.updated_at.isoformat() < applied and record.status in rec.IN_FO:
            return self._ignore(order, record, f"stale: updated_at {order.updated_at.isoformat()} < {applied}")
        if record.status in rec.IN_FO:
            if fingerprint(order) == record.fingerprint:
                if not record.written_back:
                    self._write_back(order, record)
                return self._ignore(order, record, "no ERP-relevant change (e.g. our own tag write-back)")
            from integration.orders.amend import update

            return update(self, order, record)
        return self.create(order, record)

    def _load(
        self, topic: str, payload: dict[str, Any] | None, order_id: str, record: rec.OrderRecord
    ) -> dict[str, Any] | None:
        """The freshest order body: the message's, unless it is partial or this is a retry."""
        partial = not payload or "line_items" not in payload or "total_price" not in payload
        if partial or record.status == rec.BLOCKED or topic in (RETRY_TOPIC, RESYNC_TOPIC):
            fresh = self.shopify.get_order(order_id)
            if fresh is not None:
                return fresh
        return None if partial else payload

    # ---- create ------------------------------------------------------------------------------------
    def create(self, order: Order, record: rec.OrderRecord) -> Outcome:
        started = time.monotonic()
        # A retry of a blocked or failed order reads the overrides fresh (an ops fix takes effect at once).
        again = record.status == rec.BLOCKED or record.attempts > 0
        prior_failure = again or bool(record.reason_code or record.last_error)
        mappings = load_mappings(self.storage, fresh=again)
        items = item_numbers(order, mappings)
        released = self.products.released(self.d365, items)
        available = None
        if mappings.inventory_policy == "hold":
            warehouse = mappings.warehouse_for(order.location_id, _country(order), "")
            available = available_quantities(self.d365, released, warehouse.warehouse if warehouse else "")
        decisions, failures = validate(order, mappings, released, available)
        plan = build_sales_order(order, decisions, self.config.order, mappings.header_defaults)
        if not failures and (failure := total_failure(order, plan)):
            failures.append(failure)
        resolution = None
        if not failures:
            resolution = self.customers.resolve(order, mappings, fresh=again)
            if resolution.failure:
                failures.append(resolution.failure)
            else:
                plan = plan.with_customer(resolution.account)
                record.customer_account = resolution.account
        if failures:  # a passed validation is in the create row (one audit row per outcome)
            self.audit.record(
                ENTITY,
                str(order.id),
                "validate",
                "failed",
                duration_ms=(time.monotonic() - started) * 1000,
                details={"failures": [f.reason_code for f in failures]},
            )
            return self._block(order, record, failures)
        record.attempts += 1
        record.sales_order_number = plan.number
        try:
            try:
                header, action = self._create_in_fo(order, plan, record)
            except D365ValidationError as error:
                # A linked account F&O no longer has: drop the link, match once more, create again.
                retry = self.customers.relink(order, mappings, resolution) if resolution else None
                if retry is None:
                    raise
                self.audit.record(
                    ENTITY,
                    str(order.id),
                    "customer",
                    "relinked",
                    target=retry.account,
                    details={
                        "stale_account": resolution.account if resolution else "",
                        "how": retry.how,
                        "fo_message": error.message,
                    },
                )
                if retry.failure:
                    return self._block(order, record, [retry.failure])
                plan, record.customer_account = plan.with_customer(retry.account), retry.account
                header, action = self._create_in_fo(order, plan, record)
        except D365ValidationError as error:
            return self._block(
                order,
                record,
                [
                    Failure(
                        FO_REJECTED,
                        f"F&O refused the sales order: {error.message}",
                        {"sales_order": plan.number, "status": error.status, "fo_message": error.message},
                    )
                ],
            )
        except Exception as error:
            record.last_error = f"{type(error).__name__}: {error}"[:1000]
            self.records.save(record)
            raise
        return self._created(order, record, plan, header, action, started, prior_failure)

    def _create_in_fo(self, order: Order, plan: SalesOrderPlan, record: rec.OrderRecord) -> tuple[dict, str]:
        # A first attempt relies on the deterministic key (no extra lookup); a retry looks first,
        # because the earlier attempt may have been applied with its response lost.
        if record.attempts > 1 and (existing := self.find_existing(plan.number, order.id)) is not None:
            return existing, "existing"
        ops = [
            BatchOp("POST", "SalesOrderHeadersV2", plan.header),
            *(BatchOp("POST", "SalesOrderLines", line) for line in plan.lines),
        ]
        header: dict[str, Any] | None = None
        try:
            # The read-back of F&O's computed totals rides in the same $batch, after the changeset:
            # one F&O request per order for a known customer.
            *_, read = self.d365.batch(ops, reads=[self.order_read(plan.number)])
            action = "created"
            header = dict(read.body) if read.error() is None and isinstance(read.body, dict) else None
        except D365AlreadyExists:
            action = "existing"
        if header is None:
            header = self.read_order(plan.number)
        if str(header.get("CustomerRequisitionNumber", "")) not in ("", str(order.id)):
            raise D365ValidationError(
                409,
                f"sales order number {plan.number} belongs to Shopify order {header.get('CustomerRequisitionNumber')}",
                "SalesOrderHeadersV2",
            )
        return header, action

    def order_read(self, number: str) -> BatchRead:
        return BatchRead("SalesOrderHeadersV2", {"SalesOrderNumber": number}, select=HEADER_SELECT, expand=LINES_EXPAND)

    def read_order(self, number: str) -> dict[str, Any]:
        return dict(
            self.d365.get(
                "SalesOrderHeadersV2", {"SalesOrderNumber": number}, select=HEADER_SELECT, expand=LINES_EXPAND
            )
        )

    def find_existing(self, number: str, order_id: int) -> dict[str, Any] | None:
        try:
            return self.read_order(number)
        except D365NotFound:
            pass
        rows = self.d365.get(
            "SalesOrderHeadersV2",
            filter=f"dataAreaId eq {odata_literal(self.d365.legal_entity)} "
            f"and CustomerRequisitionNumber eq {odata_literal(str(order_id))}",
            select=HEADER_SELECT,
            expand=LINES_EXPAND,
            top=1,
            cross_company=True,
        )
        return dict(rows[0]) if rows else None

    def _created(
        self,
        order: Order,
        record: rec.OrderRecord,
        plan: SalesOrderPlan,
        header: dict[str, Any],
        action: str,
        started: float,
        prior_failure: bool = True,
    ) -> Outcome:
        """The sales order is in F&O: write back to Shopify, then save the record ONCE (with
        ``written_back``) and write one audit row. A crash before the save leaves the record short of
        F&O: the redelivery finds the order in F&O ("existing") and writes back again (tags are added,
        never duplicated). The open exception is looked up only when a failure was recorded before."""
        record.sales_order_number = str(header.get("SalesOrderNumber") or plan.number)
        record.line_lots = line_lots(header)
        record.fo_total = str(header.get("OrderTotalAmount", ""))
        record.shopify_total, record.currency = str(order.total_price.shop), order.currency
        record.fingerprint = fingerprint(order)
        record.shopify_updated_at = order.updated_at.isoformat() if order.updated_at else ""
        record.synced_at, record.last_error = rec.now_iso(), ""
        mismatch = fo_total_failure(order, plan, header)
        record.status, record.reason_code = (rec.MISMATCH, mismatch.reason_code) if mismatch else (rec.CREATED, "")
        self.hooks.reached("order.created_in_fo", str(order.id))
        status = "created" if record.status == rec.CREATED else record.status
        write_back_error: Exception | None = None
        try:
            write_back(self.shopify, order.gid, record.sales_order_number, status)
            record.written_back = True
        except Exception as error:  # saved as not written back; the redelivery writes back only
            record.written_back, write_back_error = False, error
        try:
            self.records.save(record)
        except rec.RecordConflict:
            current = self.records.get(order.id)
            if current is None or current.status != rec.CANCELLED:
                raise  # another writer: the redelivery re-reads and re-plans
            # A cancel won while this create was writing: the create deletes its own order (and the
            # cancel's write-back marks the Shopify order cancelled).
            from integration.orders.amend import cancel

            return cancel(self, order, current)
        self.audit.record(
            ENTITY,
            str(order.id),
            "create",
            action,
            target=record.sales_order_number,
            duration_ms=(time.monotonic() - started) * 1000,
            details={
                "fo_total": record.fo_total,
                "shopify_total": record.shopify_total,
                "presentment_total": str(order.total_price.presentment),
                "presentment_currency": order.presentment_currency,
                "written_back": record.written_back,
            },
        )
        if mismatch:
            self._open(order, [mismatch])
        elif prior_failure:
            self.exceptions.resolve(ENTITY, str(order.id), f"synced as F&O sales order {record.sales_order_number}")
        if write_back_error is not None:
            raise write_back_error
        crm_hooks.fo_document_known(self.storage, crm_hooks.FO_SALES_ORDER, str(order.id), record.sales_order_number)
        log_event(
            log,
            "order.synced",
            order_id=str(order.id),
            sales_order=record.sales_order_number,
            action=action,
            status=record.status,
        )
        return Outcome(record.status, action, record.sales_order_number)

    # ---- shared helpers ------------------------------------------------------------------------------
    def _write_back(self, order: Order, record: rec.OrderRecord) -> None:
        status = "created" if record.status == rec.CREATED else record.status
        write_back(self.shopify, order.gid, record.sales_order_number, status)
        record.written_back = True
        self.records.save(record)
        self.audit.record(ENTITY, str(order.id), "writeback", "ok", target=order.gid, details={"status": status})

    def _open(self, order: Order, failures: list[Failure]) -> None:
        first = failures[0]
        message = "; ".join(f"{f.reason_code}: {f.message}" for f in failures)
        values = {
            "order_name": order.name,
            "failures": [{"reason_code": f.reason_code, "message": f.message, "values": f.values} for f in failures],
        }
        self.exceptions.open(ENTITY, str(order.id), first.reason_code, message, values)

    def _block(self, order: Order, record: rec.OrderRecord, failures: list[Failure]) -> Outcome:
        record.status, record.reason_code = rec.BLOCKED, failures[0].reason_code
        record.last_error = "; ".join(f.message for f in failures)[:1000]
        self.records.save(record)
        self._open(order, failures)
        self.audit.record(
            ENTITY,
            str(order.id),
            "blocked",
            failures[0].reason_code,
            details={"reasons": [f.reason_code for f in failures]},
        )
        return Outcome(rec.BLOCKED, "blocked", record.sales_order_number, record.reason_code)

    def _ignore(self, order: Order, record: rec.OrderRecord, why: str) -> Outcome:
        self.audit.record(ENTITY, str(order.id), "ignored", "ok", details={"why": why})
        return Outcome(record.status, "ignored", record.sales_order_number, why)


def line_lots(header: dict[str, Any]) -> dict[str, list[str]]:
    """Shopify line item id (or ``shipping:<id>``) -> the F&O InventoryLotId(s) of its line(s)."""
    lots: dict[str, list[str]] = {}
    for line in header.get("SalesOrderLines") or []:
        ref = str(line.get("OrderLineReference", ""))
        if ref:
            lots.setdefault(ref, []).append(str(line.get("InventoryLotId", "")))
    return lots


def _country(order: Order) -> str:
    address = order.shipping_address or order.billing_address
    return address.country_code.upper() if address else ""
