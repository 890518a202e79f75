"""Inventory push configuration: ``config/inventory.json`` (path overridable with the app setting
``INVENTORY_CONFIG_PATH``), validated with pydantic so a bad file fails the run loudly, naming the
field, before anything is read or pushed.

Which F&O warehouses feed which Shopify location, which F&O quantity is "sellable", safety stock
and the Shopify quantity name are business decisions, so they live in a reviewed file rather
than in code. See README "Inventory push" for the meaning of each field.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from shared.settings import SettingsError

APP_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PATH = "config/inventory.json"


class Measure(StrEnum):
    """Which F&O ``WarehousesOnHandV2`` figure is published (reference d365.md §2.6)."""

    AVAILABLE_ON_HAND = "available_on_hand"  # AvailableOnHandQuantity ("Available physical")
    AVAILABLE_INCL_ORDERED = "available_incl_ordered"  # AvailableOnHandQuantity + AvailableOrderedQuantity
    TOTAL_AVAILABLE = "total_available"  # TotalAvailableQuantity ("Available total")


class PublishAs(StrEnum):
    """The Shopify quantity name set with ``inventorySetQuantities`` (reference shopify.md §4.1).

    ``on_hand`` (default): Shopify itself computes available = on_hand - committed - unavailable
    states, atomically at checkout, so orders Shopify has taken but F&O has not deducted yet are
    never sold twice. ``available``: Shopify keeps our number as the sellable figure (on_hand
    becomes it + committed); only right when F&O's measure already deducts every open Shopify
    order the moment it is taken.
    """

    ON_HAND = "on_hand"
    AVAILABLE = "available"


class Warehouse(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    warehouse: str = Field(min_length=1)
    site: str | None = None  # optional: F&O warehouse ids are unique per legal entity


class LocationMap(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Shopify location: a gid, a numeric id, or the location's name (resolved at run time).
    shopify_location: str = Field(min_length=1)
    warehouses: list[Warehouse] = Field(min_length=1)
    safety_stock: int | None = Field(default=None, ge=0)
    safety_stock_items: dict[str, int] = Field(default_factory=dict)

    @field_validator("warehouses", mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        # "11" is shorthand for {"warehouse": "11"}.
        if isinstance(value, list):
            return [{"warehouse": v} if isinstance(v, str) else v for v in value]
        return value

    @field_validator("safety_stock_items")
    @classmethod
    def _non_negative(cls, value: dict[str, int]) -> dict[str, int]:
        bad = [sku for sku, n in value.items() if n < 0]
        if bad:
            raise ValueError(f"safety stock must be >= 0 (sku {bad[0]})")
        return value


class InventoryConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    locations: list[LocationMap] = Field(min_length=1)
    measure: Measure = Measure.AVAILABLE_ON_HAND
    publish_as: PublishAs = PublishAs.ON_HAND
    safety_stock: int = Field(default=0, ge=0)
    safety_stock_items: dict[str, int] = Field(default_factory=dict)
    # F&O item (+ product dimensions) -> Shopify SKU when they differ; otherwise the SKU is the item
    # number, with non-empty dimensions appended with ``variant_separator``.
    skus: dict[str, str] = Field(default_factory=dict)
    variant_separator: str = "-"
    batch_size: int = Field(default=250, ge=1, le=250)  # Shopify: at most 250 quantities per call
    max_conflict_retries: int = Field(default=3, ge=0, le=10)
    # Unknown SKUs / items not stocked at a location are looked up again after this long (or on a full resync).
    recheck_missing_hours: float = Field(default=24, ge=0)
    # A run stops cleanly before this (the next timer run resumes); keep it under the timer interval.
    max_run_seconds: float = Field(default=240, gt=0)
    lease_seconds: float = Field(default=300, gt=0)
    reason: str = "correction"
    reference_document_uri: str = "gid://shopify-d365-connector/InventorySync/{run_id}"

    @model_validator(mode="after")
    def _warehouse_feeds_one_location(self) -> InventoryConfig:
        # Publishing one warehouse's stock at two locations would sell it twice.
        seen: dict[str, str] = {}
        for location in self.locations:
            for wh in location.warehouses:
                key = wh.warehouse.casefold()
                if key in seen:
                    raise ValueError(
                        f"warehouse {wh.warehouse} is mapped to both {seen[key]!r} and {location.shopify_location!r}"
                    )
                seen[key] = location.shopify_location
        names = [loc.shopify_location for loc in self.locations]
        if len(set(names)) != len(names):
            raise ValueError("each Shopify location may appear once")
        return self

    def safety_for(self, location: LocationMap, sku: str) -> int:
        """Most specific wins: location+SKU, SKU, location, global default."""
        if sku in location.safety_stock_items:
            return location.safety_stock_items[sku]
        if sku in self.safety_stock_items:
            return self.safety_stock_items[sku]
        if location.safety_stock is not None:
            return location.safety_stock
        return self.safety_stock


def parse_config(data: Any, source: str = "inventory config") -> InventoryConfig:
    try:
        return InventoryConfig.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in error.errors())
        raise SettingsError(f"invalid {source}: {problems}") from None


def load_config(path: str | None = None) -> InventoryConfig:
    """The config at ``path`` (relative paths are relative to the app root)."""
    file = Path(path or DEFAULT_PATH)
    if not file.is_absolute():
        file = APP_ROOT / file
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"INVENTORY_CONFIG_PATH: file not found: {file}") from None
    except ValueError as error:
        raise SettingsError(f"INVENTORY_CONFIG_PATH: {file} is not JSON: {error}") from None
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if not k.startswith("_")}  # "_about" comments
    return parse_config(data, str(file))
