"""F&O product -> Shopify ``productSet`` input. Pure: no I/O, the same input gives the same output
(and the same content hash, which is how a re-run knows it has nothing to write).

* A product master becomes one product with an option per product dimension its variants use and
  a variant per dimension combination; a distinct product becomes a product with Shopify's single
  default variant (option ``Title`` = ``Default Title``, as ``productSet`` requires).
* SKU = item number, plus the variant's non-empty dimensions joined by the configured separator,
  in the order the inventory push builds SKUs (so the push finds the new variants).
* Price = the most specific all-customer trade agreement in the shop currency valid today for
  quantity 1, else the released product's base sales price (per unit). No price -> exception.
* Only fields F&O owns are in the input: description HTML, images, SEO and tags never are.
* A product outside the released lifecycle states is only sent if it was synced before, and then
  only its status (DRAFT or ARCHIVED): it is never deleted.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from integration.catalog.config import CatalogConfig
from integration.catalog.model import DIMENSIONS, FoCatalogEntry, FoPrice, FoVariant

NAMESPACE = "d365"
TEXT = "single_line_text_field"
DEFAULT_OPTION, DEFAULT_VALUE = "Title", "Default Title"

MISSING_PRICE = "CATALOG_MISSING_PRICE"
TOO_MANY_OPTIONS = "CATALOG_TOO_MANY_OPTIONS"
TOO_MANY_VARIANTS = "CATALOG_TOO_MANY_VARIANTS"
NO_VARIANTS = "CATALOG_NO_VARIANTS"
INCOMPLETE_DIMENSIONS = "CATALOG_INCOMPLETE_DIMENSIONS"
DUPLICATE_SKU = "CATALOG_DUPLICATE_SKU"


@dataclass(frozen=True)
class Problem:
    reason_code: str
    message: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class ProductPlan:
    product_number: str
    item_number: str
    status: str
    input: dict[str, Any]  # ProductSetInput (without the identifier)
    skus: dict[str, str] = field(default_factory=dict)  # SKU -> F&O item number
    status_only: bool = False
    dimensions: dict[str, dict[str, str]] = field(default_factory=dict)  # SKU -> its non-empty product dimensions

    @property
    def content_hash(self) -> str:
        """Of the input without its nulls: a field that is null now and was absent before (a variant that
        never had a barcode) is no change, so it does not rewrite the product."""
        text = json.dumps(_without_nulls(self.input), sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def sku_of(item_number: str, dimensions: tuple[str, ...], config: CatalogConfig) -> str:
    return config.variant_separator.join([item_number, *(d for d in dimensions if d)])


def option_name(dimension: str, config: CatalogConfig) -> str:
    return config.option_names.get(dimension) or dimension.removeprefix("Product").removesuffix("Id")


def is_released(state: str, config: CatalogConfig) -> bool:
    return state.casefold() in config.released


def unit_price(
    entry: FoCatalogEntry, dimensions: tuple[str, ...], config: CatalogConfig, now: datetime
) -> Decimal | None:
    """The all-customer price of one variant (or of the distinct product: all dimensions "")."""
    candidates = [
        p
        for p in entry.prices
        if not p.customer_group
        and not p.customer_account
        and p.currency.upper() == config.currency.upper()
        and p.from_quantity <= 1
        and p.valid_on(now)
        and p.applies_to(dimensions)
        and p.price > 0
    ]
    if candidates:
        return max(candidates, key=_rank).unit_price
    return entry.product.unit_price


def _rank(price: FoPrice) -> tuple[int, datetime | str, int]:
    return (price.specificity, price.valid_from.isoformat() if price.valid_from else "", price.record_id)


def barcode_of(entry: FoCatalogEntry, dimensions: tuple[str, ...], config: CatalogConfig) -> str:
    """The barcode of one variant (or distinct product): its exact dimensions, one unit, the configured
    setup; the default displayed barcode first, then the default scanned one, then the lowest."""
    candidates = [
        b
        for b in entry.barcodes
        if b.barcode
        and b.dimensions == dimensions
        and b.quantity <= 1
        and (not config.barcode_setup or b.setup.casefold() == config.barcode_setup.casefold())
    ]
    if not candidates:
        return ""
    return min(candidates, key=lambda b: (not b.displayed, not b.scanned, b.setup, b.barcode)).barcode


def title_of(entry: FoCatalogEntry, config: CatalogConfig) -> str:
    for t in entry.translations:
        if t.language == config.language.casefold() and t.name.strip():
            return t.name.strip()
    return entry.product.search_name.strip() or entry.product.item_number


def build(
    entry: FoCatalogEntry, config: CatalogConfig, now: datetime, *, known: bool
) -> ProductPlan | list[Problem] | None:
    """The productSet input of one F&O product, the reasons it cannot be sent, or None (nothing to send)."""
    product = entry.product
    if not is_released(product.lifecycle_state, config):
        if not known:
            return None
        return ProductPlan(
            product.product_number,
            product.item_number,
            config.leaving_status,
            {"status": config.leaving_status},
            status_only=True,
        )
    variants = sorted(entry.variants, key=lambda v: v.dimensions) if product.is_master else []
    if product.is_master and not variants:
        return [
            Problem(NO_VARIANTS, "the product master has no released variants", {"product": product.product_number})
        ]
    used = [i for i, _ in enumerate(DIMENSIONS) if any(v.dimensions[i] for v in variants)]
    problems: list[Problem] = []
    if len(used) > config.max_options:
        names = [DIMENSIONS[i] for i in used]
        problems.append(
            Problem(
                TOO_MANY_OPTIONS,
                f"{len(used)} dimensions, Shopify allows {config.max_options} options",
                {"dimensions": names},
            )
        )
    if len(variants) > config.max_variants:
        problems.append(
            Problem(
                TOO_MANY_VARIANTS,
                f"{len(variants)} variants, Shopify allows {config.max_variants}",
                {"variants": len(variants)},
            )
        )
    incomplete = [
        v.variant_number or "/".join(v.dimensions) for v in variants if any(not v.dimensions[i] for i in used)
    ]
    if incomplete:
        problems.append(
            Problem(INCOMPLETE_DIMENSIONS, "variants without a value for a dimension", {"variants": incomplete[:10]})
        )
    if problems:
        return problems
    rows: list[tuple[FoVariant | None, tuple[str, ...]]] = [(v, v.dimensions) for v in variants] or [
        (None, ("",) * len(DIMENSIONS))
    ]
    shipping = product.product_type not in config.no_shipping_types
    out_variants: list[dict[str, Any]] = []
    skus: dict[str, str] = {}
    dimensions: dict[str, dict[str, str]] = {}
    missing: list[str] = []
    for _variant, dims in rows:
        sku = sku_of(product.item_number, dims, config)
        price = unit_price(entry, dims, config, now)
        if price is None and config.owns("price"):
            missing.append(sku)
            continue
        option_values = (
            [{"optionName": option_name(DIMENSIONS[i], config), "name": dims[i]} for i in used]
            if used
            else [{"optionName": DEFAULT_OPTION, "name": DEFAULT_VALUE}]
        )
        inventory_item: dict[str, Any] = {"sku": sku, "requiresShipping": shipping, "tracked": shipping}
        if config.owns("weight") and shipping:
            weight = float(product.gross_weight)
            inventory_item["measurement"] = {"weight": {"unit": config.weight_unit, "value": weight}}
        row: dict[str, Any] = {
            "optionValues": option_values,
            "inventoryItem": inventory_item,
            "metafields": [{"namespace": NAMESPACE, "key": "item_number", "type": TEXT, "value": product.item_number}],
        }
        if config.owns("price") and price is not None:
            row["price"] = str(price)
        if config.owns("barcode"):
            # F&O owns it: a barcode removed in F&O is cleared in Shopify (an explicit null; productSet
            # leaves omitted fields as they are).
            row["barcode"] = barcode_of(entry, dims, config) or None
        out_variants.append(row)
        skus[sku] = product.item_number
        if any(dims):
            dimensions[sku] = {DIMENSIONS[i]: value for i, value in enumerate(dims) if value}
    if missing:
        return [Problem(MISSING_PRICE, "no sales price and no all-customer trade agreement", {"skus": missing[:10]})]
    options = (
        [
            {
                "name": option_name(DIMENSIONS[i], config),
                "position": n,
                "values": [{"name": value} for value in dict.fromkeys(v.dimensions[i] for v in variants)],
            }
            for n, i in enumerate(used, start=1)
        ]
        if used
        else [{"name": DEFAULT_OPTION, "position": 1, "values": [{"name": DEFAULT_VALUE}]}]
    )
    body: dict[str, Any] = {
        "status": config.publish_status,
        "productOptions": options,
        "variants": out_variants,
        "metafields": [
            {"namespace": NAMESPACE, "key": "product_number", "type": TEXT, "value": product.product_number}
        ],
    }
    if config.owns("title") or not known:
        body["title"] = title_of(entry, config)
    if config.vendor:
        body["vendor"] = config.vendor
    return ProductPlan(
        product.product_number, product.item_number, config.publish_status, body, skus, dimensions=dimensions
    )


def duplicate_skus(plans: list[ProductPlan]) -> dict[str, list[str]]:
    """Product numbers per SKU, for the SKUs more than one product would use."""
    owners: dict[str, list[str]] = defaultdict(list)
    for plan in plans:
        for sku in plan.skus:
            owners[sku].append(plan.product_number)
    return {sku: numbers for sku, numbers in owners.items() if len(numbers) > 1}


def group_prices(
    entry: FoCatalogEntry, customer_group: str, currency: str, now: datetime, config: CatalogConfig
) -> dict[str, Decimal]:
    """SKU -> fixed price of one customer price group (quantity 1, valid today, that currency)."""
    out: dict[str, Decimal] = {}
    dims_list = [v.dimensions for v in entry.variants] if entry.product.is_master else [("",) * len(DIMENSIONS)]
    for dims in dims_list:
        candidates = [
            p
            for p in entry.prices
            if p.customer_group.casefold() == customer_group.casefold()
            and not p.customer_account
            and p.currency.upper() == currency.upper()
            and p.from_quantity <= 1
            and p.valid_on(now)
            and p.applies_to(dims)
            and p.price > 0
        ]
        if candidates:
            out[sku_of(entry.product.item_number, dims, config)] = max(candidates, key=_rank).unit_price
    return out


def group_breaks(
    entry: FoCatalogEntry, customer_group: str, currency: str, now: datetime, config: CatalogConfig
) -> dict[str, dict[int, Decimal]]:
    """SKU -> {minimum quantity: unit price} of one customer price group: its agreements from a whole
    quantity above 1 (valid today, that currency), the most specific per minimum quantity."""
    out: dict[str, dict[int, Decimal]] = {}
    dims_list = [v.dimensions for v in entry.variants] if entry.product.is_master else [("",) * len(DIMENSIONS)]
    for dims in dims_list:
        best: dict[int, FoPrice] = {}
        for p in entry.prices:
            if not (
                p.customer_group.casefold() == customer_group.casefold()
                and not p.customer_account
                and p.currency.upper() == currency.upper()
                and p.from_quantity > 1
                and p.from_quantity == p.from_quantity.to_integral_value()
                and p.valid_on(now)
                and p.applies_to(dims)
                and p.price > 0
            ):
                continue
            minimum = int(p.from_quantity)
            if minimum not in best or _rank(p) > _rank(best[minimum]):
                best[minimum] = p
        if best:
            out[sku_of(entry.product.item_number, dims, config)] = {m: p.unit_price for m, p in sorted(best.items())}
    return out
