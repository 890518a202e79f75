"""Pure quantity calculation: F&O on-hand rows -> the whole number to publish per Shopify location
and SKU, and the diff against what was last published. No I/O here.

Rules (README "Inventory push"):
* the configured measure is summed over the location's warehouses (signed: a warehouse that is
  negative holds stock it owes, so it reduces the location rather than being ignored);
* safety stock is subtracted; the result is floored to a whole unit and never below 0;
* a SKU published before but absent from F&O now is published as 0 (never leave stale stock).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from integration.inventory.config import InventoryConfig, LocationMap, Measure
from integration.inventory.packed import bucket_of

DIMENSIONS = ("ProductColorId", "ProductConfigurationId", "ProductSizeId", "ProductStyleId", "ProductVersionId")
KEY_FIELDS = ("ItemNumber", *DIMENSIONS, "InventorySiteId", "InventoryWarehouseId")
MEASURE_FIELDS: dict[Measure, tuple[str, ...]] = {
    Measure.AVAILABLE_ON_HAND: ("AvailableOnHandQuantity",),
    Measure.AVAILABLE_INCL_ORDERED: ("AvailableOnHandQuantity", "AvailableOrderedQuantity"),
    Measure.TOTAL_AVAILABLE: ("TotalAvailableQuantity",),
}


@dataclass(frozen=True)
class OnHand:
    """One ``WarehousesOnHandV2`` row, reduced to what the calculation needs."""

    item: str
    dimensions: tuple[str, ...]
    site: str
    warehouse: str
    quantity: Decimal  # the configured measure

    @classmethod
    def from_row(cls, row: Mapping[str, Any], measure: Measure) -> OnHand:
        total = sum((_decimal(row.get(name)) for name in MEASURE_FIELDS[measure]), Decimal(0))
        return cls(
            str(row.get("ItemNumber") or ""),
            tuple(str(row.get(d) or "") for d in DIMENSIONS),
            str(row.get("InventorySiteId") or ""),
            str(row.get("InventoryWarehouseId") or ""),
            total,
        )


def _decimal(value: Any) -> Decimal:
    if value is None or value == "":
        return Decimal(0)
    return value if isinstance(value, Decimal) else Decimal(str(value))


def select_fields(measure: Measure) -> list[str]:
    return [*KEY_FIELDS, *MEASURE_FIELDS[measure]]


def sku_of(item: str, dimensions: Iterable[str], config: InventoryConfig) -> str:
    """The Shopify SKU of an F&O item (+ product dimensions)."""
    parts = [item, *(d for d in dimensions if d)]
    natural = config.variant_separator.join(parts)
    return config.skus.get(natural, natural)


def location_of(row: OnHand, config: InventoryConfig) -> LocationMap | None:
    for location in config.locations:
        for wh in location.warehouses:
            if wh.warehouse.casefold() == row.warehouse.casefold() and (
                wh.site is None or wh.site.casefold() == row.site.casefold()
            ):
                return location
    return None


def whole_units(value: Decimal) -> int:
    """Floor to a whole unit, never below 0: a fraction of a unit cannot be sold."""
    return max(0, int(value.to_integral_value(rounding=ROUND_FLOOR)))


def targets(rows: Iterable[OnHand], config: InventoryConfig) -> dict[tuple[str, str], int]:
    """(config location name, SKU) -> the quantity to publish."""
    sums: dict[tuple[str, str], Decimal] = {}
    locations: dict[str, LocationMap] = {}
    for row in rows:
        location = location_of(row, config)
        if location is None:  # a warehouse the filter let through but no location maps
            continue
        key = (location.shopify_location, sku_of(row.item, row.dimensions, config))
        locations[location.shopify_location] = location
        sums[key] = sums.get(key, Decimal(0)) + row.quantity
    return {key: whole_units(total - config.safety_for(locations[key[0]], key[1])) for key, total in sums.items()}


@dataclass(frozen=True)
class Change:
    """One quantity to set: ``previous`` is what the ledger says Shopify holds (None: unknown)."""

    location_id: str  # Shopify location gid
    sku: str
    quantity: int
    previous: int | None


@dataclass
class Diff:
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0


def diff(
    wanted: Mapping[tuple[str, str], int], published: Mapping[tuple[str, str], int | None], full: bool = False
) -> Diff:
    """Changes between the wanted quantities and the last published ones, both keyed by
    (location gid, SKU). ``full`` sends every wanted quantity again (drift repair)."""
    result = Diff()
    for key, quantity in wanted.items():
        previous = published.get(key)
        if previous == quantity and not full:
            result.unchanged += 1
        else:
            result.changes.append(Change(key[0], key[1], quantity, previous))
    for key, previous in published.items():
        if key not in wanted and previous not in (None, 0):
            result.changes.append(Change(key[0], key[1], 0, previous))  # gone from F&O: stop selling it
    # Stable order (a resumed run rebuilds the same batches), grouped by ledger bucket so that a
    # batch touches few ledger entities and its checkpoint write stays small.
    result.changes.sort(key=lambda c: (c.location_id, bucket_of(c.sku), c.sku))
    return result


def batches(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
