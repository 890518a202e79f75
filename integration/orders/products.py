"""Released products (``ReleasedProductsV2``) the orders reference, cached per process.

A known item stays cached for ``ttl`` seconds (released products rarely disappear). Unknown items
are NOT cached: an order blocked on ``UNKNOWN_SKU`` must see the product as soon as someone
releases it in F&O and retries. Missing items are fetched in one ``$filter=... or ...`` request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from integration.clients.d365 import D365Client, odata_literal

MAX_PER_QUERY = 40  # keeps the $filter well inside URL limits


class ProductCache:
    def __init__(self, ttl: float = 3600.0) -> None:
        self.ttl = ttl
        self._known: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._known.clear()

    def released(self, client: D365Client, items: Iterable[str]) -> set[str]:
        """The subset of ``items`` (upper-cased) released in the client's legal entity."""
        company = client.legal_entity.lower()
        wanted = {i.upper() for i in items if i}
        now = time.monotonic()
        with self._lock:
            found = {i for i in wanted if self._known.get((company, i), 0) > now}
        missing = sorted(wanted - found)
        for start in range(0, len(missing), MAX_PER_QUERY):
            chunk = missing[start : start + MAX_PER_QUERY]
            clause = " or ".join(f"ItemNumber eq {odata_literal(i)}" for i in chunk)
            rows = client.get(
                "ReleasedProductsV2",
                filter=f"dataAreaId eq {odata_literal(client.legal_entity)} and ({clause})",
                select=["ItemNumber"],
                cross_company=True,
            )
            with self._lock:
                for row in rows:
                    item = str(row.get("ItemNumber", "")).upper()
                    self._known[(company, item)] = now + self.ttl
                    found.add(item)
        return found & wanted


def available_quantities(client: D365Client, items: Iterable[str], warehouse: str) -> dict[str, Decimal]:
    """Available on-hand per item (upper-cased) in ``warehouse``; used only by the ``hold`` policy."""
    wanted = sorted({i.upper() for i in items if i})
    result: dict[str, Decimal] = {i: Decimal(0) for i in wanted}
    if not wanted:
        return result
    clause = " or ".join(f"ItemNumber eq {odata_literal(i)}" for i in wanted)
    rows: list[dict[str, Any]] = client.get(
        "WarehousesOnHandV2",
        filter=f"dataAreaId eq {odata_literal(client.legal_entity)} and "
        f"InventoryWarehouseId eq {odata_literal(warehouse)} and ({clause})",
        select=["ItemNumber", "AvailableOnHandQuantity"],
        cross_company=True,
    )
    for row in rows:
        item = str(row.get("ItemNumber", "")).upper()
        result[item] = result.get(item, Decimal(0)) + Decimal(str(row.get("AvailableOnHandQuantity", 0)))
    return result


DEFAULT_CACHE = ProductCache()
