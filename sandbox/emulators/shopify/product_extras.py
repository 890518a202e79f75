"""Shop locales, product translations and B2B quantity pricing of the Shopify emulator (names and types as
in Shopify's published Admin schema 2026-10; a subset of fields).

* ``shopLocales(published:)``, ``shopLocaleEnable(locale:)``: the shop starts with its primary locale ``en``.
* ``translatableResource``/``translatableResourcesByIds``: a product's translatable content (``title``,
  ``body_html``, ``handle``, ``product_type``) with a ``digest`` (SHA-256 of the value) per key.
* ``translationsRegister(resourceId:, translations:)``: refused (nothing saved) for a resource that does
  not exist (``RESOURCE_NOT_FOUND``), a locale the shop has not enabled or its primary locale
  (``INVALID_LOCALE_FOR_SHOP``), a key the resource does not have (``INVALID_KEY_FOR_MODEL``), a digest that
  is not the current content's (``INVALID_TRANSLATABLE_CONTENT``) or a blank value (``BLANK``). A translation
  is ``outdated`` once the source text changes.
* ``quantityPricingByVariantUpdate(priceListId:, input:)``: deletes, then adds; all or nothing. Refusals:
  unknown list, unknown variant, currency other than the list's, a duplicate input, a break for a variant
  without a fixed price on the list after the call (``QUANTITY_PRICE_BREAK_ADD_PRICE_LIST_PRICE_NOT_FOUND``),
  and breaks on a price list that is not a B2B (company location) catalog's: Shopify sells quantity price
  breaks on B2B catalogs only; the code for that refusal (``GENERIC_ERROR``) is the emulator's choice.
"""

from __future__ import annotations

import hashlib
import weakref
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from graphql import GraphQLResolveInfo

from sandbox.emulators.shopify.products import PriceList, Product, catalog_of
from sandbox.emulators.shopify.resolvers import store_of
from sandbox.emulators.shopify.search import paginate
from sandbox.emulators.shopify.store import Store, gid, now_rest, parse_gid

Info = GraphQLResolveInfo
PRIMARY = "en"

SDL = """
enum LocalizableContentType { HTML SINGLE_LINE_TEXT_FIELD MULTI_LINE_TEXT_FIELD STRING URI URL }
type ShopLocale { locale: String! name: String! primary: Boolean! published: Boolean! }
type ShopLocaleEnablePayload { shopLocale: ShopLocale userErrors: [UserError!]! }
type TranslatableContent { digest: String key: String! locale: String! type: LocalizableContentType! value: String }
type Translation { key: String! locale: String! outdated: Boolean! updatedAt: DateTime value: String }
type TranslatableResource { resourceId: ID! translatableContent: [TranslatableContent!]!
  translations(locale: String!, outdated: Boolean): [Translation!]! }
type TranslatableResourceEdge { cursor: String! node: TranslatableResource! }
type TranslatableResourceConnection { edges: [TranslatableResourceEdge!]! nodes: [TranslatableResource!]!
  pageInfo: PageInfo! }
input TranslationInput { key: String! locale: String! marketId: ID translatableContentDigest: String! value: String! }
enum TranslationErrorCode { BLANK FAILS_RESOURCE_VALIDATION INVALID INVALID_CODE INVALID_FORMAT INVALID_KEY_FOR_MODEL
  INVALID_LOCALE_FOR_MARKET INVALID_LOCALE_FOR_SHOP INVALID_MARKET_LOCALIZABLE_CONTENT INVALID_TRANSLATABLE_CONTENT
  INVALID_VALUE_FOR_HANDLE_TRANSLATION MARKET_CUSTOM_CONTENT_NOT_ALLOWED MARKET_DOES_NOT_EXIST
  MARKET_LOCALE_CREATION_FAILED RESOURCE_NOT_FOUND RESOURCE_NOT_MARKET_CUSTOMIZABLE RESOURCE_NOT_TRANSLATABLE
  TOO_MANY_KEYS_FOR_RESOURCE }
type TranslationUserError { code: TranslationErrorCode field: [String!] message: String! }
type TranslationsRegisterPayload { translations: [Translation!] userErrors: [TranslationUserError!]! }

type QuantityPriceBreak { id: ID! minimumQuantity: Int! price: MoneyV2! priceList: PriceList! variant: ProductVariant! }
input QuantityPriceBreakInput { minimumQuantity: Int! price: MoneyInput! variantId: ID! }
input QuantityRuleInput { increment: Int! maximum: Int minimum: Int! variantId: ID! }
input QuantityPricingByVariantUpdateInput { pricesToAdd: [PriceListPriceInput!]! pricesToDeleteByVariantId: [ID!]!
  quantityPriceBreaksToAdd: [QuantityPriceBreakInput!]! quantityPriceBreaksToDelete: [ID!]!
  quantityPriceBreaksToDeleteByVariantId: [ID!] quantityRulesToAdd: [QuantityRuleInput!]!
  quantityRulesToDeleteByVariantId: [ID!]! }
enum QuantityPricingByVariantUserErrorCode { BLANK GENERIC_ERROR PRICE_ADD_CURRENCY_MISMATCH
  PRICE_ADD_DUPLICATE_INPUT_FOR_VARIANT PRICE_ADD_VARIANT_NOT_FOUND PRICE_DELETE_PRICE_NOT_FIXED
  PRICE_DELETE_VARIANT_NOT_FOUND PRICE_LIST_NOT_FOUND QUANTITY_PRICE_BREAK_ADD_CURRENCY_MISMATCH
  QUANTITY_PRICE_BREAK_ADD_DUPLICATE_INPUT_FOR_VARIANT_AND_MIN QUANTITY_PRICE_BREAK_ADD_INVALID
  QUANTITY_PRICE_BREAK_ADD_PRICE_LIST_PRICE_NOT_FOUND QUANTITY_PRICE_BREAK_ADD_VARIANT_NOT_FOUND
  QUANTITY_PRICE_BREAK_DELETE_BY_VARIANT_ID_VARIANT_NOT_FOUND QUANTITY_PRICE_BREAK_DELETE_NOT_FOUND }
type QuantityPricingByVariantUserError { code: QuantityPricingByVariantUserErrorCode field: [String!]
  message: String! }
type QuantityPricingByVariantUpdatePayload { productVariants: [ProductVariant!]
  userErrors: [QuantityPricingByVariantUserError!]! }

extend type QueryRoot {
  shopLocales(published: Boolean): [ShopLocale!]!
  translatableResource(resourceId: ID!): TranslatableResource
  translatableResourcesByIds(resourceIds: [ID!]!, first: Int, after: String, last: Int, before: String,
    reverse: Boolean): TranslatableResourceConnection!
}
extend type Mutation {
  shopLocaleEnable(locale: String!, marketWebPresenceIds: [ID!]): ShopLocaleEnablePayload
  translationsRegister(resourceId: ID!, translations: [TranslationInput!]!): TranslationsRegisterPayload
  quantityPricingByVariantUpdate(priceListId: ID!, input: QuantityPricingByVariantUpdateInput!):
    QuantityPricingByVariantUpdatePayload
}
"""


@dataclass
class Localized:
    locales: dict[str, bool] = field(default_factory=lambda: {PRIMARY: True})  # locale -> published
    # (resource gid, locale, key) -> (value, digest of the source it translates, updated at)
    translations: dict[tuple[str, str, str], tuple[str, str, str]] = field(default_factory=dict)


_STATE: weakref.WeakKeyDictionary[Store, Localized] = weakref.WeakKeyDictionary()


def localized(store: Store) -> Localized:
    found = _STATE.get(store)
    if found is None:
        found = _STATE[store] = Localized()
    return found


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _content(product: Product) -> dict[str, tuple[str, str]]:
    return {
        "title": (product.title, "SINGLE_LINE_TEXT_FIELD"),
        "body_html": (product.description_html, "HTML"),
        "handle": (product.handle, "URI"),
        "product_type": (product.product_type, "SINGLE_LINE_TEXT_FIELD"),
    }


def _product(info: Info, resource_id: str) -> Product | None:
    return catalog_of(store_of(info)).products.get(parse_gid(resource_id, "Product") or -1)


def _resource(product: Product) -> dict[str, Any]:
    return {"resourceId": gid("Product", product.id), "product": product}


def _translatable_content(resource: dict[str, Any], _info: Info, marketId: str | None = None) -> list[dict[str, Any]]:
    return [
        {"key": key, "value": value, "digest": digest(value), "locale": PRIMARY, "type": kind}
        for key, (value, kind) in _content(resource["product"]).items()
    ]


def _translations(
    resource: dict[str, Any], info: Info, locale: str, outdated: bool | None = None, marketId: str | None = None
) -> list[dict[str, Any]]:
    current = _content(resource["product"])
    out = []
    for (rid, loc, key), (value, source, stamp) in localized(store_of(info)).translations.items():
        if rid != resource["resourceId"] or loc != locale:
            continue
        is_outdated = digest(current[key][0]) != source
        if outdated is None or outdated == is_outdated:
            out.append({"key": key, "locale": loc, "value": value, "outdated": is_outdated, "updatedAt": stamp})
    return out


def _by_ids(_r: Any, info: Info, resourceIds: list[str], **args: Any) -> dict[str, Any]:
    rows = [_resource(p) for p in (_product(info, rid) for rid in resourceIds) if p is not None]
    return paginate(rows, args, lambda r: (r["product"].id,), reverse=bool(args.get("reverse")))


def _t_error(code: str, path: list[str], message: str) -> dict[str, Any]:
    return {"code": code, "field": path, "message": message}


def translations_register(_r: Any, info: Info, resourceId: str, translations: list[dict[str, Any]]) -> dict[str, Any]:
    product = _product(info, resourceId)
    if product is None:
        return {"translations": None, "userErrors": [_t_error("RESOURCE_NOT_FOUND", ["resourceId"], "Not found")]}
    state = localized(store_of(info))
    content = _content(product)
    errors = []
    for n, t in enumerate(translations):
        path = ["translations", str(n)]
        if t["locale"] not in state.locales or t["locale"] == PRIMARY:
            errors.append(_t_error("INVALID_LOCALE_FOR_SHOP", [*path, "locale"], "Locale is not enabled for the shop"))
        if t["key"] not in content:
            errors.append(_t_error("INVALID_KEY_FOR_MODEL", [*path, "key"], f"Key {t['key']} is not translatable"))
        elif t["translatableContentDigest"] != digest(content[t["key"]][0]):
            errors.append(
                _t_error(
                    "INVALID_TRANSLATABLE_CONTENT",
                    [*path, "translatableContentDigest"],
                    "Translatable content hash is invalid",
                )
            )
        if not str(t["value"]).strip():
            errors.append(_t_error("BLANK", [*path, "value"], "Value can't be blank"))
    if errors:
        return {"translations": None, "userErrors": errors}
    stamp = now_rest()
    saved = []
    for t in translations:
        state.translations[(resourceId, t["locale"], t["key"])] = (t["value"], t["translatableContentDigest"], stamp)
        saved.append({"key": t["key"], "locale": t["locale"], "value": t["value"], "outdated": False})
    return {"translations": saved, "userErrors": []}


def shop_locale_enable(_r: Any, info: Info, locale: str, marketWebPresenceIds: list[str] | None = None) -> Any:
    state = localized(store_of(info))
    state.locales.setdefault(locale, True)
    return {"shopLocale": _locale(locale, state), "userErrors": []}


def _locale(locale: str, state: Localized) -> dict[str, Any]:
    return {"locale": locale, "name": locale, "primary": locale == PRIMARY, "published": state.locales[locale]}


def _shop_locales(_r: Any, info: Info, published: bool | None = None) -> list[dict[str, Any]]:
    state = localized(store_of(info))
    return [_locale(loc, state) for loc, pub in state.locales.items() if published is None or pub == published]


# -- quantity pricing --------------------------------------------------------------------------------------
def _q_error(code: str, path: list[str], message: str) -> dict[str, Any]:
    return {"code": code, "field": ["input", *path], "message": message}


def _variant(info: Info, value: str) -> int | None:
    vid = parse_gid(value, "ProductVariant")
    return vid if vid is not None and vid in catalog_of(store_of(info)).variants else None


def _check(info: Info, pl: PriceList, data: dict[str, Any]) -> list[dict[str, Any]]:
    errors = []
    seen: set[Any] = set()
    for n, price in enumerate(data["pricesToAdd"]):
        if _variant(info, price["variantId"]) is None:
            errors.append(_q_error("PRICE_ADD_VARIANT_NOT_FOUND", ["pricesToAdd", str(n)], "Variant not found."))
        if price["price"]["currencyCode"] != pl.currency:
            errors.append(_q_error("PRICE_ADD_CURRENCY_MISMATCH", ["pricesToAdd", str(n)], "Currency mismatch."))
        if price["variantId"] in seen:
            errors.append(_q_error("PRICE_ADD_DUPLICATE_INPUT_FOR_VARIANT", ["pricesToAdd", str(n)], "Duplicate."))
        seen.add(price["variantId"])
    breaks = data["quantityPriceBreaksToAdd"]
    if breaks and not pl.b2b:
        errors.append(
            _q_error("GENERIC_ERROR", ["quantityPriceBreaksToAdd"], "Quantity price breaks need a B2B catalog.")
        )
    fixed_after: set[int | None] = set(pl.fixed)
    fixed_after -= {parse_gid(v, "ProductVariant") for v in data["pricesToDeleteByVariantId"]}
    fixed_after |= {parse_gid(p["variantId"], "ProductVariant") for p in data["pricesToAdd"]}
    pairs: set[tuple[str, int]] = set()
    for n, item in enumerate(breaks):
        path = ["quantityPriceBreaksToAdd", str(n)]
        vid = _variant(info, item["variantId"])
        if vid is None:
            errors.append(_q_error("QUANTITY_PRICE_BREAK_ADD_VARIANT_NOT_FOUND", path, "Variant not found."))
        elif vid not in fixed_after:
            errors.append(
                _q_error("QUANTITY_PRICE_BREAK_ADD_PRICE_LIST_PRICE_NOT_FOUND", path, "The variant has no fixed price.")
            )
        if item["price"]["currencyCode"] != pl.currency:
            errors.append(_q_error("QUANTITY_PRICE_BREAK_ADD_CURRENCY_MISMATCH", path, "Currency mismatch."))
        if item["minimumQuantity"] < 1:
            errors.append(_q_error("QUANTITY_PRICE_BREAK_ADD_INVALID", path, "Minimum quantity must be positive."))
        key = (item["variantId"], item["minimumQuantity"])
        if key in pairs:
            errors.append(_q_error("QUANTITY_PRICE_BREAK_ADD_DUPLICATE_INPUT_FOR_VARIANT_AND_MIN", path, "Duplicate."))
        pairs.add(key)
    for n, value in enumerate(data.get("quantityPriceBreaksToDeleteByVariantId") or []):
        if _variant(info, value) is None:
            errors.append(
                _q_error(
                    "QUANTITY_PRICE_BREAK_DELETE_BY_VARIANT_ID_VARIANT_NOT_FOUND",
                    ["quantityPriceBreaksToDeleteByVariantId", str(n)],
                    "Variant not found.",
                )
            )
    if data["quantityPriceBreaksToDelete"] or data["quantityRulesToAdd"] or data["quantityRulesToDeleteByVariantId"]:
        errors.append(_q_error("GENERIC_ERROR", [], "Quantity rules and break ids are not emulated."))
    return errors


def quantity_pricing_update(_r: Any, info: Info, priceListId: str, input: dict[str, Any]) -> dict[str, Any]:
    book = catalog_of(store_of(info))
    pl = book.price_lists.get(parse_gid(priceListId, "PriceList") or -1)
    if pl is None:
        return {"productVariants": None, "userErrors": [_q_error("PRICE_LIST_NOT_FOUND", [], "Price list not found.")]}
    errors = _check(info, pl, input)
    if errors:
        return {"productVariants": None, "userErrors": errors}
    touched: set[int] = set()
    for value in input["pricesToDeleteByVariantId"]:  # deletes first, then adds
        vid = parse_gid(value, "ProductVariant") or -1
        pl.fixed.pop(vid, None)
        pl.breaks.pop(vid, None)
        touched.add(vid)
    for value in input.get("quantityPriceBreaksToDeleteByVariantId") or []:
        vid = parse_gid(value, "ProductVariant") or -1
        pl.breaks.pop(vid, None)
        touched.add(vid)
    for price in input["pricesToAdd"]:
        vid = parse_gid(price["variantId"], "ProductVariant") or -1
        pl.fixed[vid] = Decimal(str(price["price"]["amount"]))
        touched.add(vid)
    for item in input["quantityPriceBreaksToAdd"]:
        vid = parse_gid(item["variantId"], "ProductVariant") or -1
        pl.breaks.setdefault(vid, {})[int(item["minimumQuantity"])] = Decimal(str(item["price"]["amount"]))
        touched.add(vid)
    return {"productVariants": [book.variants[v] for v in sorted(touched) if v in book.variants], "userErrors": []}


QUERY_FIELDS: dict[str, Any] = {
    "shopLocales": _shop_locales,
    "translatableResource": lambda _r, i, resourceId: (p := _product(i, resourceId)) and _resource(p),
    "translatableResourcesByIds": _by_ids,
}
TYPE_FIELDS: dict[str, dict[str, Any]] = {
    "TranslatableResource": {"translatableContent": _translatable_content, "translations": _translations},
}
MUTATIONS: dict[str, Any] = {
    "shopLocaleEnable": shop_locale_enable,
    "translationsRegister": translations_register,
    "quantityPricingByVariantUpdate": quantity_pricing_update,
}
