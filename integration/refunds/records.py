"""The ``refunds`` Table: one record per Shopify refund, the audit link between Shopify and F&O.

PartitionKey = Shopify order id, RowKey = refund id. The record holds the refund id ↔ F&O credit note
(return order) number ↔ original invoice number(s) ↔ lines, the totals on both sides, the wait state
of a refund that cannot be credited yet, and the baseline of an open-order reduction (so a retry sets
the same absolute quantities instead of reducing twice).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import UpdateMode

from integration.errors import Conflict
from shared import tables
from shared.storage import Storage, safe_key

WAITING, CREDITED, MISMATCH, ORDER_REDUCED, EXCEPTION, NOTHING = (
    "waiting",
    "credited",
    "mismatch",
    "order_reduced",
    "exception",
    "nothing_to_credit",
)
DONE = (CREDITED, ORDER_REDUCED, NOTHING)
_JSON_FIELDS = ("invoice_numbers", "lines", "baseline", "presentment")


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class RefundRecord:
    order_id: str
    refund_id: str
    status: str = ""
    sales_order_number: str = ""
    credit_note_number: str = ""  # the return order (RMA) number: F&O's credit note document
    credit_note_invoice: str = ""  # the posted credit note, once F&O has invoiced the return order
    invoice_numbers: list[str] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)
    currency: str = ""
    shopify_total: str = ""
    shopify_tax: str = ""
    d365_total: str = ""
    d365_tax: str = ""
    presentment: dict[str, Any] = field(default_factory=dict)
    reason_code: str = ""
    message: str = ""
    first_wait_at: str = ""
    wait_attempts: int = 0
    baseline: dict[str, str] = field(default_factory=dict)
    writeback_done: bool = False
    created_at: str = ""
    updated_at: str = ""
    etag: str = field(default="", compare=False, repr=False)  # of the row read; "" = not stored yet

    @property
    def entity_id(self) -> str:
        """The id exceptions, audit and ops resync use for a refund: ``<order id>/<refund id>``."""
        return f"{self.order_id}/{self.refund_id}"

    def to_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values.pop("etag")
        return values


class RefundRecordConflict(Conflict):
    """The refund record changed since it was read (another writer): re-read and re-plan."""


_NAMES = {
    name: "".join(part.capitalize() for part in name.split("_"))
    for name in RefundRecord.__dataclass_fields__
    if name != "etag"
}


def _row(record: RefundRecord) -> dict[str, Any]:
    row: dict[str, Any] = {"PartitionKey": safe_key(record.order_id), "RowKey": safe_key(record.refund_id)}
    for name, column in _NAMES.items():
        value = getattr(record, name)
        row[column] = json.dumps(value) if name in _JSON_FIELDS else value
    return row


def _record(row: dict[str, Any]) -> RefundRecord:
    values: dict[str, Any] = {}
    for name, column in _NAMES.items():
        if column in row:
            value = row[column]
            values[name] = json.loads(value) if name in _JSON_FIELDS and isinstance(value, str) else value
    metadata = getattr(row, "metadata", None) or {}
    return RefundRecord(**values, etag=str(metadata.get("etag") or ""))


class RefundRecords:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def _table(self) -> Any:
        return self.storage.table(tables.REFUNDS)

    def get(self, order_id: str, refund_id: str) -> RefundRecord | None:
        try:
            return _record(self._table().get_entity(safe_key(order_id), safe_key(refund_id)))
        except ResourceNotFoundError:
            return None

    def find(self, refund_id: str) -> RefundRecord | None:
        """By refund id alone (ops lookups; a cross-partition query)."""
        rows = list(self._table().query_entities("RowKey eq @r", parameters={"r": safe_key(refund_id)}))
        return _record(rows[0]) if rows else None

    def of_order(self, order_id: str) -> list[RefundRecord]:
        rows = self._table().query_entities("PartitionKey eq @p", parameters={"p": safe_key(order_id)})
        return sorted((_record(r) for r in rows), key=lambda r: r.created_at)

    def list(self, status: str | None = None, limit: int = 100) -> list[RefundRecord]:
        rows = (
            self._table().query_entities("Status eq @s", parameters={"s": status})
            if status
            else self._table().list_entities()
        )
        return sorted((_record(r) for r in rows), key=lambda r: r.updated_at, reverse=True)[:limit]

    def save(self, record: RefundRecord) -> RefundRecord:
        stamp = now_iso()
        record.created_at = record.created_at or stamp
        record.updated_at = max(stamp, record.updated_at)
        try:
            if record.etag:  # replace the row read, If-Match its ETag; never a blind replace
                meta = self._table().update_entity(
                    _row(record),
                    mode=UpdateMode.REPLACE,
                    etag=record.etag,
                    match_condition=MatchConditions.IfNotModified,
                )
            else:
                meta = self._table().create_entity(_row(record))
        except (ResourceModifiedError, ResourceExistsError, ResourceNotFoundError):
            raise RefundRecordConflict(f"refund record {record.entity_id} changed since it was read") from None
        record.etag = str(meta.get("etag") or "")
        return record
