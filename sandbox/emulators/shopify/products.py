"""Products, variants and price lists of the Shopify emulator: ``productSet`` (upsert by id, handle
or a unique metafield value; the lists it is given replace what was there, the fields it is not
given are left alone), product reads, and ``priceListFixedPrices{Add,Update,Delete}``.

Limits and refusals follow shopify.dev for 2026-10: at most 3 options and 2,048 variants per
product, every variant names one value of every option, options need variants and vice versa,
a new product needs a title. Every check runs before anything changes (``userErrors`` = no change).
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from graphql import GraphQLResolveInfo

from sandbox.emulators.shopify.resolvers import store_of
from sandbox.emulators.shopify.store import InventoryItem, Store, gid, now_rest, parse_gid

Info = GraphQLResolveInfo
MAX_OPTIONS, MAX_VARIANTS = 3, 2048


@dataclass
class Variant:
    id: int
    product_id: int
    options: tuple[str, ...]  # one value per product option, in option order
    price: Decimal
    sku: str
    item_id: int
    barcode: str = ""
    position: int = 1


@dataclass
class Product:
    id: int
    title: str
    handle: str
    status: str = "ACTIVE"
    description_html: str = ""
    tags: list[str] = field(default_factory=list)
    vendor: str = ""
    product_type: str = ""
    options: list[tuple[int, str, list[str]]] = field(default_factory=list)  # (id, name, values)
    variants: list[int] = field(default_factory=list)
    created_at: str = ""
    updated_at: str = ""


@dataclass
class PriceList:
    id: int
    name: str
    currency: str
    fixed: dict[int, Decimal] = field(default_factory=dict)  # variant id -> price
    b2b: bool = False  # the price list of a B2B (company location) catalog: quantity price breaks allowed
    breaks: dict[int, dict[int, Decimal]] = field(default_factory=dict)  # variant id -> minimum qty -> price


@dataclass
class Measurement:
    requires_shipping: bool = True
    weight: tuple[str, float] | None = None


@dataclass
class Catalog:
    products: dict[int, Product] = field(default_factory=dict)
    variants: dict[int, Variant] = field(default_factory=dict)
    price_lists: dict[int, PriceList] = field(default_factory=dict)
    measurements: dict[int, Measurement] = field(default_factory=dict)  # inventory item id ->
    writes: int = 0  # productSet calls that changed something (for tests and benchmarks)
    base_url: str = ""  # where this emulator is reached (staged upload and bulk result URLs)
    uploads: dict[str, bytes] = field(default_factory=dict)  # staged upload key -> file
    bulk_ops: dict[int, Any] = field(default_factory=dict)  # id -> bulk.BulkOp


_CATALOGS: weakref.WeakKeyDictionary[Store, Catalog] = weakref.WeakKeyDictionary()


def catalog_of(store: Store) -> Catalog:
    found = _CATALOGS.get(store)
    if found is None:
        found = _CATALOGS[store] = Catalog()
    return found


def _handle(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.casefold()).strip("-") or "product"


def _error(code: str, field_path: list[str] | None, message: str) -> dict[str, Any]:
    return {"code": code, "field": field_path, "message": message}


def find_product(store: Store, identifier: dict[str, Any]) -> Product | None:
    book = catalog_of(store)
    if identifier.get("id"):
        return book.products.get(parse_gid(identifier["id"], "Product") or -1)
    if identifier.get("handle"):
        return next((p for p in book.products.values() if p.handle == identifier["handle"]), None)
    custom = identifier.get("customId")
    if custom:
        namespace, key, value = custom.get("namespace") or "$app", custom["key"], custom["value"]
        for product in book.products.values():
            found = store.get_metafield(gid("Product", product.id), namespace, key)
            if found is not None and found.value == value:
                return product
    return None


def _validate(product: Product | None, data: dict[str, Any]) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    options, variants = data.get("productOptions"), data.get("variants")
    if product is None and not (data.get("title") or "").strip():
        errors.append(_error("MISSING_FIELD_REQUIRED", ["input", "title"], "Title can't be blank"))
    if variants is not None and options is None and product is None:
        errors.append(
            _error("PRODUCT_OPTIONS_INPUT_MISSING", ["input", "productOptions"], "Product options input is missing")
        )
    if options is not None and variants is None:
        errors.append(_error("VARIANTS_INPUT_MISSING", ["input", "variants"], "Variants input is missing"))
    if options is not None:
        if len(options) > MAX_OPTIONS:
            errors.append(
                _error("OPTIONS_OVER_LIMIT", ["input", "productOptions"], "Can only specify a maximum of 3 options")
            )
        names = [str(o.get("name") or "") for o in options]
        if len(set(names)) != len(names):
            errors.append(_error("DUPLICATED_OPTION_NAME", ["input", "productOptions"], "Duplicated option name."))
        for n, option in enumerate(options):
            values = [str(v.get("name") or "") for v in option.get("values") or []]
            if not values:
                errors.append(
                    _error("OPTION_VALUES_MISSING", ["input", "productOptions", str(n)], "Option values missing")
                )
            if len(set(values)) != len(values):
                errors.append(
                    _error("DUPLICATED_OPTION_VALUE", ["input", "productOptions", str(n)], "Duplicated option value.")
                )
    if variants is not None:
        if len(variants) > MAX_VARIANTS:
            errors.append(
                _error(
                    "VARIANTS_OVER_LIMIT", ["input", "variants"], f"Can only have a maximum of {MAX_VARIANTS} variants"
                )
            )
        declared = {str(o.get("name")): {str(v.get("name")) for v in o.get("values") or []} for o in options or []}
        seen: set[tuple[str, ...]] = set()
        for n, variant in enumerate(variants):
            given = {str(v.get("optionName")): str(v.get("name")) for v in variant["optionValues"]}
            for name, value in given.items():
                if name not in declared:
                    errors.append(
                        _error(
                            "OPTION_DOES_NOT_EXIST", ["input", "variants", str(n)], f"Option '{name}' does not exist"
                        )
                    )
                elif value not in declared[name]:
                    errors.append(
                        _error(
                            "OPTION_VALUE_DOES_NOT_EXIST",
                            ["input", "variants", str(n)],
                            f"Option value '{value}' does not exist",
                        )
                    )
            if set(given) != set(declared):
                errors.append(
                    _error(
                        "INVALID_VARIANT", ["input", "variants", str(n)], "Variant must have a value for every option"
                    )
                )
            combination = tuple(given.get(name, "") for name in declared)
            if combination in seen:
                errors.append(_error("INVALID_VARIANT", ["input", "variants", str(n)], "The variant already exists"))
            seen.add(combination)
    return errors


def product_set(
    _r: Any, info: Info, input: dict[str, Any], identifier: dict[str, Any] | None = None, synchronous: bool = True
) -> dict[str, Any]:
    store = store_of(info)
    book = catalog_of(store)
    target = identifier or ({"id": input["id"]} if input.get("id") else None)
    product = find_product(store, target) if target else None
    if target and target.get("id") and product is None:
        return {
            "product": None,
            "productSetOperation": None,
            "userErrors": [_error("PRODUCT_DOES_NOT_EXIST", ["identifier", "id"], "Product does not exist")],
        }
    errors = _validate(product, input)
    if errors:
        return {"product": None, "productSetOperation": None, "userErrors": errors}
    stamp = now_rest()
    if product is None:
        title = str(input["title"])
        handle = str(input.get("handle") or (target or {}).get("handle") or _handle(title))
        if any(p.handle == handle for p in book.products.values()):
            handle = f"{handle}-{len(book.products) + 1}"
        product = Product(store.next_id(), title, handle, created_at=stamp)
        book.products[product.id] = product
    for key, attr in (
        ("title", "title"),
        ("descriptionHtml", "description_html"),
        ("vendor", "vendor"),
        ("productType", "product_type"),
        ("status", "status"),
    ):
        if input.get(key) is not None:
            setattr(product, attr, input[key])
    if input.get("tags") is not None:
        product.tags = list(input["tags"])
    if input.get("productOptions") is not None:
        _set_variants(store, book, product, input["productOptions"], input["variants"])
    owner = gid("Product", product.id)
    for metafield in input.get("metafields") or []:
        store.set_metafield(
            owner,
            metafield.get("namespace") or "$app",
            metafield["key"],
            metafield["value"],
            metafield.get("type") or "",
        )
    if (target or {}).get("customId"):
        custom = target["customId"]  # type: ignore[index]
        store.set_metafield(
            owner, custom.get("namespace") or "$app", custom["key"], custom["value"], "single_line_text_field"
        )
    product.updated_at = stamp
    book.writes += 1
    operation = {
        "id": gid("ProductSetOperation", store.next_id()),
        "status": "COMPLETE",
        "product": product,
        "userErrors": [],
    }
    return {
        "product": product if synchronous else None,
        "productSetOperation": None if synchronous else operation,
        "userErrors": [],
    }


def _set_variants(
    store: Store, book: Catalog, product: Product, options: list[dict[str, Any]], variants: list[dict[str, Any]]
) -> None:
    names = [str(o["name"]) for o in sorted(options, key=lambda o: o.get("position") or 0)]
    product.options = [
        (store.next_id(), str(o["name"]), [str(v["name"]) for v in o.get("values") or []])
        for o in sorted(options, key=lambda o: o.get("position") or 0)
    ]
    existing = {book.variants[v].options: book.variants[v] for v in product.variants if v in book.variants}
    keep: list[int] = []
    for position, data in enumerate(variants, start=1):
        given = {str(v.get("optionName")): str(v.get("name")) for v in data["optionValues"]}
        combination = tuple(given[name] for name in names)
        item_input = data.get("inventoryItem") or {}
        sku = str(item_input.get("sku") or data.get("sku") or "")
        variant = existing.get(combination)
        if variant is None:
            item = _new_item(store, sku)
            variant = Variant(store.next_id(), product.id, combination, Decimal(0), sku, item.id)
            book.variants[variant.id] = variant
        variant.position = position
        if data.get("price") is not None:
            variant.price = Decimal(str(data["price"]))
        if "barcode" in data:  # an explicit null clears it; an omitted field stays as it is
            variant.barcode = str(data["barcode"] or "")
        if sku and sku != variant.sku:
            item = store.items[variant.item_id]
            store.items_by_sku.pop(item.sku or "", None)
            item.sku, variant.sku = sku, sku
            store.items_by_sku[sku] = item.id
        measurement = book.measurements.setdefault(variant.item_id, Measurement())
        if item_input.get("requiresShipping") is not None:
            measurement.requires_shipping = bool(item_input["requiresShipping"])
        weight = (item_input.get("measurement") or {}).get("weight")
        if weight:
            measurement.weight = (str(weight["unit"]), float(weight["value"]))
        if item_input.get("tracked") is not None:
            store.items[variant.item_id].tracked = bool(item_input["tracked"])
        for metafield in data.get("metafields") or []:
            store.set_metafield(
                gid("ProductVariant", variant.id),
                metafield.get("namespace") or "$app",
                metafield["key"],
                metafield["value"],
                metafield.get("type") or "",
            )
        keep.append(variant.id)
    for old in set(product.variants) - set(keep):  # the list replaces: variants not given are deleted
        gone = book.variants.pop(old)
        store.items_by_sku.pop(store.items[gone.item_id].sku or "", None)
        store.items.pop(gone.item_id, None)
        for plist in book.price_lists.values():
            plist.fixed.pop(old, None)
            plist.breaks.pop(old, None)
    product.variants = keep


def _new_item(store: Store, sku: str) -> InventoryItem:
    stamp = now_rest()
    item = InventoryItem(id=store.next_id(), sku=sku, created_at=stamp, updated_at=stamp)
    store.items[item.id] = item
    if sku:
        store.items_by_sku[sku] = item.id
    for location in store.locations.values():
        store.stock(item.id, location.id, 0)
    return item
