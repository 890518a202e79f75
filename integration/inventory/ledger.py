"""The last-published ledger (table ``inventoryledger``): what we set in Shopify per location and
SKU, under which quantity name, and when. Packed (``packed.py``): PartitionKey = the Shopify
location's numeric id, one entity per bucket of SKUs.

It doubles as the push checkpoint: the service flushes it every few seconds of pushing and when a
run ends, fails or is cut off, so the next run sends only what is still missing. (A batch applied
in Shopify but not yet flushed when a worker dies is sent again: its compare value is stale then,
the refresh finds the target already there, nothing is applied twice.) A quantity Shopify refused
for good (item not stocked at the location) is remembered as skipped, so it is not retried every run.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from integration.clients.shopify import legacy_id
from integration.inventory.packed import PackedTable
from shared import tables
from shared.storage import Storage


@dataclass(frozen=True)
class Published:
    location_id: str  # Location gid
    sku: str
    item_id: str
    quantity: int | None  # None when skipped
    name: str  # Shopify quantity name it was published as
    skipped: str = ""  # reason, when Shopify refused it for good
    at: float = 0.0  # epoch seconds


class Ledger:
    def __init__(self, storage: Storage) -> None:
        self.store = PackedTable(storage, tables.INVENTORY_LEDGER)
        self.rows: dict[tuple[str, str], Published] = {}

    def load(self, location_ids: Iterable[str]) -> None:
        for location_id in location_ids:
            partition = legacy_id(location_id)
            self.store.load(partition)
            for sku, (quantity, item, name, skipped, at) in self.store.records(partition):
                self.rows[(location_id, sku)] = Published(location_id, sku, item, quantity, name, skipped, at)

    def quantities(self, name: str) -> dict[tuple[str, str], int | None]:
        """What Shopify holds per (location gid, SKU) as far as we know, for quantity ``name``;
        entries published under another name do not count (the config switched names)."""
        return {key: row.quantity for key, row in self.rows.items() if row.name == name and not row.skipped}

    def skipped(self) -> dict[tuple[str, str], Published]:
        return {key: row for key, row in self.rows.items() if row.skipped}

    def record(self, entries: list[Published]) -> None:
        """Buffer ``entries``; :meth:`flush` writes them."""
        now = time.time()
        for entry in entries:
            self.rows[(entry.location_id, entry.sku)] = entry
            self.store.put(
                legacy_id(entry.location_id),
                entry.sku,
                [entry.quantity, entry.item_id, entry.name, entry.skipped, round(now)],
            )

    @property
    def pending(self) -> bool:
        return bool(self.store.dirty)

    def flush(self) -> int:
        return self.store.flush()

    def prepare(self) -> list[list[Any]]:
        return self.store.prepare()

    def write(self, prepared: list[list[Any]]) -> int:
        return self.store.write(prepared)
