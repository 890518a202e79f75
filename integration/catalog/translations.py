"""Product titles in the shop's other languages, from F&O's ``ProductTranslations``.

Shopify keeps translations apart from the product: ``translationsRegister(resourceId:, translations:)``
takes, per translation, the locale, the key (``title``), the value and the ``translatableContentDigest``
of the source text it translates, read from ``translatableResourcesByIds`` (Admin 2026-10; up to 250
resources per read). The locales are the shop's published, non-primary ``shopLocales``; an F&O language
matches a locale by ``language_map``, else by the same code, else by the same primary language
(``fr-ca`` → ``fr``). Only the title is translated: the description is Shopify's (field ownership).

A product's translations are sent again only when their hash (title in the shop language + the
translated titles) changed, so an unchanged catalog makes no translation calls. A refusal becomes a
``CATALOG_TRANSLATION_REJECTED`` exception and is retried by the next run (its hash is not stored).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from integration.catalog.config import CatalogConfig
from integration.catalog.mapping import ProductPlan, title_of
from integration.catalog.model import FoCatalogEntry
from integration.catalog.state import Synced
from integration.clients.shopify import ShopifyAdmin

SHOP_LOCALES = "query catalogShopLocales { shopLocales(published: true) { locale primary } }"
DIGESTS = """query catalogTranslatable($ids: [ID!]!, $first: Int!) {
  translatableResourcesByIds(resourceIds: $ids, first: $first) {
    nodes { resourceId translatableContent { key digest locale } } } }"""
REGISTER = """mutation catalogTranslations($id: ID!, $translations: [TranslationInput!]!) {
  translationsRegister(resourceId: $id, translations: $translations) {
    translations { key locale }
    userErrors { field message code } } }"""
KEY = "title"
PER_READ = 250


@dataclass
class Wanted:
    product_number: str
    product_id: str
    titles: dict[str, str]  # Shopify locale -> translated title
    digest: str  # hash of what is sent (stored once Shopify accepted it)


def shop_locales(shopify: ShopifyAdmin) -> list[str]:
    """The shop's published locales other than its primary one."""
    rows = shopify.graphql(SHOP_LOCALES, expected_cost=1).get("shopLocales") or []
    return [str(r["locale"]) for r in rows if not r.get("primary")]


def titles_for(entry: FoCatalogEntry, locales: list[str], config: CatalogConfig) -> dict[str, str]:
    """Shopify locale -> the F&O product name in the matching language (locales without one are left out)."""
    named = {t.language: t.name.strip() for t in entry.translations if t.name.strip()}
    out: dict[str, str] = {}
    for locale in locales:
        key = locale.casefold()
        mapped = config.language_map.get(locale) or config.language_map.get(key)
        if mapped:
            name = named.get(mapped.casefold(), "")
        else:
            primary = key.split("-")[0]
            name = named.get(key) or next((v for lang, v in sorted(named.items()) if lang.split("-")[0] == primary), "")
        if name:
            out[locale] = name
    return out


def content_hash(title: str, titles: dict[str, str]) -> str:
    text = json.dumps({"source": title, "titles": titles}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def to_send(
    shopify: ShopifyAdmin, config: CatalogConfig, items: list[tuple[FoCatalogEntry, ProductPlan, Synced]]
) -> list[Wanted]:
    """The products Shopify has in their current form whose translated titles are not there yet. The
    shop's locales are read only when some product has a name in another language than the shop's."""
    candidates = [
        (entry, plan, synced)
        for entry, plan, synced in items
        if not plan.status_only
        and synced.product_id
        and synced.content_hash == plan.content_hash
        and any(t.language != config.language.casefold() for t in entry.translations)
    ]
    if not candidates:
        return []
    locales = shop_locales(shopify)
    wanted: list[Wanted] = []
    for entry, plan, synced in candidates:
        titles = titles_for(entry, locales, config)
        digest = content_hash(str(plan.input.get("title") or title_of(entry, config)), titles)
        if titles and digest != synced.translations_hash:
            wanted.append(Wanted(plan.product_number, synced.product_id, titles, digest))
    return wanted


def send(shopify: ShopifyAdmin, wanted: list[Wanted]) -> dict[str, str]:
    """Send every product's translated titles; returns product number -> error text for refusals."""
    failed: dict[str, str] = {}
    for start in range(0, len(wanted), PER_READ):
        chunk = wanted[start : start + PER_READ]
        data = shopify.graphql(
            DIGESTS,
            {"ids": [w.product_id for w in chunk], "first": len(chunk)},
            expected_cost=2 + len(chunk),
        )
        nodes = ((data.get("translatableResourcesByIds") or {}).get("nodes")) or []
        digests = {
            str(n["resourceId"]): next((c.get("digest") for c in n["translatableContent"] if c["key"] == KEY), None)
            for n in nodes
        }
        for item in chunk:
            digest = digests.get(item.product_id)
            if not digest:
                failed[item.product_number] = f"Shopify has no translatable {KEY} for {item.product_id}"
                continue
            translations = [
                {"locale": locale, "key": KEY, "value": title, "translatableContentDigest": digest}
                for locale, title in sorted(item.titles.items())
            ]
            result = shopify.graphql(REGISTER, {"id": item.product_id, "translations": translations}, expected_cost=10)
            errors = (result.get("translationsRegister") or {}).get("userErrors") or []
            if errors:
                failed[item.product_number] = "; ".join(str(e.get("message")) for e in errors)
    return failed
