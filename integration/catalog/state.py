"""What the catalog sync remembers (table ``catalogproducts``):

* one row per F&O product it has sent (PartitionKey ``product``): the Shopify product id, the
  content hash of the last input Shopify accepted, its SKUs and variant ids, and the fixed prices
  last sent per price list. A product whose hash is unchanged is not sent again (0 writes).
* the delta checkpoint (PartitionKey ``run``, RowKey ``checkpoint``): the start of the last
  finished run, written with ``If-Match`` so two overlapping runs cannot both move it;
* the run lease (RowKey ``lease``): one run at a time (the timer and the ops "sync now").
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import UpdateMode

from shared import tables
from shared.lease import Lease
from shared.storage import Storage, safe_key

PRODUCT, RUN = "product", "run"


@dataclass
class Synced:
    product_number: str
    product_id: str = ""
    content_hash: str = ""
    status: str = ""
    skus: dict[str, str] = field(default_factory=dict)  # SKU -> item number
    variant_ids: dict[str, str] = field(default_factory=dict)  # SKU -> ProductVariant gid
    prices: dict[str, dict[str, str]] = field(default_factory=dict)  # price list gid -> SKU -> price
    translations_hash: str = ""  # of the translated titles Shopify last accepted (translations.py)
    registered: bool = False  # its SKUs are in the SKU registry (rows of earlier versions are not)

    def entity(self) -> dict[str, Any]:
        return {
            "PartitionKey": PRODUCT,
            "RowKey": safe_key(self.product_number),
            "ProductNumber": self.product_number,
            "ProductId": self.product_id,
            "Hash": self.content_hash,
            "Status": self.status,
            "Skus": json.dumps(self.skus),
            "VariantIds": json.dumps(self.variant_ids),
            "Prices": json.dumps(self.prices),
            "Translations": self.translations_hash,
            "SkusRegistered": self.registered,
            "SyncedAt": datetime.now(UTC),
        }

    @classmethod
    def from_entity(cls, row: dict[str, Any]) -> Synced:
        return cls(
            row.get("ProductNumber") or row["RowKey"],
            row.get("ProductId", ""),
            row.get("Hash", ""),
            row.get("Status", ""),
            json.loads(row.get("Skus") or "{}"),
            json.loads(row.get("VariantIds") or "{}"),
            json.loads(row.get("Prices") or "{}"),
            row.get("Translations", ""),
            bool(row.get("SkusRegistered", False)),
        )


class CatalogState:
    def __init__(self, storage: Storage) -> None:
        self.table = storage.table(tables.CATALOG_PRODUCTS)

    def load(self) -> dict[str, Synced]:
        rows = self.table.query_entities("PartitionKey eq @p", parameters={"p": PRODUCT})
        return {s.product_number: s for s in (Synced.from_entity(r) for r in rows)}

    def save(self, synced: Synced) -> None:
        self.table.upsert_entity(synced.entity(), mode=UpdateMode.REPLACE)

    def save_many(self, rows: list[Synced]) -> None:
        """Table transactions of up to 100 upserts (one partition): a bulk result in few requests."""
        unique = list({safe_key(s.product_number): s for s in rows}.values())
        for start in range(0, len(unique), 100):
            chunk = unique[start : start + 100]
            self.table.submit_transaction([("upsert", s.entity(), {"mode": UpdateMode.REPLACE}) for s in chunk])

    # -- checkpoint ----------------------------------------------------------------------------------
    def checkpoint(self) -> tuple[datetime | None, str | None]:
        """(start of the last finished run, ETag of the row) or (None, None)."""
        try:
            row = self.table.get_entity(RUN, "checkpoint")
        except ResourceNotFoundError:
            return None, None
        value = row.get("LastStart")
        return (value if isinstance(value, datetime) else None), row.metadata["etag"]

    def advance(self, started: datetime, etag: str | None) -> bool:
        """Move the checkpoint to ``started``; False when another run moved it first."""
        entity = {"PartitionKey": RUN, "RowKey": "checkpoint", "LastStart": started}
        try:
            if etag is None:
                self.table.create_entity(entity)
            else:
                self.table.update_entity(
                    entity, mode=UpdateMode.REPLACE, etag=etag, match_condition=MatchConditions.IfNotModified
                )
        except (ResourceExistsError, ResourceModifiedError):
            return False
        return True

    # -- lease ---------------------------------------------------------------------------------------
    def lease(self, seconds: float) -> Lease:
        """The run lease (shared/lease.py): one catalog run at a time."""
        return Lease(self.table, RUN, "lease", seconds)
