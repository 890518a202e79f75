"""CRM delta reconciliation: Shopify orders updated in a window, compared with Dataverse.

For each order the Shopify Admin API lists as updated in ``[since, until]``, the ``salesorder`` with
that Shopify id is read (20 ids per ``$filter`` query) and compared:

* ``missing``: no salesorder;
* ``total``: ``totalamount`` differs from Shopify's ``total_price`` (an edit CRM did not get);
* ``state``: Shopify cancelled or fulfilled it, CRM's order is not canceled / fulfilled.

A dry run (the default) only reports. ``apply`` queues a resync of each differing order on queue
``crm`` (the CRM flow re-reads it from Shopify and writes it: upserts, so nothing is duplicated) and,
for a run that reached ``until``, stores ``until`` as the checkpoint the next run starts from
(Table ``syncstate``, row ``crm-orders``). Orders blocked on an open CRM exception are reported as
``blocked`` and not queued (a person fixes them and retries).

Customers are not reconciled yet (customers reach CRM with their orders and with customers/update).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import UpdateMode

from integration.cases import ExceptionStore
from integration.clients.dataverse import DataverseClient, odata_literal
from integration.crm.config import ENTITY_ORDER, CrmConfig
from integration.crm.mapping import CANCELED, FULFILLED
from integration.ops.resync import resync_envelope
from shared import queues, tables
from shared.storage import Storage

CHECKPOINT_ROW = "crm-orders"
CHUNK = 20


@dataclass
class Report:
    since: str
    until: str
    applied: bool
    checked: int = 0
    in_sync: int = 0
    differences: list[dict[str, str]] = field(default_factory=list)
    queued: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def checkpoint(storage: Storage, row: str = CHECKPOINT_ROW) -> str:
    """Where the last applied run of a CRM reconciliation ended (``row``: orders' or customers')."""
    try:
        return str(storage.table(tables.SYNC_STATE).get_entity("crm", row).get("Until", ""))
    except ResourceNotFoundError:
        return ""


def save_checkpoint(storage: Storage, row: str, until: datetime) -> None:
    storage.table(tables.SYNC_STATE).upsert_entity(
        {"PartitionKey": "crm", "RowKey": row, "Until": until.isoformat()}, mode=UpdateMode.MERGE
    )


def reconcile(
    storage: Storage,
    client: DataverseClient,
    config: CrmConfig,
    shopify_orders: list[dict[str, Any]],
    since: datetime,
    until: datetime,
    apply: bool,
) -> Report:
    """``shopify_orders``: the order summaries updated in the window (ShopifyAdmin.list_orders, GraphQL)."""
    report = Report(since.isoformat(), until.isoformat(), apply)
    exceptions = ExceptionStore(storage)
    for start in range(0, len(shopify_orders), CHUNK):
        chunk = shopify_orders[start : start + CHUNK]
        ids = [str(o["id"]) for o in chunk if o.get("id")]
        if not ids:
            continue
        clause = " or ".join(f"{config.order_key} eq {odata_literal(i)}" for i in ids)
        found = {
            str(r[config.order_key]): r
            for r in client.query(
                "salesorders", f"({clause})", [config.order_key, "totalamount", "statecode"], top=CHUNK
            )
        }
        for order in chunk:
            report.checked += 1
            why = _difference(order, found.get(str(order["id"])))
            if not why:
                report.in_sync += 1
                continue
            order_id = str(order["id"])
            record = exceptions.get(ENTITY_ORDER, order_id)
            if record is not None and record.status == "open":
                why = f"blocked ({record.reason_code})"
            report.differences.append({"order_id": order_id, "name": str(order.get("name", "")), "why": why})
            if apply and not why.startswith("blocked"):
                envelope = resync_envelope(ENTITY_ORDER, order_id, f"crm reconciliation: {why}")
                storage.queue(queues.CRM).send_message(envelope.to_message())
                report.queued.append(order_id)
    if apply:
        save_checkpoint(storage, CHECKPOINT_ROW, until)
    return report


def _difference(order: dict[str, Any], row: dict[str, Any] | None) -> str:
    if row is None:
        return "missing"
    try:
        if Decimal(str(row.get("totalamount"))) != Decimal(str(order.get("total_price"))):
            return "total"
    except ArithmeticError:
        return "total"
    state = row.get("statecode")
    if order.get("cancelled_at") and state != CANCELED:
        return "state"
    if (
        order.get("fulfillment_status") == "fulfilled"
        and state not in (FULFILLED, CANCELED)
        and not order.get("cancelled_at")
    ):
        return "state"
    return ""
