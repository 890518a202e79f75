"""Fixed prices and quantity price breaks on the configured Shopify price lists, from F&O trade
agreements of one customer price group (mapping.group_prices / group_breaks).

* Every price list: the quantity-1 price of each variant, sent only when it differs from what was last
  sent; a variant whose agreement is gone loses its fixed price (``priceListFixedPricesUpdate``: add and
  delete in one call, up to 250 each).
* A price list of a B2B catalog (``quantity_breaks``): the same fixed prices plus one quantity price break
  per agreement from a whole quantity above 1, through ``quantityPricingByVariantUpdate`` (Admin 2026-10:
  ``pricesToAdd``, ``pricesToDeleteByVariantId``, ``quantityPriceBreaksToAdd``,
  ``quantityPriceBreaksToDeleteByVariantId``; deletes run before adds and nothing applies when any part
  fails). A variant whose breaks changed has all its breaks replaced. Shopify needs a fixed price on the
  list for a variant to have breaks, so breaks of a variant without a quantity-1 group price are not sent.

The currency is the mapping's (it must be the price list's: Shopify refuses a mismatch); nothing is
converted. What was sent is remembered per product (``Synced.prices``: list -> SKU -> price, and
``<list>#breaks`` -> SKU -> "min:price,...").
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from integration.catalog.config import CatalogConfig, PriceListMap
from integration.catalog.mapping import group_breaks, group_prices
from integration.catalog.model import FoCatalogEntry
from integration.catalog.state import Synced
from integration.catalog.writer import update_fixed_prices
from integration.clients.shopify import ShopifyAdmin

QUANTITY_PRICING = """mutation catalogQuantityPricing($priceListId: ID!, $input: QuantityPricingByVariantUpdateInput!) {
  quantityPricingByVariantUpdate(priceListId: $priceListId, input: $input) {
    productVariants { id }
    userErrors { field message code } } }"""
MAX_PER_CALL = 250


def _money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": str(amount), "currencyCode": currency.upper()}


def _encode(breaks: dict[int, Decimal]) -> str:
    return ",".join(f"{m}:{p}" for m, p in sorted(breaks.items()))


def update_quantity_pricing(
    shopify: ShopifyAdmin,
    price_list: str,
    currency: str,
    prices: dict[str, Decimal],
    delete: list[str],
    breaks: dict[str, dict[int, Decimal]],
    replace_breaks: list[str],
) -> None:
    """variant gid -> fixed price, variant gids losing their fixed price, variant gid -> {min: price}
    and the variant gids whose breaks are replaced (deleted first, then ``breaks`` added)."""
    work: list[tuple[str, Any]] = (
        [("price", (v, p)) for v, p in sorted(prices.items())]
        + [("delete", v) for v in delete]
        + [("breaks", v) for v in sorted(set(replace_breaks) | set(breaks))]
    )
    for start in range(0, len(work), MAX_PER_CALL):
        chunk = work[start : start + MAX_PER_CALL]
        variables = {
            "priceListId": price_list,
            "input": {
                "pricesToAdd": [{"variantId": v, "price": _money(p, currency)} for kind, (v, p) in _of(chunk, "price")],
                "pricesToDeleteByVariantId": [v for _k, v in _of(chunk, "delete")],
                "quantityPriceBreaksToAdd": [
                    {"variantId": v, "minimumQuantity": m, "price": _money(p, currency)}
                    for _k, v in _of(chunk, "breaks")
                    for m, p in sorted(breaks.get(v, {}).items())
                ],
                "quantityPriceBreaksToDelete": [],
                "quantityPriceBreaksToDeleteByVariantId": [v for _k, v in _of(chunk, "breaks") if v in replace_breaks],
                "quantityRulesToAdd": [],
                "quantityRulesToDeleteByVariantId": [],
            },
        }
        cost = 10 + len(chunk)
        ShopifyAdmin.check(
            shopify.graphql(QUANTITY_PRICING, variables, expected_cost=cost), "quantityPricingByVariantUpdate"
        )


def _of(chunk: list[tuple[str, Any]], kind: str) -> list[tuple[str, Any]]:
    return [(k, v) for k, v in chunk if k == kind]


def sync_price_list(
    shopify: ShopifyAdmin,
    mapping: PriceListMap,
    entry: FoCatalogEntry,
    synced: Synced,
    now: datetime,
    config: CatalogConfig,
) -> int:
    """Bring one product's prices on one price list up to date; returns the number of changes sent."""
    ids = synced.variant_ids
    wanted = group_prices(entry, mapping.customer_group, mapping.currency, now, config)
    sent = synced.prices.get(mapping.price_list, {})
    add = {ids[s]: p for s, p in wanted.items() if s in ids and sent.get(s) != str(p)}
    delete = [ids[s] for s in sent if s not in wanted and s in ids]
    changes = len(add) + len(delete)
    if not mapping.quantity_breaks:
        if changes:
            update_fixed_prices(shopify, mapping.price_list, mapping.currency, add, delete)
    else:
        key = f"{mapping.price_list}#breaks"
        tiers = group_breaks(entry, mapping.customer_group, mapping.currency, now, config)
        encoded = {s: _encode(b) for s, b in tiers.items() if s in wanted and s in ids}
        sent_breaks = synced.prices.get(key, {})
        moved = [
            s for s in sorted(set(encoded) | set(sent_breaks)) if s in ids and encoded.get(s) != sent_breaks.get(s)
        ]
        if changes or moved:
            update_quantity_pricing(
                shopify,
                mapping.price_list,
                mapping.currency,
                add,
                delete,
                {ids[s]: tiers[s] for s in moved if s in encoded},
                [ids[s] for s in moved if s in sent_breaks],
            )
        changes += len(moved)
        synced.prices[key] = encoded
    synced.prices[mapping.price_list] = {s: str(p) for s, p in wanted.items() if s in ids}
    return changes
