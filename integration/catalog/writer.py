"""Writes to Shopify: ``productSet`` per product (synchronous, upsert by the Shopify id the sync
stored, else by the unique product metafield ``d365.product_number``), and fixed prices on the
configured price lists (``priceListFixedPricesUpdate``: add/replace and delete in one call).

``productSet`` replaces the lists it is given (options, variants) and leaves every field it is not
given unchanged, which is what keeps Shopify-owned fields (description, images, SEO, tags) intact.
Calls go through :class:`ShopifyAdmin`, which paces them by the shared cost bucket.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from integration.catalog.mapping import NAMESPACE, ProductPlan
from integration.clients.shopify import ShopifyAdmin

PRODUCT_SET = """mutation catalogProductSet($input: ProductSetInput!, $identifier: ProductSetIdentifiers) {
  productSet(input: $input, identifier: $identifier, synchronous: true) {
    product { id }
    userErrors { field message code } } }"""

PRODUCT_SET_WITH_VARIANTS = """mutation catalogProductSetVariants($input: ProductSetInput!,
  $identifier: ProductSetIdentifiers) {
  productSet(input: $input, identifier: $identifier, synchronous: true) {
    product { id variants(first: 250) { nodes { id sku } } }
    userErrors { field message code } } }"""

PRICE_LIST_UPDATE = """mutation catalogFixedPrices($priceListId: ID!, $pricesToAdd: [PriceListPriceInput!]!,
  $variantIdsToDelete: [ID!]!) {
  priceListFixedPricesUpdate(priceListId: $priceListId, pricesToAdd: $pricesToAdd,
    variantIdsToDelete: $variantIdsToDelete) {
    deletedFixedPriceVariantIds
    userErrors { field message code } } }"""

PRODUCT_SET_COST = 12.0
MAX_PRICES_PER_CALL = 250  # documented input limit of priceListFixedPrices* (reference shopify.md)


def identifier_of(plan: ProductPlan, product_id: str) -> dict[str, Any]:
    if product_id:
        return {"id": product_id}
    return {"customId": {"namespace": NAMESPACE, "key": "product_number", "value": plan.product_number}}


def set_product(
    shopify: ShopifyAdmin, plan: ProductPlan, product_id: str, *, want_variants: bool
) -> tuple[str, dict[str, str]]:
    """Send one product; returns (Product gid, SKU -> ProductVariant gid). Raises ShopifyUserErrors."""
    many = want_variants and not plan.status_only
    document = PRODUCT_SET_WITH_VARIANTS if many else PRODUCT_SET
    cost = PRODUCT_SET_COST + (min(250, len(plan.skus)) if many else 0)
    variables = {"input": plan.input, "identifier": identifier_of(plan, product_id)}
    # productSet is an upsert keyed by the identifier: sending it twice gives the same product.
    result = ShopifyAdmin.check(shopify.graphql(document, variables, expected_cost=cost), "productSet")
    product = result.get("product") or {}
    nodes = ((product.get("variants") or {}).get("nodes")) or []
    return str(product.get("id") or product_id), {str(n["sku"]): str(n["id"]) for n in nodes if n.get("sku")}


def update_fixed_prices(
    shopify: ShopifyAdmin, price_list: str, currency: str, prices: dict[str, Decimal], delete: list[str]
) -> None:
    """variant gid -> price on one price list, and variant gids whose fixed price goes away."""
    items = [
        {"variantId": vid, "price": {"amount": str(amount), "currencyCode": currency.upper()}}
        for vid, amount in sorted(prices.items())
    ]
    while items or delete:
        chunk, items = items[:MAX_PRICES_PER_CALL], items[MAX_PRICES_PER_CALL:]
        gone, delete = delete[:MAX_PRICES_PER_CALL], delete[MAX_PRICES_PER_CALL:]
        variables = {"priceListId": price_list, "pricesToAdd": chunk, "variantIdsToDelete": gone}
        ShopifyAdmin.check(
            shopify.graphql(PRICE_LIST_UPDATE, variables, expected_cost=10), "priceListFixedPricesUpdate"
        )
