"""Table Storage state of the fulfillment sync (table ``fulfillmentsync``):

* ``slip|<sales order>`` / ``<packing slip>``: the idempotency record of one packing slip. The plan
  (fulfillment orders, lines, quantities per location) is written BEFORE the first
  ``fulfillmentCreate`` and each Shopify fulfillment id right AFTER it, so a rerun, a duplicate
  event or a retry after a lost response continues from the record instead of creating again.
  A short lease (ETag-guarded) keeps the timer and the event endpoint off the same slip at once.
* ``watermark`` / ``packing-slips``: where the next poll starts (minus the overlap).
* ``order`` / ``<Shopify order id>``: the order's fulfillment status for the ops view.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import TableClient, UpdateMode

from integration.errors import Conflict
from integration.fulfillment.model import PlannedFulfillment, SlipRef
from shared import tables
from shared.lease import LeaseBusy, LeaseLost, RowLease
from shared.storage import Storage, safe_key

WATERMARK = ("watermark", "packing-slips")
ORDER_PARTITION = "order"
LEASE = timedelta(minutes=10)

PLANNED, DONE, EXCEPTION = "planned", "done", "exception"


def _now() -> datetime:
    return datetime.now(UTC)


def slip_key(ref: SlipRef) -> tuple[str, str]:
    return safe_key(f"slip|{ref.sales_order}"), safe_key(ref.packing_slip)


@dataclass
class SlipRecord:
    ref: SlipRef
    status: str = ""
    shopify_order_id: str = ""
    plan: list[PlannedFulfillment] = field(default_factory=list)
    tracking_numbers: tuple[str, ...] = ()
    tracking_urls: tuple[str, ...] = ()
    reason_code: str = ""
    etag: str = ""

    @property
    def fulfillment_ids(self) -> list[str]:
        return [p.fulfillment_id for p in self.plan if p.fulfillment_id]


def _from_row(ref: SlipRef, row: dict[str, Any]) -> SlipRecord:
    return SlipRecord(
        ref,
        str(row.get("Status") or ""),
        str(row.get("ShopifyOrderId") or ""),
        [PlannedFulfillment.from_dict(p) for p in json.loads(row.get("Plan") or "[]")],
        tuple(json.loads(row.get("TrackingNumbers") or "[]")),
        tuple(json.loads(row.get("TrackingUrls") or "[]")),
        str(row.get("ReasonCode") or ""),
        row.metadata["etag"] if hasattr(row, "metadata") else "",
    )


class SlipBusy(Conflict):
    """Another run holds this packing slip's lease right now."""


class FulfillmentRecords:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def _table(self) -> TableClient:
        return self.storage.table(tables.FULFILLMENT_SYNC)

    # -- packing slips -----------------------------------------------------------------------------
    def get(self, ref: SlipRef) -> SlipRecord | None:
        try:
            return _from_row(ref, self._table().get_entity(*slip_key(ref)))
        except ResourceNotFoundError:
            return None

    def _lease(self, ref: SlipRef, etag: str = "") -> RowLease:
        lease = RowLease(self._table(), *slip_key(ref), LEASE.total_seconds(), f"packing slip {ref.packing_slip}")
        lease.etag = etag
        return lease

    def claim(self, ref: SlipRef) -> SlipRecord:
        """Take the slip's lease (creating the record when new). Raises SlipBusy when another run holds it.
        One owner per claim, not per process: the timer, the business-event endpoint and an ops retry
        share this object on different threads and must still exclude each other."""
        lease = self._lease(ref)
        try:
            row = lease.claim({"SalesOrderNumber": ref.sales_order, "PackingSlipId": ref.packing_slip})
        except LeaseBusy as busy:
            raise SlipBusy(str(busy)) from None
        record = SlipRecord(ref) if row is None else _from_row(ref, row)
        record.etag = lease.etag
        return record

    def save(self, record: SlipRecord, *, release: bool = False) -> None:
        """Write the record under the lease (ETag-checked: a run that lost its lease must not write)."""
        lease = self._lease(record.ref, record.etag)
        try:
            lease.write(
                {
                    "Status": record.status,
                    "ShopifyOrderId": record.shopify_order_id,
                    "Plan": json.dumps([p.to_dict() for p in record.plan]),
                    "FulfillmentIds": ",".join(record.fulfillment_ids),
                    "TrackingNumbers": json.dumps(list(record.tracking_numbers)),
                    "TrackingUrls": json.dumps(list(record.tracking_urls)),
                    "ReasonCode": record.reason_code,
                    "UpdatedAt": _now().isoformat(),
                },
                release=release,
            )
        except LeaseLost:
            raise SlipBusy(f"packing slip {record.ref.packing_slip}: lease lost while syncing") from None
        record.etag = lease.etag

    def release(self, record: SlipRecord) -> None:
        self._lease(record.ref, record.etag).release()

    def fulfillment_ids_of_order(self, sales_order: str) -> set[str]:
        """Shopify fulfillment ids recorded for any packing slip of this sales order."""
        rows = self._table().query_entities(
            "PartitionKey eq @pk", parameters={"pk": safe_key(f"slip|{sales_order}")}, select=["FulfillmentIds"]
        )
        return {fid for row in rows for fid in str(row.get("FulfillmentIds") or "").split(",") if fid}

    # -- watermark -----------------------------------------------------------------------------------
    def watermark(self) -> datetime | None:
        try:
            row = self._table().get_entity(*WATERMARK)
        except ResourceNotFoundError:
            return None
        return datetime.fromisoformat(row["Since"])

    def set_watermark(self, value: datetime) -> None:
        self._table().upsert_entity(
            {"PartitionKey": WATERMARK[0], "RowKey": WATERMARK[1], "Since": value.isoformat()}, mode=UpdateMode.REPLACE
        )

    # -- order status (ops view) ---------------------------------------------------------------------
    def set_order_status(
        self,
        shopify_order_id: str,
        sales_order: str,
        shopify_status: str,
        packing_slip: str,
        fulfillment_ids: list[str],
    ) -> None:
        self._table().upsert_entity(
            {
                "PartitionKey": ORDER_PARTITION,
                "RowKey": safe_key(shopify_order_id),
                "SalesOrderNumber": sales_order,
                "ShopifyStatus": shopify_status,
                "LastPackingSlip": packing_slip,
                "LastFulfillmentIds": ",".join(fulfillment_ids),
                "UpdatedAt": _now().isoformat(),
            },
            mode=UpdateMode.MERGE,
        )

    def order_status(self, shopify_order_id: str) -> dict[str, Any] | None:
        try:
            return dict(self._table().get_entity(ORDER_PARTITION, safe_key(shopify_order_id)))
        except ResourceNotFoundError:
            return None
