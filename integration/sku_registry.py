"""The SKUs the catalog sync created in Shopify, and what F&O needs to sell them (table ``catalogskus``).

One row per SKU (PartitionKey ``sku``, RowKey = the SKU made key-safe): the F&O ``ItemNumber`` and, for a
variant of a product master, its product dimensions (``ProductColorId``, ``ProductConfigurationId``,
``ProductSizeId``, ``ProductStyleId``, ``ProductVersionId``; only the non-empty ones). A real F&O refuses
a sales line for a product master that names only the item number: the line must carry the dimensions of
the variant sold. The catalog sync writes the rows (catalog/service.py); order sync reads only the SKUs of
the order at hand (one query per 15 SKUs), so the order path does not grow with the catalog.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from azure.data.tables import UpdateMode

from shared.storage import Storage, safe_key

TABLE = "catalogskus"
PARTITION = "sku"
# The product dimensions of a sales line, as the SalesOrderLines entity names them (F&O metadata).
DIMENSIONS = ("ProductColorId", "ProductConfigurationId", "ProductSizeId", "ProductStyleId", "ProductVersionId")
MAX_PER_QUERY = 15  # Azure Table storage: at most 15 discrete comparisons in one filter


@dataclass(frozen=True)
class SkuEntry:
    item_number: str
    dimensions: dict[str, str] = field(default_factory=dict)  # only non-empty dimensions

    @classmethod
    def of(cls, item_number: str, dimensions: dict[str, str] | Iterable[tuple[str, str]]) -> SkuEntry:
        pairs = dict(dimensions)
        return cls(item_number, {d: str(pairs[d]) for d in DIMENSIONS if pairs.get(d)})

    @classmethod
    def parse(cls, value: Any) -> SkuEntry | None:
        """A mapping value: an item number, or ``{"ItemNumber": ..., "ProductColorId": ..., ...}``."""
        if isinstance(value, dict):
            item = str(value.get("ItemNumber") or "")
            return cls.of(item, {k: str(v) for k, v in value.items() if k in DIMENSIONS and v}) if item else None
        return cls(str(value)) if value else None


class SkuRegistry:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def put_many(self, entries: dict[str, SkuEntry]) -> None:
        """Table transactions of up to 100 upserts (one partition)."""
        rows = {
            safe_key(sku): {
                "PartitionKey": PARTITION,
                "RowKey": safe_key(sku),
                "Sku": sku,
                "ItemNumber": entry.item_number,
                "Dimensions": json.dumps(entry.dimensions, sort_keys=True),
            }
            for sku, entry in entries.items()
        }
        table = self.storage.table(TABLE)
        batch = list(rows.values())
        for start in range(0, len(batch), 100):
            table.submit_transaction(
                [("upsert", row, {"mode": UpdateMode.REPLACE}) for row in batch[start : start + 100]]
            )

    def get_many(self, skus: Iterable[str]) -> dict[str, SkuEntry]:
        wanted = sorted({s for s in skus if s})
        found: dict[str, SkuEntry] = {}
        table = self.storage.table(TABLE)
        for start in range(0, len(wanted), MAX_PER_QUERY):
            chunk = wanted[start : start + MAX_PER_QUERY]
            names = {f"k{n}": safe_key(sku) for n, sku in enumerate(chunk)}
            keys = " or ".join(f"RowKey eq @{name}" for name in names)
            text = f"PartitionKey eq @p and ( {keys} )"  # the SDK substitutes only space-separated @names
            for row in table.query_entities(text, parameters={"p": PARTITION, **names}):
                sku = str(row.get("Sku") or "")
                if sku in chunk:  # two SKUs could clean to one RowKey: the stored SKU decides
                    found[sku] = SkuEntry(str(row.get("ItemNumber") or ""), json.loads(row.get("Dimensions") or "{}"))
        return found
