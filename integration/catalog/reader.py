"""Reads of the F&O product master: released products, their variants, translations and sales
trade agreements of one legal entity, joined into one :class:`FoCatalogEntry` per product.

F&O's standard product entities publish no modified date (reference d365.md), so by default every
run reads all released products (about one page per 10,000 rows per entity) and the stored
content hash decides what changed: a price or variant change reaches Shopify in one run and
Shopify calls stay proportional to real changes. With ``modified_field`` configured (an extension
field on ``ReleasedProductsV2``), the product read is limited to rows modified since the last
checkpoint minus the overlap window.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from integration.catalog.config import CatalogConfig
from integration.catalog.model import (
    BARCODE_FIELDS,
    PRICE_FIELDS,
    PRODUCT_FIELDS,
    VARIANT_FIELDS,
    Barcode,
    FoCatalogEntry,
    FoPrice,
    FoProduct,
    FoVariant,
    Translation,
)
from integration.clients.d365 import D365Client, odata_literal

PRODUCTS, VARIANTS, TRANSLATIONS, PRICES, BARCODES = (
    "ReleasedProductsV2",
    "ReleasedProductVariantsV2",
    "ProductTranslations",
    "SalesPriceAgreements",
    "ProductBarcodesV3",
)


def product_filter(legal_entity: str, config: CatalogConfig, since: datetime | None) -> str:
    text = f"dataAreaId eq {odata_literal(legal_entity)}"
    if config.modified_field and since is not None:
        text += f" and {config.modified_field} ge {since.strftime('%Y-%m-%dT%H:%M:%SZ')}"
    return text


def read_entries(
    d365: D365Client, legal_entity: str, config: CatalogConfig, since: datetime | None = None
) -> list[FoCatalogEntry]:
    company = f"dataAreaId eq {odata_literal(legal_entity)}"
    select = [*PRODUCT_FIELDS, *([config.modified_field] if config.modified_field else [])]
    products = [
        FoProduct.from_row(row)
        for row in d365.query(
            PRODUCTS, filter=product_filter(legal_entity, config, since), select=select, cross_company=True
        )
    ]
    if not products:
        return []
    variants: dict[str, list[FoVariant]] = defaultdict(list)
    for row in d365.query(VARIANTS, filter=company, select=list(VARIANT_FIELDS), cross_company=True):
        variant = FoVariant.from_row(row)
        variants[variant.product_master_number].append(variant)
    prices: dict[str, list[FoPrice]] = defaultdict(list)
    for row in d365.query(PRICES, filter=company, select=list(PRICE_FIELDS), cross_company=True):
        price = FoPrice.from_row(row)
        prices[price.item_number].append(price)
    barcodes: dict[str, list[Barcode]] = defaultdict(list)
    if config.owns("barcode"):
        for row in d365.query(BARCODES, filter=company, select=list(BARCODE_FIELDS), cross_company=True):
            barcode = Barcode.from_row(row)
            barcodes[barcode.item_number].append(barcode)
    translations: dict[str, list[Translation]] = defaultdict(list)
    # ProductTranslations is shared across companies (no dataAreaId): the shop's language (the title)
    # and, when translations are on, every other language (matched to the shop's locales later).
    language = None if config.translate else f"LanguageId eq {odata_literal(config.language)}"
    for row in d365.query(
        TRANSLATIONS,
        filter=language,
        select=["ProductNumber", "LanguageId", "ProductName", "Description"],
        cross_company=True,
    ):
        translation = Translation.from_row(row)
        translations[translation.product_number].append(translation)
    return [
        FoCatalogEntry(
            p,
            variants.get(p.product_number, []) if p.is_master else [],
            prices.get(p.item_number, []),
            translations.get(p.product_number, []),
            barcodes.get(p.item_number, []),
        )
        for p in products
    ]
