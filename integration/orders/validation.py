"""ERP-ready validation: everything that can be decided before a single F&O write.

Pure: it takes the typed order, the mappings, the released item numbers and (under the ``hold``
inventory policy) the available quantities, and returns the decisions the mapping needs plus every
failure at once (an operator fixes them all in one go, then retries). Each failure has a stable
reason code and the offending values, and becomes one exception for the order.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from integration.mappings import Mappings, Warehouse
from integration.orders.contact import country_iso3
from integration.orders.model import Order

MISSING_FIELD = "MISSING_FIELD"
UNKNOWN_SKU = "UNKNOWN_SKU"
UNMAPPED_SHIPPING_METHOD = "UNMAPPED_SHIPPING_METHOD"
UNKNOWN_TAX_TREATMENT = "UNKNOWN_TAX_TREATMENT"
TOTAL_MISMATCH = "TOTAL_MISMATCH"
INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
UNKNOWN_CUSTOMER = "UNKNOWN_CUSTOMER"
AMBIGUOUS_CUSTOMER = "AMBIGUOUS_CUSTOMER"
UNMAPPED_WAREHOUSE = "UNMAPPED_WAREHOUSE"
CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
INVALID_QUANTITY = "INVALID_QUANTITY"
FO_REJECTED = "FO_REJECTED"  # F&O answered a permanent 400 (its message is kept)
UPDATE_CONFLICT = "UPDATE_CONFLICT"
CANCEL_CONFLICT = "CANCEL_CONFLICT"


@dataclass(frozen=True)
class Failure:
    reason_code: str
    message: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class Decisions:
    """What validation decided, consumed by the pure mapping."""

    item_numbers: list[str] = field(default_factory=list)  # per order line
    dimensions: list[dict[str, str]] = field(default_factory=list)  # per order line: product dimensions
    delivery_mode: str = ""
    tax_group: str = ""
    warehouse: Warehouse | None = None
    ship_country_iso3: str = ""


def item_numbers(order: Order, mappings: Mappings) -> list[str]:
    """The F&O item number of every line (SKU, or the ``skus`` override; "" when neither)."""
    mappings.resolve_skus([line.sku for line in order.lines])
    return [mappings.item_number(line.sku, line.variant_id) for line in order.lines]


def tax_key(order: Order) -> tuple[list[str], str | None]:
    """(mapping keys to try, special key) for the order's tax treatment."""
    if order.tax_exempt:
        return [], "exempt"
    lines = [
        *order.tax_lines,
        *(t for li in order.lines for t in li.tax_lines),
        *(t for s in order.shipping_lines for t in s.tax_lines),
    ]
    if any(t.channel_liable for t in lines):
        return [], "channel_liable"
    titles = sorted({t.title for t in lines if t.title and (t.price.shop or t.rate)}, key=str.lower)
    if not titles:
        return [], "no_tax" if order.total_tax.shop == 0 else None
    keys = [f"title:{'+'.join(titles)}"] if len(titles) > 1 else []
    return [*keys, *(f"title:{t}" for t in titles)], None


def decide_tax_group(order: Order, mappings: Mappings) -> tuple[str, Failure | None]:
    keys, special = tax_key(order)
    if special:
        group = mappings.tax_group(special)
        if group:
            return group, None
        return "", Failure(
            UNKNOWN_TAX_TREATMENT,
            f"tax treatment '{special}' has no sales tax group mapping",
            {"treatment": special, "mapping_key": special, "total_tax": str(order.total_tax.shop)},
        )
    if not keys:
        return "", Failure(
            UNKNOWN_TAX_TREATMENT, "the order has tax but no tax lines to map", {"total_tax": str(order.total_tax.shop)}
        )
    if len(keys) > 1 and mappings.tax_group(keys[0]):  # an explicit mapping for the combination wins
        return str(mappings.tax_group(keys[0])), None
    singles = keys[1:] if len(keys) > 1 else keys
    groups = {k: mappings.tax_group(k) for k in singles}
    unmapped = [k for k, g in groups.items() if not g]
    distinct = {g for g in groups.values() if g}
    if unmapped or len(distinct) != 1:
        return "", Failure(
            UNKNOWN_TAX_TREATMENT,
            "tax lines do not map to exactly one sales tax group"
            + (f": unmapped {', '.join(unmapped)}" if unmapped else ""),
            {
                "mapping_keys": keys,
                "unmapped": unmapped,
                "groups": sorted(distinct),
                "total_tax": str(order.total_tax.shop),
            },
        )
    return distinct.pop(), None


def _required_fields(order: Order) -> list[Failure]:
    missing: list[str] = []
    values: dict[str, Any] = {}
    if not order.currency:
        missing.append("currency")
    if not order.order_number:
        missing.append("order_number")
    if not order.lines:
        missing.append("line_items")
    if any(li.requires_shipping for li in order.lines):
        address = order.shipping_address
        if address is None:
            missing.append("shipping_address")
        else:
            for name in ("address1", "city", "country_code"):
                if not getattr(address, name):
                    missing.append(f"shipping_address.{name}")
            if address.country_code and not country_iso3(address.country_code):
                missing.append("shipping_address.country_code")
                values["country_code"] = address.country_code
            if not address.full_name:
                missing.append("shipping_address.name")
    if not missing:
        return []
    return [
        Failure(
            MISSING_FIELD, f"required field(s) missing or invalid: {', '.join(missing)}", {"fields": missing, **values}
        )
    ]


def validate(
    order: Order, mappings: Mappings, released: Collection[str], available: Mapping[str, Decimal] | None = None
) -> tuple[Decisions, list[Failure]]:
    """Decisions plus every failure. ``released``: item numbers that exist as released products
    (upper-cased); ``available``: item number -> available quantity, used by the ``hold`` policy."""
    failures = _required_fields(order)
    decisions = Decisions(
        item_numbers=item_numbers(order, mappings),
        dimensions=[mappings.line_dimensions(line.sku, line.variant_id) for line in order.lines],
    )

    currencies = {m.shop_currency for li in order.lines for m in (li.price, li.discount) if m.shop_currency}
    currencies |= {order.total_price.shop_currency} - {""}
    if order.currency and currencies - {order.currency}:
        failures.append(
            Failure(
                CURRENCY_MISMATCH,
                "shop-money amounts are not all in the shop currency",
                {"currency": order.currency, "found": sorted(currencies)},
            )
        )

    bad_qty = [{"line_item_id": li.id, "quantity": li.quantity} for li in order.lines if li.quantity <= 0]
    if bad_qty:
        failures.append(Failure(INVALID_QUANTITY, "line quantities must be positive", {"lines": bad_qty}))

    unknown = [
        {"line_item_id": li.id, "sku": li.sku, "variant_id": li.variant_id, "item_number": item, "title": li.title}
        for li, item in zip(order.lines, decisions.item_numbers, strict=True)
        if not item or item.upper() not in released
    ]
    if unknown:
        failures.append(
            Failure(
                UNKNOWN_SKU,
                "line SKU(s) are not released products in F&O (add a 'skus' mapping for the SKU or 'variant:<id>')",
                {"lines": unknown},
            )
        )

    active_shipping = [s for s in order.shipping_lines if not s.is_removed]
    modes = {s.title or s.code: mappings.delivery_mode(s.code, s.title) for s in active_shipping}
    unmapped = [
        {"code": s.code, "title": s.title, "source": s.source} for s in active_shipping if not modes[s.title or s.code]
    ]
    if unmapped:
        failures.append(
            Failure(
                UNMAPPED_SHIPPING_METHOD,
                "shipping method(s) have no delivery mode mapping",
                {"shipping_lines": unmapped},
            )
        )
    elif active_shipping:
        decisions.delivery_mode = str(modes[active_shipping[0].title or active_shipping[0].code])

    decisions.tax_group, tax_failure = decide_tax_group(order, mappings)
    if tax_failure:
        failures.append(tax_failure)

    address = order.shipping_address or order.billing_address
    country = address.country_code.upper() if address else ""
    decisions.ship_country_iso3 = country_iso3(country) if address else ""
    decisions.warehouse = mappings.warehouse_for(
        order.location_id, country, address.province_code.upper() if address else ""
    )
    if decisions.warehouse is None:
        failures.append(
            Failure(
                UNMAPPED_WAREHOUSE,
                "no warehouse rule matches the order",
                {"location_id": order.location_id, "country": country},
            )
        )

    if mappings.inventory_policy == "hold" and available is not None:
        needed: dict[str, int] = {}
        for li, item in zip(order.lines, decisions.item_numbers, strict=True):
            if item and li.requires_shipping:
                needed[item.upper()] = needed.get(item.upper(), 0) + li.quantity
        short = [
            {"item_number": item, "ordered": qty, "available": str(available.get(item, Decimal(0)))}
            for item, qty in sorted(needed.items())
            if available.get(item, Decimal(0)) < qty
        ]
        if short:
            failures.append(
                Failure(INSUFFICIENT_STOCK, "not enough available stock (inventory policy 'hold')", {"lines": short})
            )
    return decisions, failures
