"""Payments -> F&O: for an invoiced order, every money-moving Shopify transaction becomes one line of a
customer payment journal (batched per day and gateway by default), marked against the invoice when F&O
has exactly one. Posting stays with F&O (its users or a batch job): standard OData cannot post a journal.

Trigger: the timer ``payments_timer`` (``PAYMENTS_SYNC_SCHEDULE``) walks the orders order sync put in F&O
during the last ``PAYMENTS_LOOKBACK_DAYS``; an order without an invoice is skipped until it has one (so a
line is never written before there is an invoice to mark). ``POST /api/ops/payments/sync/{order id}``
runs one order now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from integration.cases import ExceptionStore
from integration.clients.d365 import D365Client, odata_literal
from integration.clients.shopify import ShopifyAdmin, gid
from integration.crm import hooks as crm_hooks
from integration.orders.records import IN_FO, OrderRecord
from integration.orders.records import ROW as ORDER_ROW
from integration.payments import records as rec
from integration.payments.config import PaymentsConfig
from integration.payments.journal import JournalLine, is_posted, open_journal, post, write_line
from integration.payments.mapping import (
    PaymentDataError,
    PaymentLine,
    legacy,
    map_transactions,
    parse_transactions,
)
from integration.refunds.lookup import INVOICE_SET, credit_note_invoice, find_sales_order
from integration.refunds.records import RefundRecords
from shared import tables
from shared.logs import get_logger, log_event
from shared.storage import Storage

log = get_logger(__name__)
ENTITY = "payment"

TRANSACTIONS_QUERY = """
query OrderTransactions($id: ID!) {
  order(id: $id) {
    id name
    transactions {
      id kind status gateway processedAt
      amountSet { shopMoney { amount currencyCode } }
      parentTransaction { id }
    }
    refunds { id transactions(first: 20) { nodes { id } } }
  }
}
"""


@dataclass
class PaymentSync:
    storage: Storage
    d365: D365Client
    shopify: ShopifyAdmin
    config: PaymentsConfig
    lookback_days: int = 30

    @property
    def records(self) -> rec.PaymentRecords:
        return rec.PaymentRecords(self.storage)

    def batch_key(self, line: PaymentLine, order_name: str) -> str:
        tx = line.transaction
        if self.config.batch_by == "order":
            return f"Shopify {order_name}"
        if self.config.batch_by == "day":
            return f"Shopify {tx.day}"
        return f"Shopify {tx.gateway} {tx.day}"

    def sync_order(self, order_id: str) -> dict[str, Any]:
        data = self.shopify.graphql(TRANSACTIONS_QUERY, {"id": gid("Order", order_id)})
        order = data.get("order")
        if not order:
            return {"order": order_id, "status": "not_in_shopify"}
        header = find_sales_order(self.d365, order_id, self.storage)
        if header is None:
            return {"order": order_id, "status": "not_in_fo"}
        number = str(header["SalesOrderNumber"])
        invoices = sorted(
            str(r["InvoiceNumber"])
            for r in self.d365.query(INVOICE_SET, filter=f"SalesOrderNumber eq {odata_literal(number)}")
        )
        if not invoices:
            return {"order": order_id, "status": "not_invoiced"}
        crm_hooks.fo_invoiced(self.storage, order_id, invoices)  # CRM shows the invoice (no-op when CRM is off)
        account = str(header.get("InvoiceCustomerAccountNumber") or header.get("OrderingCustomerAccountNumber") or "")
        exceptions = ExceptionStore(self.storage)
        try:
            transactions = parse_transactions(order.get("transactions") or [])
        except PaymentDataError as error:
            exceptions.open(ENTITY, f"order-{order_id}", "payment_unreadable", str(error), {"order": order_id})
            return {"order": order_id, "status": "blocked", "reason": str(error)}
        credit_notes = self.credit_notes(order_id, order.get("refunds") or [])
        lines, blocked = map_transactions(
            transactions, self.config, str(header.get("CurrencyCode", "")), invoices, credit_notes
        )
        summary: dict[str, Any] = {"order": order_id, "status": "done", "created": 0, "existing": 0, "blocked": 0}
        name = str(order.get("name", ""))
        for item in blocked:
            tx = item.transaction
            values = {"order": order_id, "transaction": tx.id, "gateway": tx.gateway, "amount": str(tx.amount)}
            exceptions.open(ENTITY, tx.id, item.reason_code, item.message, values | {"currency": tx.currency})
            self.records.save(
                tx.day, tx.id, Status=rec.BLOCKED, Reason=item.reason_code, OrderId=order_id, OrderName=name,
                Gateway=tx.gateway, Kind=tx.kind, Amount=str(tx.amount), Currency=tx.currency,
            )  # fmt: skip
            summary["blocked"] += 1
        for line in lines:
            tx = line.transaction
            journal_line = JournalLine(
                reference=tx.id,
                account_type="Cust",
                account=account,
                credit=tx.amount if line.role == "receipt" else Decimal(0),
                debit=tx.amount if line.role == "refund" else Decimal(0),
                currency=tx.currency,
                date=tx.day,
                text=f"Shopify {name} {tx.kind.lower()}",
                method=line.method,
                offset_account_type=line.offset_account_type,
                offset_account=line.offset_account,
                marked_invoice=line.marked_invoice,
                notes="; ".join([f"Shopify order {name} ({order_id}), sales order {number}", *line.notes]),
            )
            key = self.batch_key(line, name)
            written, created = write_line(
                self.d365, lambda key=key: open_journal(self.d365, key, self.config.journal_name), journal_line
            )
            summary["created" if created else "existing"] += 1
            marked = str(written.get("MarkedInvoice") or "")  # what F&O has (a posted line keeps its marking)
            self.records.save(
                tx.day, tx.id, Status=rec.SETTLE_READY if marked else rec.OPEN, Reason="",
                OrderId=order_id, OrderName=name, SalesOrder=number, Gateway=tx.gateway, Kind=tx.kind,
                Role=line.role, Amount=str(tx.amount), Currency=tx.currency, Partial=line.partial,
                Journal=str(written.get("JournalBatchNumber", "")), Line=str(written.get("LineNumber", "")),
                MarkedInvoice=marked, Customer=account,
            )  # fmt: skip
            exceptions.resolve(ENTITY, tx.id, "payment line written")
        log_event(log, "payments.order", **{k: v for k, v in summary.items() if k != "order"})
        return summary

    def credit_notes(self, order_id: str, refunds: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
        """Refund transaction id -> (F&O return order, its posted credit note invoice or ""), for the
        refunds the refund flow credited (Table ``refunds``): Shopify names each refund's transactions."""
        out: dict[str, tuple[str, str]] = {}
        records = RefundRecords(self.storage)
        for refund in refunds:
            record = records.get(order_id, legacy(str(refund.get("id") or "")))
            if record is None or not record.credit_note_number:
                continue
            invoice = record.credit_note_invoice or credit_note_invoice(self.d365, record.credit_note_number)
            for node in (refund.get("transactions") or {}).get("nodes") or []:
                out[legacy(str(node["id"]))] = (record.credit_note_number, invoice)
        return out

    def refresh_settlement(self) -> int:
        """Lines whose journal is posted (by F&O users, the batch job or :meth:`post_journals`): settle-ready
        ones become ``settled``, open ones ``posted`` (in AR, to settle by the reference). Returns the
        number settled."""
        done = 0
        posted: dict[str, bool] = {}
        for status, after in ((rec.SETTLE_READY, rec.SETTLED), (rec.OPEN, rec.POSTED)):
            for row in list(self.records.with_status(status)):
                batch = str(row.get("Journal", ""))
                if batch and posted.setdefault(batch, is_posted(self.d365, batch)):
                    self.records.save(row["PartitionKey"], row["RowKey"], Status=after)
                    done += after == rec.SETTLED
        return done

    def post_journals(self, now: datetime | None = None) -> dict[str, int]:
        """Optional (``posting.enabled``): post the journals holding our unposted lines, once their day
        is over (``when: day_closed``, the default: a day's journal is complete) or as soon as written.
        A refusal opens ``payment_journal_post_failed`` with F&O's reason; the next run tries again."""
        summary = {"posted": 0, "refused": 0}
        posting = self.config.posting
        if not posting.enabled:
            return summary
        today = (now or datetime.now(UTC)).date().isoformat()
        last_day: dict[str, str] = {}
        for status in (rec.SETTLE_READY, rec.OPEN):
            for row in self.records.with_status(status):
                batch = str(row.get("Journal") or "")
                if batch:
                    last_day[batch] = max(last_day.get(batch, ""), str(row["PartitionKey"]))
        exceptions = ExceptionStore(self.storage)
        for batch, day in sorted(last_day.items()):
            if posting.when == "day_closed" and day >= today:
                continue
            reason = post(self.d365, batch, posting.service)
            if reason is None:
                continue  # posted already (by F&O users or an earlier run)
            if reason:
                exceptions.open("payment_journal", batch, "payment_journal_post_failed", reason, {"journal": batch})
                summary["refused"] += 1
            else:
                exceptions.resolve("payment_journal", batch, "journal posted")
                summary["posted"] += 1
        log_event(log, "payments.posting", **summary)
        return summary

    def poll(self, now: datetime | None = None, since: str = "") -> dict[str, Any]:
        """One timer run: the orders order sync put in F&O since ``since`` (default: the lookback)."""
        since = since or ((now or datetime.now(UTC)) - timedelta(days=self.lookback_days)).isoformat()
        summary = {"orders": 0, "lines": 0, "waiting": 0, "errors": 0, "posted": 0, "refused": 0, "settled": 0}
        rows = self.storage.table(tables.ORDERS).query_entities(
            "RowKey eq @r and SyncedAt ge @s", parameters={"r": ORDER_ROW, "s": since}
        )
        for row in rows:
            record = OrderRecord.from_row(row)
            if record.status not in IN_FO:
                continue
            summary["orders"] += 1
            try:
                result = self.sync_order(record.shopify_order_id)
            except Exception as error:  # one order must not stop the run; the next run retries it
                log_event(log, "payments.order_failed", error=type(error).__name__)
                summary["errors"] += 1
                continue
            summary["lines"] += int(result.get("created", 0))
            summary["waiting"] += result.get("status") in ("not_invoiced", "not_in_fo")
        summary |= self.post_journals(now)
        summary["settled"] = self.refresh_settlement()
        return summary
