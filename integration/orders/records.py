"""The order record: one row per Shopify order in Table ``orders`` (PartitionKey = Shopify order id,
RowKey ``order``) saying what happened to it in F&O.

Saves are guarded: a record read carries its ETag and is written back with ``If-Match``
(``MatchConditions.IfNotModified``); a new record is inserted, never upserted. A writer whose read is
stale gets :class:`RecordConflict` and re-reads and re-plans; it never blindly replaces.

Other flows read it: refunds and fulfillment find the F&O sales order number and, per Shopify line
item id, the F&O ``InventoryLotId``(s) in ``line_lots`` (a line split for exact discounts has two).
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

ROW = "order"

# Status values
PENDING = "pending"  # seen, not in F&O yet (a transient failure, or in progress)
BLOCKED = "blocked"  # not ERP-ready or refused by F&O: an open exception says why
CREATED = "created"  # in F&O, totals equal
MISMATCH = "mismatch"  # in F&O, but F&O's totals differ from Shopify's (open exception)
CANCELLED = "cancelled"  # cancelled in Shopify; deleted in F&O or never created
IN_FO = (CREATED, MISMATCH)


class RecordConflict(Conflict):
    """The order record changed since it was read (another writer): re-read and re-plan."""


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class OrderRecord:
    shopify_order_id: str
    order_name: str = ""
    sales_order_number: str = ""
    status: str = PENDING
    attempts: int = 0
    reason_code: str = ""
    last_error: str = ""
    correlation_id: str = ""
    first_seen_at: str = ""
    updated_at: str = ""
    synced_at: str = ""
    shopify_updated_at: str = ""  # the Shopify updated_at last applied
    fingerprint: str = ""  # hash of the ERP-relevant content last applied
    customer_account: str = ""
    currency: str = ""
    shopify_total: str = ""
    fo_total: str = ""
    written_back: bool = False
    line_lots: dict[str, list[str]] = field(default_factory=dict)
    etag: str = field(default="", compare=False, repr=False)  # of the row read; "" = not stored yet

    def to_row(self) -> dict[str, Any]:
        values = asdict(self)
        values.pop("etag")
        values["line_lots"] = json.dumps(self.line_lots)
        row = {_camel(k): v for k, v in values.items()}
        return {"PartitionKey": safe_key(self.shopify_order_id), "RowKey": ROW, **row}

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> OrderRecord:
        values = {
            name: row[_camel(name)] for name in cls.__dataclass_fields__ if _camel(name) in row and name != "etag"
        }
        values["line_lots"] = json.loads(values.get("line_lots") or "{}")
        values["attempts"] = int(values.get("attempts") or 0)
        metadata = getattr(row, "metadata", None) or {}
        return cls(**values, etag=str(metadata.get("etag") or ""))


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


class OrderRecords:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def _table(self) -> Any:
        return self.storage.table(tables.ORDERS)

    def get(self, shopify_order_id: str | int) -> OrderRecord | None:
        try:
            return OrderRecord.from_row(self._table().get_entity(safe_key(str(shopify_order_id)), ROW))
        except ResourceNotFoundError:
            return None

    def save(self, record: OrderRecord) -> OrderRecord:
        """Insert a new record or replace the one read (``If-Match`` its ETag). Raises
        :class:`RecordConflict` when another writer saved in between. ``updated_at`` never moves
        backwards (a clock behind the last writer's keeps the last value)."""
        stamp = now_iso()
        record.updated_at = max(stamp, record.updated_at)
        record.first_seen_at = record.first_seen_at or record.updated_at
        try:
            if record.etag:
                meta = self._table().update_entity(
                    record.to_row(),
                    mode=UpdateMode.REPLACE,
                    etag=record.etag,
                    match_condition=MatchConditions.IfNotModified,
                )
            else:
                meta = self._table().create_entity(record.to_row())
        except (ResourceModifiedError, ResourceExistsError, ResourceNotFoundError):
            raise RecordConflict(f"order record {record.shopify_order_id} changed since it was read") from None
        record.etag = str(meta.get("etag") or "")
        return record

    def by_sales_order(self, number: str) -> OrderRecord | None:
        rows = self._table().query_entities("SalesOrderNumber eq @n", parameters={"n": number})
        for row in rows:
            return OrderRecord.from_row(row)
        return None

    def list(self, status: str | None = None, limit: int = 1000) -> list[OrderRecord]:
        query = "Status eq @s" if status else "RowKey eq @r"
        rows = self._table().query_entities(query, parameters={"s": status} if status else {"r": ROW})
        out = []
        for row in rows:
            out.append(OrderRecord.from_row(row))
            if len(out) >= limit:
                break
        return out
