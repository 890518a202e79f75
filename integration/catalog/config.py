"""Catalog sync configuration: ``config/catalog.json`` (path: app setting ``CATALOG_CONFIG_PATH``),
validated with pydantic so a bad file fails the run loudly, naming the field.

``fo_owns`` lists the product fields F&O is the master of. The others (description HTML, images,
SEO, tags) are Shopify's: they are never part of a ``productSet`` input, so a sync cannot
overwrite them (``productSet`` leaves fields it is not given unchanged).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.settings import SettingsError

APP_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PATH = "config/catalog.json"
FO_FIELDS = frozenset({"title", "options", "sku", "price", "weight", "barcode"})
# Shopify's limits per product (Admin API 2024-07 and later, reference shopify.md): 3 options, 2,048 variants.
SHOPIFY_MAX_OPTIONS = 3
SHOPIFY_MAX_VARIANTS = 2048


class PriceListMap(BaseModel):
    """F&O trade agreements of one customer price group -> one Shopify price list (currency of the list)."""

    model_config = ConfigDict(extra="forbid")
    customer_group: str = Field(min_length=1)
    price_list: str = Field(min_length=1)  # PriceList gid
    currency: str = Field(min_length=3, max_length=3)
    # the price list belongs to a B2B catalog (company locations): agreements from a quantity above 1
    # become quantity price breaks (Shopify supports them on B2B catalogs only)
    quantity_breaks: bool = False


class CatalogConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    released_states: list[str] = Field(min_length=1)
    publish_status: Literal["ACTIVE", "DRAFT", "UNLISTED"] = "ACTIVE"
    leaving_status: Literal["DRAFT", "ARCHIVED"] = "DRAFT"
    language: str = "en-us"
    currency: str = Field(default="USD", min_length=3, max_length=3)  # the shop's currency: base prices
    variant_separator: str = "-"
    option_names: dict[str, str] = Field(default_factory=dict)
    weight_unit: Literal["GRAMS", "KILOGRAMS", "OUNCES", "POUNDS"] = "KILOGRAMS"
    no_shipping_types: list[str] = Field(default_factory=lambda: ["Service"])
    vendor: str = ""
    fo_owns: list[str] = Field(default_factory=lambda: sorted(FO_FIELDS))
    # only barcodes of this F&O bar code setup (e.g. "UPC"); empty: the default displayed/scanned barcode
    barcode_setup: str = ""
    # register the title in the shop's other published locales from ProductTranslations
    translate: bool = True
    # Shopify locale -> F&O LanguageId where they differ (default: same code, or the same primary language)
    language_map: dict[str, str] = Field(default_factory=dict)
    max_variants: int = Field(default=SHOPIFY_MAX_VARIANTS, gt=0, le=SHOPIFY_MAX_VARIANTS)
    max_options: int = Field(default=SHOPIFY_MAX_OPTIONS, gt=0, le=SHOPIFY_MAX_OPTIONS)
    price_lists: list[PriceListMap] = Field(default_factory=list)
    # this many products to write (or more) go through one bulk mutation instead of one productSet each
    bulk_threshold: int = Field(default=200, gt=0)
    bulk_poll_seconds: float = Field(default=5.0, ge=0)
    bulk_max_wait_seconds: float = Field(default=480.0, ge=0)
    lease_seconds: int = Field(default=600, gt=0)
    overlap_minutes: int = Field(default=10, ge=0)
    # F&O's standard product entities publish no modified date; name an extension field here to read
    # deltas by date (empty: every run reads all released products and the content hash decides).
    modified_field: str = ""

    def owns(self, name: str) -> bool:
        return name in self.fo_owns

    @property
    def released(self) -> set[str]:
        return {s.casefold() for s in self.released_states}


def load_config(path: str | None = None) -> CatalogConfig:
    target = Path(path or DEFAULT_PATH)
    if not target.is_absolute():
        target = APP_ROOT / target
    try:
        raw = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise SettingsError(f"CATALOG_CONFIG_PATH: cannot read {target.name}: {error}") from error
    raw.pop("_about", None)
    unknown = set(raw.get("fo_owns", [])) - FO_FIELDS
    if unknown:
        raise SettingsError(f"catalog config: fo_owns has unknown field(s) {sorted(unknown)}")
    try:
        return CatalogConfig.model_validate(raw)
    except ValidationError as error:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in error.errors())
        raise SettingsError(f"catalog config: invalid {fields}") from error
