"""Reading posted packing slips from F&O OData.

* ``CustPackingSlipJourBiEntities`` (packing slip journal, read-only BI entity): one row per posted
  packing slip, ``SalesId``, ``PackingSlipId``, ``DeliveryDate``, ``CreatedOn``, ``DlvMode``.
* ``CustPackingSlipTransBiEntities`` (journal lines): ``InventTransId`` (the sales line's
  ``InventoryLotId``), ``ItemId``, ``Qty`` shipped on that slip.
* ``PackingSlipTrackingInformation`` (the standard entity for tracking numbers; every field but
  ``TrackingURL`` is part of its key, so a changed number is a new row).

Detection reads both: journal rows created since the watermark (new slips) and tracking rows of the
last ``FULFILLMENT_LOOKBACK_DAYS`` by delivery date (tracking added or changed after posting).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from integration.clients.d365 import D365Client, odata_literal
from integration.fulfillment.model import PackingSlip, SlipLine, SlipRef

JOURNAL = "CustPackingSlipJourBiEntities"
LINES = "CustPackingSlipTransBiEntities"
TRACKING = "PackingSlipTrackingInformation"

JOURNAL_FIELDS = ["SalesId", "PackingSlipId", "DeliveryDate", "CreatedOn", "DlvMode"]
LINE_FIELDS = ["SalesId", "PackingSlipId", "InventTransId", "ItemId", "Qty"]
TRACKING_FIELDS = ["SalesOrderNumber", "PackingSlipNumber", "DeliveryDate", "TrackingNumber", "TrackingURL"]


def odata_datetime(value: datetime) -> str:
    # Edm.DateTimeOffset literals are bare ISO-8601 in $filter.
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _date(value: Any) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return None if parsed.year <= 1900 else parsed  # F&O's empty date is 1900-01-01


Tracking = tuple[tuple[str, ...], tuple[str, ...]]  # (numbers, urls)


def group_tracking(rows: Iterable[dict[str, Any]]) -> dict[SlipRef, Tracking]:
    grouped: dict[SlipRef, list[tuple[str, str]]] = {}
    for row in rows:
        ref = SlipRef(str(row["SalesOrderNumber"]), str(row["PackingSlipNumber"]))
        number = str(row.get("TrackingNumber") or "").strip()
        if number:
            grouped.setdefault(ref, []).append((number, str(row.get("TrackingURL") or "").strip()))
    # Sorted: F&O returns rows in key order anyway; sorting keeps comparisons stable across reads.
    return {
        ref: (tuple(n for n, _ in sorted(pairs)), tuple(u for _, u in sorted(pairs))) for ref, pairs in grouped.items()
    }


class PackingSlipSource:
    def __init__(self, d365: D365Client) -> None:
        self.d365 = d365

    def posted_since(self, since: datetime) -> list[SlipRef]:
        rows = self.d365.query(
            JOURNAL,
            filter=self.d365.company_filter(f"CreatedOn ge {odata_datetime(since)}"),
            select=["SalesId", "PackingSlipId"],
            orderby="CreatedOn",
        )
        return [
            SlipRef(str(r["SalesId"]), str(r["PackingSlipId"]))
            for r in rows
            if r.get("SalesId") and r.get("PackingSlipId")
        ]

    def tracking_since(self, since: datetime) -> dict[SlipRef, Tracking]:
        day = since.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
        rows = self.d365.query(
            TRACKING, filter=self.d365.company_filter(f"DeliveryDate ge {odata_datetime(day)}"), select=TRACKING_FIELDS
        )
        return group_tracking(rows)

    def tracking_of(self, ref: SlipRef) -> Tracking:
        rows = self.d365.query(
            TRACKING,
            select=TRACKING_FIELDS,
            filter=self.d365.company_filter(
                f"SalesOrderNumber eq {odata_literal(ref.sales_order)} and "
                f"PackingSlipNumber eq {odata_literal(ref.packing_slip)}"
            ),
        )
        return group_tracking(rows).get(ref, ((), ()))

    def load(self, ref: SlipRef, tracking: Tracking | None = None) -> PackingSlip | None:
        """The posted packing slip with its lines and tracking; None when F&O has no such slip."""
        slip_filter = self.d365.company_filter(
            f"SalesId eq {odata_literal(ref.sales_order)} and PackingSlipId eq {odata_literal(ref.packing_slip)}"
        )
        header = self.d365.find(JOURNAL, slip_filter, select=JOURNAL_FIELDS)
        if header is None:
            return None
        lines = [
            SlipLine(str(r.get("InventTransId") or ""), str(r.get("ItemId") or ""), Decimal(str(r.get("Qty") or 0)))
            for r in self.d365.query(LINES, filter=slip_filter, select=LINE_FIELDS)
        ]
        numbers, urls = tracking if tracking is not None else self.tracking_of(ref)
        return PackingSlip(
            ref,
            _date(header.get("DeliveryDate")),
            _date(header.get("CreatedOn")),
            str(header.get("DlvMode") or ""),
            tuple(lines),
            numbers,
            urls,
        )
