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

from integration.clients.d365 import D365Client, odata_literal
from integration.clients.shopify import ShopifyAdmin, gid
from integration.exceptions import ExceptionStore
from integration.orders.records import IN_FO, ORDERS_TABLE, OrderRecord
from integration.orders.records import ROW as ORDER_ROW
from integration.payments import records as rec
from integration.payments.config import PaymentsConfig
from integration.payments.journal import JournalLine, is_posted, open_journal, write_line
from integration.payments.mapping import PaymentDataError, PaymentLine, map_transactions, parse_transactions
from integration.refunds.lookup import INVOICE_SET, find_sales_order
from shared.logs import get_logger, log_event
from shared.storage import Storage

log = get_logger(__name__)
ENTITY = "payment"

TRANSACTIONS_QUERY = """
query OrderTransactions($id: ID!) {
  order(id: $id) {
    id name
    transactions(first: 100) {
      id kind status gateway processedAt
      amountSet { shopMoney { amount currencyCode } }
      parentTransaction { id }
    }
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
        account = str(header.get("InvoiceCustomerAccountNumber") or header.get("OrderingCustomerAccountNumber") or "")
        exceptions = ExceptionStore(self.storage)
        try:
            transactions = parse_transactions(order.get("transactions") or [])
        except PaymentDataError as error:
            exceptions.open(ENTITY, f"order-{order_id}", "payment_unreadable", str(error), {"order": order_id})
            return {"order": order_id, "status": "blocked", "reason": str(error)}
        lines, blocked = map_transactions(transactions, self.config, str(header.get("CurrencyCode", "")), invoices)
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
            self.records.save(
                tx.day, tx.id, Status=rec.SETTLE_READY if line.settle_ready else rec.OPEN, Reason="",
                OrderId=order_id, OrderName=name, SalesOrder=number, Gateway=tx.gateway, Kind=tx.kind,
                Role=line.role, Amount=str(tx.amount), Currency=tx.currency, Partial=line.partial,
                Journal=str(written.get("JournalBatchNumber", "")), Line=str(written.get("LineNumber", "")),
                MarkedInvoice=line.marked_invoice, Customer=account,
            )  # fmt: skip
            exceptions.resolve(ENTITY, tx.id, "payment line written")
        log_event(log, "payments.order", **{k: v for k, v in summary.items() if k != "order"})
        return summary

    def refresh_settlement(self) -> int:
        """Settle-ready lines whose journal F&O users have posted become ``settled``."""
        done = 0
        posted: dict[str, bool] = {}
        for row in list(self.records.with_status(rec.SETTLE_READY)):
            batch = str(row.get("Journal", ""))
            if batch and posted.setdefault(batch, is_posted(self.d365, batch)):
                self.records.save(row["PartitionKey"], row["RowKey"], Status=rec.SETTLED)
                done += 1
        return done

    def poll(self, now: datetime | None = None, since: str = "") -> dict[str, Any]:
        """One timer run: the orders order sync put in F&O since ``since`` (default: the lookback)."""
        since = since or ((now or datetime.now(UTC)) - timedelta(days=self.lookback_days)).isoformat()
        summary = {"orders": 0, "lines": 0, "waiting": 0, "errors": 0, "settled": 0}
        rows = self.storage.table(ORDERS_TABLE).query_entities(
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
        summary["settled"] = self.refresh_settlement()
        return summary
