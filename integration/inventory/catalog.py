"""SKU -> Shopify inventory item id, cached in Table Storage (table ``inventoryitems``, packed:
``packed.py``).

A SKU missing from the cache is looked up in Shopify (``inventoryItems(query: "sku:A OR sku:B")``,
as many SKUs per query as the cost bucket allows, up to 250). A SKU Shopify does not know is cached
as missing and looked up again after ``recheck_missing_hours`` (or on a full resync), so a catalog
with many ERP-only items does not spend the cost bucket on them every five minutes. An item id that
Shopify later refuses (``INVALID_INVENTORY_ITEM``) is forgotten and looked up again next run.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from integration.clients.shopify import ShopifyAdmin
from integration.inventory.packed import PackedTable
from shared import tables
from shared.storage import Storage

PARTITION = "sku"
MAX_PER_QUERY = 250

LOOKUP = """query inventoryItemsBySku($first: Int!, $query: String!) {
  inventoryItems(first: $first, query: $query) { nodes { id sku } } }"""


@dataclass(frozen=True)
class Entry:
    item_id: str | None  # None: Shopify has no (single) item with this SKU, as of checked_at
    checked_at: float  # epoch seconds
    ambiguous: bool = False


def _search_literal(sku: str) -> str:
    return '"' + sku.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ItemCatalog:
    def __init__(self, storage: Storage) -> None:
        self.store = PackedTable(storage, tables.INVENTORY_ITEMS)
        self.entries: dict[str, Entry] = {}
        self.lookups = 0

    def load(self) -> None:
        self.store.load(PARTITION)
        for sku, (item_id, checked_at, ambiguous) in self.store.records(PARTITION):
            self.entries[sku] = Entry(item_id or None, checked_at, bool(ambiguous))

    def resolve(
        self, skus: Iterable[str], shopify: ShopifyAdmin, *, recheck_after_s: float, force: bool = False
    ) -> dict[str, Entry]:
        """The cache entry of every SKU, looking up those not cached (or missing for too long)."""
        now = time.time()
        wanted = set(skus)
        stale = sorted(
            s
            for s in wanted
            if s not in self.entries
            or (self.entries[s].item_id is None and (force or now - self.entries[s].checked_at >= recheck_after_s))
        )
        if stale:
            self._lookup(stale, shopify, now)
            self.store.flush()
        return {s: self.entries[s] for s in wanted if s in self.entries}

    def forget(self, skus: Iterable[str]) -> None:
        """Drop cached ids Shopify refused; written with the next :meth:`flush`."""
        for sku in set(skus):
            self.entries.pop(sku, None)
            self.store.delete(PARTITION, sku)

    def flush(self) -> None:
        self.store.flush()

    def _chunk_size(self, shopify: ShopifyAdmin) -> int:
        # requested cost = 2 + first; keep it inside the bucket so the query can ever run (the
        # client only knows the bucket's real size after its first answer: start small)
        limit = MAX_PER_QUERY if shopify.stats.requests else 50
        return max(1, min(limit, int(shopify.bucket.maximum) - 2))

    def _lookup(self, skus: list[str], shopify: ShopifyAdmin, now: float) -> None:
        start = 0
        while start < len(skus):
            chunk = skus[start : start + self._chunk_size(shopify)]
            start += len(chunk)
            query = " OR ".join(f"sku:{_search_literal(s)}" for s in chunk)
            data = shopify.graphql(LOOKUP, {"first": len(chunk), "query": query}, expected_cost=2 + len(chunk))
            self.lookups += 1
            found: dict[str, list[str]] = {}
            asked = set(chunk)
            for node in (data.get("inventoryItems") or {}).get("nodes") or []:
                if node.get("sku") in asked:  # the search is case-insensitive; SKUs match exactly
                    found.setdefault(node["sku"], []).append(node["id"])
            for sku in chunk:
                ids = found.get(sku, [])
                # Two items with one SKU: publishing to either would be a guess, so neither is used.
                entry = Entry(ids[0] if len(ids) == 1 else None, now, ambiguous=len(ids) > 1)
                self.entries[sku] = entry
                self.store.put(PARTITION, sku, [entry.item_id or "", round(now), int(entry.ambiguous)])
