"""The emulator's translations and quantity pricing refuse what Shopify refuses, and change nothing then."""

from __future__ import annotations

from typing import Any

from sandbox.tests.emulators.shopify.conftest import Shop
from sandbox.tests.emulators.shopify.test_products import SET, VERSION, product

CONTENT = """query content($id: ID!) { translatableResource(resourceId: $id) {
  translatableContent { key value digest } translations(locale: "fr") { key value outdated } } }"""
REGISTER = """mutation reg($id: ID!, $t: [TranslationInput!]!) {
  translationsRegister(resourceId: $id, translations: $t) {
  translations { key locale value } userErrors { code field } } }"""
ENABLE = (
    """mutation en($l: String!) { shopLocaleEnable(locale: $l) { shopLocale { locale } userErrors { message } } }"""
)
LOCALES = "query { shopLocales(published: true) { locale primary } }"
PRICING = """mutation qp($id: ID!, $input: QuantityPricingByVariantUpdateInput!) {
  quantityPricingByVariantUpdate(priceListId: $id, input: $input) { productVariants { id } userErrors { code } } }"""


def _product(shop: Shop) -> tuple[str, str]:
    created = shop.data(SET, {"input": product([("Size", ["S"])], [[("Size", "S")]])}, VERSION)["productSet"]["product"]
    return created["id"], created["variants"]["nodes"][0]["id"]


def test_translations_need_an_enabled_locale_and_the_current_digest(shop: Shop) -> None:
    product_id, _variant = _product(shop)
    title = {c["key"]: c for c in shop.data(CONTENT, {"id": product_id})["translatableResource"]["translatableContent"]}
    good = {"locale": "fr", "key": "title", "value": "Chemise", "translatableContentDigest": title["title"]["digest"]}

    def codes(*translations: dict[str, Any]) -> list[str]:
        result = shop.data(REGISTER, {"id": product_id, "t": list(translations)})["translationsRegister"]
        return [e["code"] for e in result["userErrors"]]

    assert codes(good) == ["INVALID_LOCALE_FOR_SHOP"]  # French is not enabled yet
    shop.data(ENABLE, {"l": "fr"})
    assert shop.data(LOCALES)["shopLocales"] == [
        {"locale": "en", "primary": True},
        {"locale": "fr", "primary": False},
    ]
    assert codes({**good, "translatableContentDigest": "0" * 64}) == ["INVALID_TRANSLATABLE_CONTENT"]
    assert codes({**good, "key": "colour"}) == ["INVALID_KEY_FOR_MODEL"]
    assert codes({**good, "locale": "en"}) == ["INVALID_LOCALE_FOR_SHOP"]  # the primary locale
    assert codes(good, {**good, "value": " "}) == ["BLANK"]  # nothing saved: the first one neither
    assert shop.data(CONTENT, {"id": product_id})["translatableResource"]["translations"] == []
    assert codes(good) == []
    shop.data(SET, {"input": {"title": "Shirt v2"}, "identifier": {"id": product_id}}, VERSION)
    assert shop.data(CONTENT, {"id": product_id})["translatableResource"]["translations"] == [
        {"key": "title", "value": "Chemise", "outdated": True}
    ]


def test_quantity_price_breaks_need_a_b2b_list_and_a_fixed_price(shop: Shop) -> None:
    _product_id, variant = _product(shop)
    market = shop.client.post("/_emulator/price-lists", json={"currency": "USD"}).json()["id"]
    b2b = shop.client.post("/_emulator/price-lists", json={"currency": "USD", "catalog": "company_location"}).json()[
        "id"
    ]
    money = {"amount": "9.00", "currencyCode": "USD"}
    empty: dict[str, Any] = {
        "pricesToAdd": [],
        "pricesToDeleteByVariantId": [],
        "quantityPriceBreaksToAdd": [],
        "quantityPriceBreaksToDelete": [],
        "quantityRulesToAdd": [],
        "quantityRulesToDeleteByVariantId": [],
    }
    a_break = {"variantId": variant, "minimumQuantity": 10, "price": money}

    def codes(price_list: str, **changes: Any) -> list[str]:
        result = shop.data(PRICING, {"id": price_list, "input": {**empty, **changes}})["quantityPricingByVariantUpdate"]
        return [e["code"] for e in result["userErrors"]]

    fixed = [{"variantId": variant, "price": {"amount": "10.00", "currencyCode": "USD"}}]
    assert codes(market, pricesToAdd=fixed, quantityPriceBreaksToAdd=[a_break]) == ["GENERIC_ERROR"]  # not B2B
    assert codes(b2b, quantityPriceBreaksToAdd=[a_break]) == ["QUANTITY_PRICE_BREAK_ADD_PRICE_LIST_PRICE_NOT_FOUND"]
    euro = {**a_break, "price": {"amount": "9.00", "currencyCode": "EUR"}}
    assert codes(b2b, pricesToAdd=fixed, quantityPriceBreaksToAdd=[euro]) == [
        "QUANTITY_PRICE_BREAK_ADD_CURRENCY_MISMATCH"
    ]
    assert codes(b2b, pricesToAdd=fixed, quantityPriceBreaksToAdd=[a_break, a_break]) == [
        "QUANTITY_PRICE_BREAK_ADD_DUPLICATE_INPUT_FOR_VARIANT_AND_MIN"
    ]
    state = shop.client.get("/_emulator/catalog").json()
    assert state["price_lists"][b2b] == {} and b2b not in state["quantity_price_breaks"]  # all or nothing
    assert codes(b2b, pricesToAdd=fixed, quantityPriceBreaksToAdd=[a_break]) == []
    state = shop.client.get("/_emulator/catalog").json()
    assert state["price_lists"][b2b] == {variant: "10.00"}
    assert state["quantity_price_breaks"][b2b] == {variant: {"10": "9.00"}}
    # deletes run before adds: replacing a variant's breaks in one call
    moved = {**a_break, "minimumQuantity": 20}
    assert codes(b2b, quantityPriceBreaksToDeleteByVariantId=[variant], quantityPriceBreaksToAdd=[moved]) == []
    assert shop.client.get("/_emulator/catalog").json()["quantity_price_breaks"][b2b] == {variant: {"20": "9.00"}}
