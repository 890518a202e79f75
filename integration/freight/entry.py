"""What the ops routes call: import a FedEx invoice export, audit the shipped orders, the reports."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from integration.clients.d365 import D365Client
from integration.clients.shopify import ShopifyAdmin
from integration.freight import blob_watch, ship_reply
from integration.freight.audit import QuoteIndex, Tolerance, audit_lines, audit_order, shipped_orders, store_charges
from integration.freight.invoice_csv import FedexCharge, parse
from shared.settings import Settings
from shared.storage import Storage


def tolerance(settings: Settings) -> Tolerance:
    return Tolerance(settings.FREIGHT_DRIFT_TOLERANCE, settings.FREIGHT_DRIFT_TOLERANCE_PERCENT)


def run_audit(
    settings: Settings,
    storage: Storage,
    d365: D365Client,
    shopify: ShopifyAdmin,
    only: set[str] | None = None,
    missing_only: bool = False,
) -> dict[str, Any]:
    """Audit every shipped order (or only those shipped with one of the ``only`` tracking numbers, or
    with ``missing_only`` those that have no audit line yet, or whose line misses a tracking number the
    order has now: the timer's way to give every shipped order its line, with an empty ``actual`` until
    FedEx's charge arrives)."""
    summary = {"orders": 0, "flagged": 0, "awaiting_invoice": 0}
    # Audited orders and the tracking numbers their line covers: an order shipped again (a new tracking
    # number) is audited again, so its line sums every package.
    audited = {str(line["order_id"]): set(line["tracking"]) for line in audit_lines(storage)} if missing_only else {}
    quotes = QuoteIndex(storage)  # each day's quotes read once for the whole run
    for order_id, (sales_order, numbers) in sorted(shipped_orders(storage).items()):
        if (only is not None and not numbers & only) or (order_id in audited and numbers <= audited[order_id]):
            continue
        line = audit_order(
            storage,
            d365,
            shopify,
            order_id,
            sales_order,
            numbers,
            tolerance(settings),
            settings.D365_FREIGHT_ITEM,
            quotes,
        )
        summary["orders"] += 1
        summary["flagged"] += line.flagged
        summary["awaiting_invoice"] += not line.actual
    return summary


def import_invoice(
    settings: Settings, storage: Storage, d365: D365Client, shopify: ShopifyAdmin, data: bytes
) -> dict[str, Any]:
    return import_charges(settings, storage, d365, shopify, parse(data))


def import_shipments(
    settings: Settings, storage: Storage, d365: D365Client, shopify: ShopifyAdmin, data: bytes
) -> dict[str, Any]:
    """A FedEx Ship API reply (``POST /ship/v1/shipments``'s answer) from whatever made the labels."""
    return import_charges(settings, storage, d365, shopify, ship_reply.parse(data))


def import_charges(
    settings: Settings, storage: Storage, d365: D365Client, shopify: ShopifyAdmin, charges: list[FedexCharge]
) -> dict[str, Any]:
    store_charges(storage, charges)
    numbers = {n for c in charges for n in (c.packages or [c.tracking])}
    summary = run_audit(settings, storage, d365, shopify, numbers)
    matched = {n for _, (_, tracking) in shipped_orders(storage).items() for n in tracking} & numbers
    return {"rows": len(charges), "matched": len(matched), "unmatched": sorted(numbers - matched)[:100], **summary}


@dataclass
class FreightAudit:
    """The freight audit with its collaborators (built by ``integration.bootstrap.freight_audit``)."""

    settings: Settings
    storage: Storage
    d365: D365Client
    shopify: ShopifyAdmin

    def run(self, only: set[str] | None = None) -> dict[str, Any]:
        return run_audit(self.settings, self.storage, self.d365, self.shopify, only)

    def import_invoice(self, data: bytes) -> dict[str, Any]:
        return import_invoice(self.settings, self.storage, self.d365, self.shopify, data)

    def import_shipments(self, data: bytes) -> dict[str, Any]:
        return import_shipments(self.settings, self.storage, self.d365, self.shopify, data)

    def scan_invoices(self) -> dict[str, Any]:
        """The timer's run: import the FedEx invoice exports dropped into ``FREIGHT_INVOICE_CONTAINER``,
        then give every shipped order that has no audit line yet its line."""
        summary = blob_watch.scan(self.storage, self.settings.FREIGHT_INVOICE_CONTAINER, self.import_invoice)
        new = run_audit(self.settings, self.storage, self.d365, self.shopify, missing_only=True)
        return summary | {"newly_shipped": new["orders"]}


def report(storage: Storage, since: str = "", until: str = "9999", top: int = 10) -> dict[str, Any]:
    lines = audit_lines(storage, since, until)
    per_day: dict[str, dict[str, Any]] = defaultdict(lambda: {"orders": 0, "flagged": 0, "drift": Decimal(0)})
    per_service: dict[str, dict[str, Any]] = defaultdict(lambda: {"orders": 0, "flagged": 0, "drift": Decimal(0)})
    for line in lines:
        drift = Decimal(line["drift"] or 0)
        for bucket in (per_day[line["day"]], per_service[line["service"] or "?"]):
            bucket["orders"] += 1
            bucket["flagged"] += bool(line["flagged"])
            bucket["drift"] += drift
    ranked = sorted((line for line in lines if line["drift"]), key=lambda x: -abs(Decimal(x["drift"])))
    return {
        "per_day": [{"day": d, **v, "drift": str(v["drift"])} for d, v in sorted(per_day.items())],
        "per_service": [{"service": s, **v, "drift": str(v["drift"])} for s, v in sorted(per_service.items())],
        "top": [{k: v for k, v in line.items() if k != "details"} for line in ranked[:top]],
        "lines": lines,
    }
