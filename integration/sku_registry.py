"""The SKUs the catalog sync created in Shopify, and what F&O needs to sell them (table ``catalogskus``).

One row per SKU (PartitionKey ``sku-<2 hex digits of the SKU's SHA-256>``, RowKey = the SKU made key-safe):
the F&O ``ItemNumber`` and, for a
variant of a product master, its product dimensions (``ProductColorId``, ``ProductConfigurationId``,
``ProductSizeId``, ``ProductStyleId``, ``ProductVersionId``; only the non-empty ones). A real F&O refuses
a sales line for a product master that names only the item number: the line must carry the dimensions of
the variant sold. The catalog sync writes the rows (catalog/service.py); order sync reads only the SKUs of
the order at hand (one query per 7 SKUs, answers kept for the mappings cache window), so the order path does
not grow with the catalog.

The rows are spread over 256 partitions: Azure balances load by partition, and Azurite (the local and test
storage) looks rows up through its PartitionKey index, so one partition of 50,000 rows made every upsert scan
the whole table (a 50,000-variant first sync did not finish). A Table transaction holds one partition, so a
bulk result is written in about (SKUs / 100 + 256) transactions.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from azure.data.tables import UpdateMode

from shared import tables
from shared.storage import Storage, safe_key

TABLE = tables.CATALOG_SKUS
PARTITION = "sku"
# The product dimensions of a sales line, as the SalesOrderLines entity names them (F&O metadata).
DIMENSIONS = ("ProductColorId", "ProductConfigurationId", "ProductSizeId", "ProductStyleId", "ProductVersionId")
_MEMO = "catalogskus"
MAX_PER_QUERY = 7  # Azure Table storage: at most 15 discrete comparisons in one filter (2 per SKU)


def partition_of(sku: str) -> str:
    return f"{PARTITION}-{hashlib.sha256(sku.encode()).hexdigest()[:2]}"


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
    """``ttl`` > 0 (order sync: the mappings cache window): answers, found or not, are kept that long per
    storage, so a repeat SKU costs no storage call. A SKU registered meanwhile by another process counts
    after the window, or at once for an order about to be blocked as ``UNKNOWN_SKU`` (order sync reads
    again with ``ttl`` 0 before it blocks)."""

    def __init__(self, storage: Storage, ttl: float = 0.0) -> None:
        self.storage = storage
        self.ttl = ttl

    def put_many(self, entries: dict[str, SkuEntry]) -> None:
        """Table transactions of up to 100 upserts (one partition each)."""
        partitions: dict[str, dict[str, dict[str, str]]] = defaultdict(dict)
        for sku, entry in entries.items():
            partitions[partition_of(sku)][safe_key(sku)] = {
                "PartitionKey": partition_of(sku),
                "RowKey": safe_key(sku),
                "Sku": sku,
                "ItemNumber": entry.item_number,
                "Dimensions": json.dumps(entry.dimensions, sort_keys=True),
            }
        memo: dict[str, Any] = self.storage.memo.get(_MEMO) or {}
        for sku in entries:
            memo.pop(sku, None)  # this process's cached answers about these SKUs are stale now
        table = self.storage.table(TABLE)
        for _partition, rows in sorted(partitions.items()):
            batch = list(rows.values())
            for start in range(0, len(batch), 100):
                table.submit_transaction(
                    [("upsert", row, {"mode": UpdateMode.REPLACE}) for row in batch[start : start + 100]]
                )

    def get_many(self, skus: Iterable[str]) -> dict[str, SkuEntry]:
        asked = sorted({s for s in skus if s})
        memo: dict[str, tuple[SkuEntry | None, float]] = self.storage.memo.setdefault(_MEMO, {}) if self.ttl else {}
        now = time.monotonic()
        fresh = {s: memo[s][0] for s in asked if s in memo and now - memo[s][1] < self.ttl}
        wanted = [s for s in asked if s not in fresh]
        found: dict[str, SkuEntry] = {s: e for s, e in fresh.items() if e is not None}
        table = self.storage.table(TABLE)
        for start in range(0, len(wanted), MAX_PER_QUERY):
            chunk = wanted[start : start + MAX_PER_QUERY]
            names: dict[str, str] = {}
            clauses = []
            for n, sku in enumerate(chunk):
                names[f"p{n}"], names[f"k{n}"] = partition_of(sku), safe_key(sku)
                clauses.append(f"( PartitionKey eq @p{n} and RowKey eq @k{n} )")
            # the SDK substitutes only space-separated @names, hence the spaces around the parentheses
            for row in table.query_entities(" or ".join(clauses), parameters=names):
                sku = str(row.get("Sku") or "")
                if sku in chunk:  # two SKUs could clean to one RowKey: the stored SKU decides
                    found[sku] = SkuEntry(str(row.get("ItemNumber") or ""), json.loads(row.get("Dimensions") or "{}"))
        if self.ttl:
            memo.update({s: (found.get(s), now) for s in wanted})
        return found
