"""What the payments timer and the ops routes call: one run of a PaymentSync (built by
``integration.bootstrap.payment_sync``), and the reports."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from integration.payments import records as rec
from integration.payments.payouts import sync_payouts
from integration.payments.service import PaymentSync
from shared.storage import Storage


def run(sync: PaymentSync) -> dict[str, Any]:
    summary = sync.poll()
    if sync.config.payout is not None:
        summary["payouts"] = sync_payouts(sync.storage, sync.d365, sync.shopify, sync.config.payout)
    return summary


def report(storage: Storage, since: str = "", until: str = "9999") -> dict[str, Any]:
    """Payments per day and status (settled, settle-ready, open, blocked), amounts as strings."""
    days: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    counts: dict[str, int] = defaultdict(int)
    rows = []
    for row in rec.PaymentRecords(storage).rows(since, until):
        status = str(row.get("Status", ""))
        amount = Decimal(str(row.get("Amount") or 0))
        days[row["PartitionKey"]][status] += amount
        counts[status] += 1
        rows.append(
            {
                "day": row["PartitionKey"],
                "transaction": row["RowKey"],
                "order": row.get("OrderName", ""),
                "gateway": row.get("Gateway", ""),
                "kind": row.get("Kind", ""),
                "amount": str(amount),
                "currency": row.get("Currency", ""),
                "status": status,
                "journal": row.get("Journal", ""),
                "invoice": row.get("MarkedInvoice", ""),
                "reason": row.get("Reason", ""),
            }
        )
    per_day = [{"day": d, **{k: str(v) for k, v in sorted(s.items())}} for d, s in sorted(days.items())]
    return {"per_day": per_day, "counts": dict(counts), "rows": rows}
