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

from integration.clients.d365 import BatchOp, D365AlreadyExists, D365Client, D365ValidationError
from integration.clients.shopify import ShopifyAdmin
from integration.crm import hooks as crm_hooks
from integration.mappings import Mappings, load_mappings
from integration.orders import records as rec
from integration.orders import sales_orders
from integration.orders.amend import OrderChanges
from integration.orders.customer_match import CustomerLinks, CustomerResolver
from integration.orders.exhausted import record_exhausted
from integration.orders.model import Order, fingerprint, parse_order
from integration.orders.outcome import ENTITY, TRANSIENT_EXHAUSTED, OrderLedger, Outcome, line_lots
from integration.orders.products import DEFAULT_CACHE, ProductCache, available_quantities
from integration.orders.salesorder import (
    OrderSettings,
    SalesOrderPlan,
    build_sales_order,
    fo_total_failure,
    total_failure,
)
from integration.orders.validation import FO_REJECTED, UNKNOWN_SKU, Decisions, Failure, item_numbers, validate
from integration.orders.writeback import write_back
from shared import queues
from shared.hooks import Hooks
from shared.lease import ORDER_LEASE_SECONDS, holding_order
from shared.logs import get_logger, log_event
from shared.settings import Settings
from shared.storage import Storage

log = get_logger(__name__)


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
        self.ledger = OrderLedger(storage, shopify)
        self.records, self.exceptions, self.audit = self.ledger.records, self.ledger.exceptions, self.ledger.audit
        self.changes = OrderChanges(d365, storage, config.order, self.ledger, products, self.hooks)
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
        record_exhausted(self.ledger, order_id, topic, error, dequeue_count)

    def _handle(self, topic: str, payload: dict[str, Any] | None, order_id: str, record: rec.OrderRecord) -> Outcome:
        payload = self._load(topic, payload, order_id, record)
        if payload is None:
            return Outcome(record.status, "ignored", record.sales_order_number, "order not found in Shopify")
        order = parse_order(payload)
        record.order_name = order.name
        if topic == queues.ORDER_CANCELLED or order.cancelled_at is not None:
            return self.changes.cancel(order, record)
        if record.status == rec.CANCELLED:
            return self.ledger.ignore(order, record, "order was cancelled")
        applied = record.shopify_updated_at
        if applied and order.updated_at and order.updated_at.isoformat() < applied and record.status in rec.IN_FO:
            return self.ledger.ignore(order, record, f"stale: updated_at {order.updated_at.isoformat()} < {applied}")
        if record.status in rec.IN_FO:
            if fingerprint(order) == record.fingerprint:
                if not record.written_back:
                    self.ledger.write_back(order, record)
                return self.ledger.ignore(order, record, "no ERP-relevant change (e.g. our own tag write-back)")
            return self.changes.update(order, record)
        return self.create(order, record)

    def _load(
        self, topic: str, payload: dict[str, Any] | None, order_id: str, record: rec.OrderRecord
    ) -> dict[str, Any] | None:
        """The freshest order body: the message's, unless it is partial or this is a retry."""
        partial = not payload or "line_items" not in payload or "total_price" not in payload
        if partial or record.status == rec.BLOCKED or topic in (queues.ORDER_RETRY, queues.RESYNC):
            fresh = self.shopify.get_order(order_id)
            if fresh is not None:
                return fresh
        return None if partial else payload

    # ---- create ------------------------------------------------------------------------------------
    def _validate(self, order: Order, fresh: bool) -> tuple[Mappings, Decisions, list[Failure]]:
        mappings = load_mappings(self.storage, fresh=fresh)
        released = self.products.released(self.d365, item_numbers(order, mappings))
        available = None
        if mappings.inventory_policy == "hold":
            warehouse = mappings.warehouse_for(order.location_id, _country(order), "")
            available = available_quantities(self.d365, released, warehouse.warehouse if warehouse else "")
        decisions, failures = validate(order, mappings, released, available)
        return mappings, decisions, failures

    def create(self, order: Order, record: rec.OrderRecord) -> Outcome:
        started = time.monotonic()
        # A retry of a blocked or failed order reads the overrides fresh (an ops fix takes effect at once).
        again = record.status == rec.BLOCKED or record.attempts > 0
        prior_failure = again or bool(record.reason_code or record.last_error)
        mappings, decisions, failures = self._validate(order, fresh=again)
        if not again and any(f.reason_code == UNKNOWN_SKU for f in failures):
            # The SKU registry's and the overrides' answers are cached for a few seconds: a product the
            # catalog sync (or a person) added meanwhile must not block its first order, so read them again.
            mappings, decisions, failures = self._validate(order, fresh=True)
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
            return self.ledger.block(order, record, failures)
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
                    return self.ledger.block(order, record, [retry.failure])
                plan, record.customer_account = plan.with_customer(retry.account), retry.account
                header, action = self._create_in_fo(order, plan, record)
        except D365ValidationError as error:
            return self.ledger.block(
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
        if (
            record.attempts > 1
            and (existing := sales_orders.find_existing(self.d365, plan.number, order.id)) is not None
        ):
            return existing, "existing"
        ops = [
            BatchOp("POST", "SalesOrderHeadersV2", plan.header),
            *(BatchOp("POST", "SalesOrderLines", line) for line in plan.lines),
        ]
        header: dict[str, Any] | None = None
        try:
            # The read-back of F&O's computed totals rides in the same $batch, after the changeset:
            # one F&O request per order for a known customer.
            *_, read = self.d365.batch(ops, reads=[sales_orders.read_request(plan.number)])
            action = "created"
            header = dict(read.body) if read.error() is None and isinstance(read.body, dict) else None
        except D365AlreadyExists:
            action = "existing"
        if header is None:
            header = sales_orders.read(self.d365, plan.number)
        if str(header.get("CustomerRequisitionNumber", "")) not in ("", str(order.id)):
            raise D365ValidationError(
                409,
                f"sales order number {plan.number} belongs to Shopify order {header.get('CustomerRequisitionNumber')}",
                "SalesOrderHeadersV2",
            )
        return header, action

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
            return self.changes.cancel(order, current)
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
            self.ledger.open(order, [mismatch])
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


def _country(order: Order) -> str:
    address = order.shipping_address or order.billing_address
    return address.country_code.upper() if address else ""
