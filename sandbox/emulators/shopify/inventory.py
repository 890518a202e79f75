"""``inventorySetQuantities`` / ``inventoryAdjustQuantities`` with version-dependent
compare-and-swap (reference/shopify.md §4.1):

* up to 2025-10: ``compareQuantity`` required per quantity unless ``ignoreCompareQuantity: true``
  (``COMPARE_QUANTITY_REQUIRED`` / ``COMPARE_QUANTITY_STALE``);
* 2026-01: a present ``changeFromQuantity`` wins (``null`` opts out; ``CHANGE_FROM_QUANTITY_STALE``),
  otherwise the old rules;
* from 2026-04: ``changeFromQuantity`` must be present on every quantity (``null`` opts out).
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError

from sandbox.emulators.shopify.schema import TIER_2026_04, TIER_LEGACY
from sandbox.emulators.shopify.store import AdjustmentGroup, Store, now_rest, parse_gid

MAX_INPUT = 250
MAX_QUANTITY = 1_000_000_000
SET_NAMES = ("available", "on_hand")
REASONS = frozenset(
    {
        "correction",
        "cycle_count_available",
        "damaged",
        "movement_canceled",
        "movement_created",
        "movement_received",
        "movement_updated",
        "other",
        "promotion",
        "quality_control",
        "received",
        "reservation_created",
        "reservation_deleted",
        "reservation_updated",
        "restock",
        "safety_stock",
        "shrinkage",
    }
)


def _error(field: list[str], code: str, message: str) -> dict[str, Any]:
    return {"field": field, "code": code, "message": message}


def _check_size(rows: list[Any]) -> None:
    if len(rows) > MAX_INPUT:
        raise GraphQLError(
            f"The input array size of {len(rows)} is greater than the maximum allowed of {MAX_INPUT}.",
            extensions={"code": "MAX_INPUT_SIZE_EXCEEDED"},
        )


def _common(input: dict[str, Any]) -> list[dict[str, Any]]:
    errors = []
    if input.get("reason") not in REASONS:
        errors.append(_error(["input", "reason"], "INVALID_REASON", "The specified reason is invalid."))
    uri = input.get("referenceDocumentUri")
    if uri is not None and ":" not in uri:
        errors.append(
            _error(
                ["input", "referenceDocumentUri"],
                "INVALID_REFERENCE_DOCUMENT",
                "The specified reference document is invalid.",
            )
        )
    return errors


def _cas(row: dict[str, Any], current: int, tier: str, ignore: bool, where: list[str]) -> dict[str, Any] | None:
    """The compare-and-swap error for one row, or None when it may be applied."""
    if tier != TIER_LEGACY and "changeFromQuantity" in row:
        expected = row["changeFromQuantity"]
        if expected is not None and expected != current:
            return _error(
                [*where, "changeFromQuantity"],
                "CHANGE_FROM_QUANTITY_STALE",
                "The changeFromQuantity value does not match persisted value.",
            )
        return None
    if tier == TIER_2026_04:
        raise GraphQLError(
            "changeFromQuantity is required on every quantity from API version 2026-04; "
            "pass null to opt out of the check.",
            extensions={"code": "BAD_REQUEST"},
        )
    if ignore:
        return None
    if row.get("compareQuantity") is None:
        return _error(
            [*where, "compareQuantity"],
            "COMPARE_QUANTITY_REQUIRED",
            "The compareQuantity argument must be given to each quantity or ignored using ignoreCompareQuantity.",
        )
    if row["compareQuantity"] != current:
        return _error(
            [*where, "compareQuantity"],
            "COMPARE_QUANTITY_STALE",
            "The compareQuantity value does not match persisted value.",
        )
    return None


def _locate(store: Store, row: dict[str, Any], where: list[str]) -> tuple[Any, dict[str, Any] | None]:
    item_id = parse_gid(row.get("inventoryItemId"), "InventoryItem")
    location_id = parse_gid(row.get("locationId"), "Location")
    if item_id not in store.items:
        return None, _error(
            [*where, "inventoryItemId"], "INVALID_INVENTORY_ITEM", "The specified inventory item could not be found."
        )
    if location_id not in store.locations:
        return None, _error([*where, "locationId"], "INVALID_LOCATION", "The specified location could not be found.")
    level = store.levels.get((item_id, location_id))
    if level is None:
        return None, _error(
            [*where, "locationId"],
            "ITEM_NOT_STOCKED_AT_LOCATION",
            "The specified inventory item is not stocked at the location.",
        )
    return level, None


def _group(store: Store, input: dict[str, Any], changes: list[dict[str, Any]]) -> dict[str, Any]:
    group = AdjustmentGroup(store.next_id(), now_rest(), input["reason"], input.get("referenceDocumentUri"), changes)
    store.adjustment_groups[group.id] = group
    return {"inventoryAdjustmentGroup": group, "userErrors": []}


def set_quantities(store: Store, input: dict[str, Any], tier: str) -> dict[str, Any]:
    rows = list(input.get("quantities") or [])
    _check_size(rows)
    name = str(input.get("name"))
    errors = _common(input)
    if name not in SET_NAMES:
        errors.append(
            _error(["input", "name"], "INVALID_NAME", "The quantity name must be either 'available' or 'on_hand'.")
        )
    planned, seen = [], set()
    for index, row in enumerate(rows):
        where = ["input", "quantities", str(index)]
        level, error = _locate(store, row, where)
        if error is None and (level.item_id, level.location_id) in seen:
            error = _error(
                where,
                "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
                "The combination of inventoryItemId and locationId must be unique.",
            )
        if error is None and row["quantity"] > MAX_QUANTITY:
            error = _error(
                [*where, "quantity"],
                "INVALID_QUANTITY_TOO_HIGH",
                "The total quantity can't be higher than 1,000,000,000.",
            )
        if error is None and name == "on_hand" and row["quantity"] < 0:
            error = _error([*where, "quantity"], "INVALID_QUANTITY_NEGATIVE", "The quantity can't be negative.")
        if error is None and name in SET_NAMES:
            error = _cas(row, store.quantities(level)[name], tier, bool(input.get("ignoreCompareQuantity")), where)
        if error is not None:
            errors.append(error)
        else:
            seen.add((level.item_id, level.location_id))
            planned.append((level, row["quantity"]))
    if errors:
        return {"inventoryAdjustmentGroup": None, "userErrors": errors}
    changes = []
    for level, quantity in planned:
        delta = store.set_quantity(level, name, quantity)
        after = store.quantities(level)
        for changed in (name, "on_hand") if name == "available" else (name,):
            changes.append(
                {
                    "name": changed,
                    "delta": delta,
                    "quantityAfterChange": after[changed],
                    "item_id": level.item_id,
                    "location_id": level.location_id,
                    "ledgerDocumentUri": None,
                }
            )
    return _group(store, input, changes)


def adjust_quantities(store: Store, input: dict[str, Any], tier: str) -> dict[str, Any]:
    """Deltas on ``available`` (the only adjustable name this emulator models)."""
    rows = list(input.get("changes") or [])
    _check_size(rows)
    errors = _common(input)
    if input.get("name") != "available":
        errors.append(
            _error(
                ["input", "name"],
                "INVALID_QUANTITY_NAME",
                "The quantity name is not valid for this emulator: only 'available' is supported.",
            )
        )
    planned = []
    for index, row in enumerate(rows):
        where = ["input", "changes", str(index)]
        level, error = _locate(store, row, where)
        if error is None and tier != TIER_LEGACY:
            if tier == TIER_2026_04 and "changeFromQuantity" not in row:
                raise GraphQLError(
                    "changeFromQuantity is required on every change from API version 2026-04; "
                    "pass null to opt out of the check.",
                    extensions={"code": "BAD_REQUEST"},
                )
            expected = row.get("changeFromQuantity")
            if expected is not None and expected != store.quantities(level)["available"]:
                error = _error(
                    [*where, "changeFromQuantity"],
                    "CHANGE_FROM_QUANTITY_STALE",
                    "The changeFromQuantity value does not match persisted value.",
                )
        if error is not None:
            errors.append(error)
        else:
            planned.append((level, int(row["delta"]), row.get("ledgerDocumentUri")))
    if errors:
        return {"inventoryAdjustmentGroup": None, "userErrors": errors}
    changes = []
    for level, delta, ledger in planned:
        level.on_hand += delta
        level.updated_at = now_rest()
        after = store.quantities(level)
        for changed in ("available", "on_hand"):
            changes.append(
                {
                    "name": changed,
                    "delta": delta,
                    "quantityAfterChange": after[changed],
                    "item_id": level.item_id,
                    "location_id": level.location_id,
                    "ledgerDocumentUri": ledger,
                }
            )
    return _group(store, input, changes)
