"""The refund flow: Shopify refund -> F&O credit note (return order) linked to the invoiced lines.

One call per queue message (:meth:`RefundService.handle`), two F&O requests on the usual path: every
read in one ``$batch`` of GET parts (``fo_reads.py``), then header + lines in one changeset with the
read-back as GET parts after it. Idempotent by construction: the return order number is derived from
the refund id; a retry (a stored refund record) reads it in the first batch and does not write it again,
and a retry whose earlier attempt died before saving any record meets F&O's "already exists" and reads
the order back instead. Nothing is booked while the refund's money is pending or before
the order is invoiced; those wait (``RefundNotYet``) with backoff up to the wait horizon.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from integration.cases import ExceptionStore
from integration.clients.d365 import BatchOp, D365AlreadyExists, D365Client, D365ValidationError
from integration.clients.shopify import ShopifyAdmin, ShopifyUserErrors, gid
from integration.crm import hooks as crm_hooks
from integration.refunds import fo_reads
from integration.refunds.config import REDUCE_ORDER, RefundConfig
from integration.refunds.errors import RefundBlocked, RefundNotYet, RefundProblem
from integration.refunds.invoiced import InvoicedOrder
from integration.refunds.ledger import reduce_order
from integration.refunds.mapping import (
    HEADER_SET,
    LINE_SET,
    CreditNotePlan,
    ShopifyOrderLines,
    plan_credit_note,
)
from integration.refunds.model import CENT, Refund, RefundPayloadError, parse_refund
from integration.refunds.records import (
    CREDITED,
    DONE,
    EXCEPTION,
    MISMATCH,
    NOTHING,
    ORDER_REDUCED,
    WAITING,
    RefundRecord,
    RefundRecordConflict,
    RefundRecords,
)
from integration.refunds.reduction import LineReduction, plan_order_reduction
from integration.refunds.validation import check_credit_note, fo_totals, tax_or_total
from shared.audit import AuditLog
from shared.hooks import Hooks
from shared.lease import ORDER_LEASE_SECONDS, LeaseBusy, holding_order
from shared.logs import get_logger, log_event
from shared.storage import Storage

ENTITY = "refund"
log = get_logger(__name__)


@dataclass
class Outcome:
    status: str  # credited | duplicate | waiting | exception | mismatch | order_reduced | nothing_to_credit
    order_id: str = ""
    refund_id: str = ""
    credit_note: str = ""
    reason_code: str = ""
    retry_after: float | None = None  # seconds, when status == waiting


class RefundService:
    def __init__(
        self,
        d365: D365Client,
        shopify: ShopifyAdmin | None,
        storage: Storage,
        config: RefundConfig | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        hooks: Hooks | None = None,
    ) -> None:
        self.hooks = hooks or Hooks()
        self.lease_seconds = ORDER_LEASE_SECONDS
        self.d365 = d365
        self.shopify = shopify
        self.config = config or RefundConfig()
        self.storage = storage
        self.records = RefundRecords(storage)
        self.exceptions = ExceptionStore(storage)
        self.audit = AuditLog(storage)
        self.now = now

    # -- entry points --------------------------------------------------------------------------------
    def fetch_refund(self, entity_id: str) -> dict[str, Any]:
        """A refund re-read from Shopify (ops resync/reconciliation): ``<order id>/<refund id>``."""
        order_id, _, refund_id = entity_id.partition("/")
        if self.shopify is None:
            raise RefundPayloadError("resync of a refund needs the Shopify Admin API (SHOPIFY_ADMIN_TOKEN)")
        order = self.shopify.get_order(order_id) or {}
        for refund in order.get("refunds") or []:
            if str(refund.get("id")) == refund_id:
                return {"order_id": order_id, **refund}
        raise RefundPayloadError(f"refund {refund_id} not found on Shopify order {order_id}")

    def handle(self, payload: dict[str, Any]) -> Outcome:
        try:
            refund = parse_refund(payload)
            if refund.pending_transactions and self.shopify is not None:
                refund = parse_refund(self._settled(refund, payload))
        except RefundPayloadError as error:
            order_id, refund_id = str(payload.get("order_id") or ""), str(payload.get("id") or "")
            # The record first, then the exception: a later valid delivery resolves the exception only when
            # it finds a stored record, so an exception must never exist without one.
            if order_id and refund_id:
                self._note_invalid(RefundRecord(order_id, refund_id), str(error))
            self.exceptions.open(ENTITY, f"{order_id}/{refund_id}", "refund_payload_invalid", str(error), {})
            return Outcome("exception", reason_code="refund_payload_invalid")
        record = RefundRecord(refund.order_id, refund.id)
        started, cpu_started = time.monotonic(), time.thread_time()
        try:
            # One writer per Shopify order (shared with order sync and fulfillment); the record is read
            # under the lease, with its ETag (a duplicate delivery waits for the lease like any other).
            with holding_order(self.storage, refund.order_id, seconds=self.lease_seconds):
                self.hooks.reached("refund.leased", refund.id)
                record = self.records.get(refund.order_id, refund.id) or record
                if record.status in DONE:
                    if record.status == CREDITED and not record.writeback_done:
                        details = self._write_back(refund, record)
                        if record.writeback_done:
                            self.records.save(record)
                            self.audit.record(
                                ENTITY, record.entity_id, "writeback", "ok", target="shopify", details=details
                            )
                    return Outcome("duplicate", refund.order_id, refund.id, record.credit_note_number)
                if record.status == EXCEPTION:
                    record.first_wait_at, record.wait_attempts = "", 0  # a person asked for another try
                return self._process(refund, record)
        except LeaseBusy as busy:
            # Another delivery of this order is writing: put back until its lease ends (not a wait).
            return Outcome(
                WAITING, refund.order_id, refund.id, reason_code="refund_order_busy", retry_after=busy.retry_after_s
            )
        except RefundNotYet as problem:
            return self._wait(refund, record, problem)
        except RefundProblem as problem:
            return self._blocked(refund, record, problem)
        except D365ValidationError as error:
            rejected = RefundBlocked(
                "d365_rejected",
                f"F&O refused the credit note: {error.message}",
                {"status": error.status, "entity_set": error.entity_set, "credit_note": record.credit_note_number},
            )
            return self._blocked(refund, record, rejected)
        finally:
            log_event(
                log,
                "refund.handled",
                refund_id=refund.id,
                order_id=refund.order_id,
                status=record.status,
                duration_ms=round((time.monotonic() - started) * 1000, 1),
                cpu_ms=round((time.thread_time() - cpu_started) * 1000, 1),  # this function's own CPU
            )

    def _settled(self, refund: Refund, payload: dict[str, Any]) -> dict[str, Any]:
        """The message's refund with its transactions' statuses as Shopify has them now: every retry
        of a pending refund re-reads it (GraphQL ``refund(id:)``), so it completes once settled."""
        assert self.shopify is not None
        current = self.shopify.refund_transactions(refund.gid)
        if not current:
            return payload
        status = {t["id"]: t["status"] for t in current}
        transactions = [
            {**t, "status": status.get(str(t.get("id")), t.get("status"))} if isinstance(t, dict) else t
            for t in payload.get("transactions") or []
        ]
        return {**payload, "transactions": transactions}

    # -- the flow --------------------------------------------------------------------------------------
    def _process(self, refund: Refund, record: RefundRecord) -> Outcome:
        number = self.config.return_number(refund.id)
        # A stored record means an earlier attempt got this far and may have written the credit note:
        # only then is it looked for (in the same batch). A first attempt whose crash left no record
        # meets F&O's "already exists" on the write instead, answered in that same request.
        side = fo_reads.read_refund_side(self.d365, refund.order_id, number, self.storage, own=bool(record.etag))
        order = side.order
        if order is None:
            raise RefundNotYet(
                "refund_order_not_in_d365",
                f"Shopify order {refund.order_id} has no F&O sales order yet (order sync has not run or failed)",
                {"order_id": refund.order_id},
            )
        record.sales_order_number = order.sales_order_number
        credit_note = side.credit_note or fo_reads.CreditNote()
        header, lines = credit_note.header, credit_note.lines
        shopify = self._shopify_lines(refund, order)
        if header is None and order.nothing_invoiced:
            return self._before_invoice(refund, record, order, shopify)
        plan = plan_credit_note(refund, order, self.config, shopify)
        self._describe(record, refund, plan)
        if not plan.lines:
            record.status = NOTHING
            self.records.save(record)
            self.audit.record(
                ENTITY,
                record.entity_id,
                "credit_note",
                "skipped",
                target="d365",
                details={"reason": "the refund moves no money and no quantity"},
            )
            return Outcome(NOTHING, refund.order_id, refund.id)
        if header is None:
            credit_note = self._create(plan, refund.id)
            assert credit_note.header is not None
            header, lines = credit_note.header, credit_note.lines
        record.credit_note_number = number
        mismatches = check_credit_note(plan, header, lines)
        totals = fo_totals(header, lines)  # the numbers the check compared
        record.d365_total, record.d365_tax = str(totals["total"].quantize(CENT)), str(totals["tax"].quantize(CENT))
        if mismatches:
            values = {
                "credit_note": number,
                "sales_order": order.sales_order_number,
                "invoices": plan.invoice_numbers,
                "differences": [m.as_values() for m in mismatches],
            }
            reason = tax_or_total(mismatches)
            text = "; ".join(f"{m.what}: Shopify {m.shopify} vs F&O {m.d365}" for m in mismatches)
            record.status, record.reason_code, record.message = MISMATCH, reason, text
            self.records.save(record)  # the record before the exception (see _blocked)
            self.exceptions.open(
                ENTITY, record.entity_id, reason, f"credit note {number} differs from the refund: {text}", values
            )
            self.audit.record(ENTITY, record.entity_id, "credit_note_check", "mismatch", target="d365", details=values)
            return Outcome(MISMATCH, refund.order_id, refund.id, number, reason)
        record.credit_note_invoice = credit_note.invoice
        had_problem = bool(record.etag)  # only a stored record can have an exception open
        record.status, record.reason_code, record.message = CREDITED, "", ""
        if had_problem:
            self.exceptions.resolve(ENTITY, record.entity_id, f"credit note {number}")
        crm_hooks.fo_document_known(self.storage, crm_hooks.FO_CREDIT_NOTE, refund.order_id, number, refund.id)
        details = {"credit_note": number, "invoices": plan.invoice_numbers, "total": str(plan.total)}
        details["tax"] = str(plan.tax)
        try:
            # Written back before the record is saved, so one save holds both; a write-back that
            # fails still leaves the record saved as credited (a redelivery then only writes back).
            details |= self._write_back(refund, record)
        except Exception:
            details["writeback"] = "failed"
            raise
        finally:
            self.records.save(record)
            self.audit.record(ENTITY, record.entity_id, "credit_note", "created", target="d365", details=details)
        return Outcome(CREDITED, refund.order_id, refund.id, number)

    def _create(self, plan: CreditNotePlan, refund_id: str) -> fo_reads.CreditNote:
        """Header and lines in one changeset, and the read-back (header totals F&O computed, lines,
        posted credit note) as GET parts after it: one HTTP request."""
        operations = [BatchOp("POST", HEADER_SET, plan.header)]
        operations += [BatchOp("POST", LINE_SET, body) for body in plan.line_bodies()]
        reads = fo_reads.own_reads(self.d365, plan.return_number)
        self.hooks.reached("refund.writing", refund_id)
        error, results = self.d365.batch_then_read(operations, reads)
        if error is not None and not isinstance(error, D365AlreadyExists):
            raise error
        if error is not None and any(r.error is not None for r in results):
            # An earlier attempt (or a concurrent copy of this message) created it, and F&O stopped the
            # batch at the refusal: read it on its own (the one extra request of this rare path).
            results = self.d365.read_batch(reads)
        credit_note = fo_reads.credit_note_of(results)
        if credit_note.header is None:
            raise RefundNotYet(
                "refund_credit_note_not_visible",
                f"return order {plan.return_number} was created but cannot be read back yet",
                {"credit_note": plan.return_number},
            )
        return credit_note

    def _before_invoice(
        self, refund: Refund, record: RefundRecord, order: InvoicedOrder, shopify: ShopifyOrderLines
    ) -> Outcome:
        """Never a credit note without an invoice: reduce the open order, or wait for the invoice."""
        if self.config.uninvoiced_action != REDUCE_ORDER or order.status not in ("Backorder", "None", ""):
            raise RefundNotYet(
                "refund_not_invoiced",
                f"sales order {order.sales_order_number} is not invoiced yet",
                {"sales_order": order.sales_order_number, "status": order.status},
            )
        number = self.config.return_number(refund.id)

        def plan() -> list[LineReduction]:
            # Re-read on every (re-)plan: the quantities are F&O's current ones, never a stored baseline.
            current = fo_reads.read_refund_side(self.d365, refund.order_id, number, self.storage).order
            return plan_order_reduction(refund, current or order, self.config, shopify)

        plan_order_reduction(refund, order, self.config, shopify)  # refuses what cannot reduce, before any write
        record.status = WAITING
        self.records.save(record)
        applied = reduce_order(self.d365, self.storage, refund.order_id, refund.id, plan, self.hooks)
        record.baseline = {}
        record.lines = [
            {"lot": a["lot"], "item": a["item"], "before": a["before"], "after": a["after"], "taken": a["taken"]}
            for a in applied
        ]
        record.status, record.reason_code, record.message = ORDER_REDUCED, "", ""
        self.records.save(record)
        self.exceptions.resolve(ENTITY, record.entity_id, f"open sales order {order.sales_order_number} reduced")
        self.audit.record(
            ENTITY,
            record.entity_id,
            "order_reduced",
            "ok",
            target="d365",
            details={"sales_order": order.sales_order_number, "lines": record.lines},
        )
        return Outcome(ORDER_REDUCED, refund.order_id, refund.id)

    def _shopify_lines(self, refund: Refund, order: InvoicedOrder) -> ShopifyOrderLines:
        """The Shopify order's line order, fetched only when the F&O lines cannot be matched by reference."""
        known = {s.shopify_line_id for s in order.lines}
        needed = any(line.line_item_id not in known and not line.sku for line in refund.lines) or any(
            f"shipping:{s.shipping_line_id}" not in known for s in refund.shipping if s.shipping_line_id
        )
        if not needed or self.shopify is None:
            return ShopifyOrderLines()
        return ShopifyOrderLines.from_order(self.shopify.get_order(refund.order_id))

    # -- bookkeeping -----------------------------------------------------------------------------------
    def _describe(self, record: RefundRecord, refund: Refund, plan: CreditNotePlan) -> None:
        record.invoice_numbers = plan.invoice_numbers
        record.currency = refund.currency
        record.shopify_total, record.shopify_tax = str(refund.total), str(refund.tax_total)
        record.lines = [
            {
                "kind": p.kind,
                "shopify_ref": p.reference,
                "line_item_id": p.shopify_line_item_id,
                "item": p.item,
                "returning_lot": p.returning_lot,
                "quantity": str(p.quantity),
                "amount": str(p.amount),
                "tax": str(p.tax),
                "disposition": p.disposition,
            }
            for p in plan.lines
        ]
        presentment = [m.presentment for line in refund.lines for m in (line.subtotal, line.tax)]
        presentment += [m.presentment for s in refund.shipping for m in (s.amount, s.tax)]
        if presentment and all(p is not None for p in presentment):
            record.presentment = {
                "currency": refund.presentment_currency,
                "total": str(sum((p for p in presentment if p is not None), Decimal(0))),
            }

    def _wait(self, refund: Refund, record: RefundRecord, problem: RefundNotYet) -> Outcome:
        now = self.now()
        record.first_wait_at = record.first_wait_at or now.isoformat()
        record.wait_attempts += 1
        waited = (now - datetime.fromisoformat(record.first_wait_at)).total_seconds()
        record.reason_code, record.message = problem.reason_code, problem.message
        if waited >= self.config.wait_horizon_s:
            values = {**problem.values, "waited_hours": round(waited / 3600, 2), "attempts": record.wait_attempts}
            record.status = EXCEPTION
            self.records.save(record)  # the record before the exception (see _blocked)
            self.exceptions.open(
                ENTITY,
                record.entity_id,
                problem.reason_code,
                f"{problem.message} (still after {values['waited_hours']} h)",
                values,
            )
            self.audit.record(ENTITY, record.entity_id, "wait", "expired", details=values)
            return Outcome(EXCEPTION, refund.order_id, refund.id, reason_code=problem.reason_code)
        record.status = WAITING
        self.records.save(record)
        delay = self.config.retry_delay(record.wait_attempts)
        self.audit.record(
            ENTITY, record.entity_id, "wait", problem.reason_code, details={**problem.values, "retry_in_s": delay}
        )
        return Outcome(WAITING, refund.order_id, refund.id, reason_code=problem.reason_code, retry_after=delay)

    def _blocked(self, refund: Refund, record: RefundRecord, problem: RefundProblem) -> Outcome:
        # The record before the exception: the success path resolves an exception only when a record is
        # stored (one Table call fewer per refund), so a crash in between must leave a record without an
        # exception (the retry opens it), never an exception without a record (it would stay open).
        record.status, record.reason_code, record.message = EXCEPTION, problem.reason_code, problem.message
        self.records.save(record)
        self.exceptions.open(ENTITY, record.entity_id, problem.reason_code, problem.message, problem.values)
        self.audit.record(
            ENTITY,
            record.entity_id,
            "credit_note",
            "exception",
            details={"reason_code": problem.reason_code, **problem.values},
        )
        return Outcome(EXCEPTION, refund.order_id, refund.id, reason_code=problem.reason_code)

    def _write_back(self, refund: Refund, record: RefundRecord) -> dict[str, str]:
        """Tag (``D365-CN-<number>``) and metafield (``d365.credit_note_<refund id>``) on the Shopify order,
        in one request; sets ``writeback_done`` (the caller saves the record) and returns what the audit
        row names. Transient failures propagate (the queue retries; the credit note is found, not
        re-created); a refusal is audited on its own row and left for a person."""
        if self.shopify is None:
            return {}
        order_gid = gid("Order", refund.order_id)
        tag = f"{self.config.writeback_tag_prefix}{record.credit_note_number}"
        try:
            value = record.credit_note_number + (
                f" (invoice {', '.join(record.invoice_numbers)})" if record.invoice_numbers else ""
            )
            self.shopify.tags_and_metafields(  # one Shopify request
                order_gid,
                [tag],
                [
                    {
                        "ownerId": order_gid,
                        "namespace": self.config.metafield_namespace,
                        "key": f"credit_note_{refund.id}",
                        "type": "single_line_text_field",
                        "value": value,
                    }
                ],
            )
        except ShopifyUserErrors as error:
            self.audit.record(
                ENTITY, record.entity_id, "writeback", "refused", target="shopify", details={"error": str(error)}
            )
            return {"writeback": "refused"}
        record.writeback_done = True
        return {"writeback": "ok", "tag": tag}

    def _note_invalid(self, record: RefundRecord, message: str) -> None:
        current = self.records.get(record.order_id, record.refund_id)
        if current is not None and current.status in DONE:
            return
        record = current or record
        record.status, record.reason_code, record.message = EXCEPTION, "refund_payload_invalid", message[:1000]
        try:
            self.records.save(record)
        except RefundRecordConflict:
            pass  # another delivery saved it meanwhile: its record says more than this one would
