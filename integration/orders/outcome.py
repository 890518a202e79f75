"""What became of one Shopify order, and where that is written down.

:class:`Outcome` is the flow's answer per message. :class:`OrderLedger` writes the trail every path of
the flow leaves (create in ``service.py``, update and cancel in ``amend.py``, a transient failure that
outlasted the queue in ``exhausted.py``): the order record (Table ``orders``), the exception a person
sees (``integration/cases.py``), the audit log, and the write-back onto the Shopify order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from integration.cases import ExceptionStore
from integration.clients.shopify import ShopifyAdmin
from integration.orders import records as rec
from integration.orders.model import Order
from integration.orders.validation import Failure
from integration.orders.writeback import write_back
from shared.audit import AuditLog
from shared.storage import Storage

ENTITY = "order"
TRANSIENT_EXHAUSTED = "TRANSIENT_EXHAUSTED"  # the last delivery failed transiently (exhausted.py)


@dataclass
class Outcome:
    status: str
    action: str  # created | existing | blocked | ignored | updated | cancelled | conflict
    sales_order_number: str = ""
    detail: str = ""


class OrderLedger:
    """The order record, its exception, the audit log and the Shopify write-back, for one flow."""

    def __init__(self, storage: Storage, shopify: ShopifyAdmin) -> None:
        self.shopify = shopify
        self.records = rec.OrderRecords(storage)
        self.exceptions = ExceptionStore(storage)
        self.audit = AuditLog(storage)

    def write_back(self, order: Order, record: rec.OrderRecord) -> None:
        status = "created" if record.status == rec.CREATED else record.status
        write_back(self.shopify, order.gid, record.sales_order_number, status)
        record.written_back = True
        self.records.save(record)
        self.audit.record(ENTITY, str(order.id), "writeback", "ok", target=order.gid, details={"status": status})

    def open(self, order: Order, failures: list[Failure]) -> None:
        first = failures[0]
        message = "; ".join(f"{f.reason_code}: {f.message}" for f in failures)
        values = {
            "order_name": order.name,
            "failures": [{"reason_code": f.reason_code, "message": f.message, "values": f.values} for f in failures],
        }
        self.exceptions.open(ENTITY, str(order.id), first.reason_code, message, values)

    def block(self, order: Order, record: rec.OrderRecord, failures: list[Failure]) -> Outcome:
        record.status, record.reason_code = rec.BLOCKED, failures[0].reason_code
        record.last_error = "; ".join(f.message for f in failures)[:1000]
        self.records.save(record)
        self.open(order, failures)
        self.audit.record(
            ENTITY,
            str(order.id),
            "blocked",
            failures[0].reason_code,
            details={"reasons": [f.reason_code for f in failures]},
        )
        return Outcome(rec.BLOCKED, "blocked", record.sales_order_number, record.reason_code)

    def ignore(self, order: Order, record: rec.OrderRecord, why: str) -> Outcome:
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
