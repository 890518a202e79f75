"""Barcodes, translated titles, quantity price breaks on a B2B price list, and orders for the new variant
SKUs: against the F&O and Shopify emulators over HTTP and Azurite."""

from __future__ import annotations

from decimal import Decimal

import httpx

from integration.cases import ExceptionStore
from integration.catalog.config import PriceListMap, load_config
from integration.orders.products import ProductCache
from integration.orders.salesorder import OrderSettings
from integration.orders.service import OrderFlowConfig, OrderSync
from sandbox.harness.demo.sample_orders import erp_ready_order
from tests.integration.catalog.conftest import D365_TOKEN, World

TRANSLATED = """query translated($id: ID!, $locale: String!) { translatableResource(resourceId: $id) {
  translations(locale: $locale) { key value outdated } } }"""
ENABLE = """mutation enable($locale: String!) { shopLocaleEnable(locale: $locale) {
  shopLocale { locale } userErrors { field message } } }"""


def test_fo_barcodes_reach_the_variants(world: World) -> None:
    world.product("B1")
    world.variants("B1", ["Red", "Blue"], ["S"])
    world.barcode("B1", "0012345000011", color="Red", size="S")
    world.sync().run()
    variants = {v["sku"]: v for v in world.products()["B1"]["variants"]}
    assert variants["B1-Red-S"]["barcode"] == "0012345000011" and variants["B1-Blue-S"]["barcode"] is None
    world.barcode("B1", "0012345000028", color="Blue", size="S")
    again = world.sync().run()
    assert again.written == 1
    assert {v["sku"]: v["barcode"] for v in world.products()["B1"]["variants"]}["B1-Blue-S"] == "0012345000028"


def test_a_barcode_removed_in_fo_is_cleared_in_shopify_and_nothing_else_is_rewritten(world: World) -> None:
    world.product("B2")
    world.variants("B2", ["Red"], ["S"])
    world.product("B3", master=False)  # never had a barcode
    world.barcode("B2", "0012345000035", color="Red", size="S")
    world.sync().run()
    assert world.products()["B2"]["variants"][0]["barcode"] == "0012345000035"
    [row] = world.fo().query("ProductBarcodesV3", filter="ItemNumber eq 'B2'")
    keys = ["dataAreaId", "ItemNumber", "ProductConfigurationId", "ProductColorId", "ProductSizeId"]
    keys += ["ProductStyleId", "ProductVersionId", "ProductQuantityUnitSymbol", "BarcodeSetupId", "Barcode"]
    world.fo().delete("ProductBarcodesV3", {k: row[k] for k in keys})
    again = world.sync().run()
    assert again.written == 1  # B2 only: B3's plan gained a null barcode, which is no change
    assert world.products()["B2"]["variants"][0]["barcode"] is None
    assert world.sync().run().written == 0


def test_translated_titles_are_registered_with_the_current_digest(world: World) -> None:
    world.shopify().graphql(ENABLE, {"locale": "fr"})
    world.product("L1", master=False)
    world.translation("L1", "en-us", "Lamp")
    world.translation("L1", "fr", "Lampe")
    world.translation("L1", "ja", "ランプ")  # the shop has no Japanese: not sent
    first = world.sync().run()
    assert first.translations == 1 and first.exceptions == 0
    product_id = world.products()["L1"]["id"]
    assert world.catalog()["translations"] == {f"{product_id} fr title": "Lampe"}
    again = world.sync().run()
    # idempotent: 0 writes; the one call is the read of the shop's locales (a newly enabled one is picked up)
    assert (again.written, again.translations, again.shopify_calls) == (0, 0, 1)
    world.translation("L1", "fr-ca", "Lampe (CA)")  # another French: "fr" keeps the exact match
    world.update_product("L1", SearchName="desk lamp")  # the title the translation translates is the en-us name
    assert world.sync().run().translations == 0


def test_a_title_change_re_registers_the_translation_against_the_new_source(world: World) -> None:
    world.shopify().graphql(ENABLE, {"locale": "de"})
    world.product("L2", master=False)
    world.translation("L2", "de", "Leuchte")
    world.sync().run()
    shopify = world.shopify()
    product_id = world.products()["L2"]["id"]
    world.update_product("L2", SearchName="floor lamp")  # the Shopify title (no en-us translation)
    between = shopify.graphql(TRANSLATED, {"id": product_id, "locale": "de"})["translatableResource"]
    assert between["translations"] == [{"key": "title", "value": "Leuchte", "outdated": False}]
    run = world.sync().run()
    assert run.written == 1 and run.translations == 1
    after = shopify.graphql(TRANSLATED, {"id": product_id, "locale": "de"})["translatableResource"]
    assert after["translations"] == [{"key": "title", "value": "Leuchte", "outdated": False}]
    assert world.products()["L2"]["title"] == "floor lamp"


def test_agreements_from_a_quantity_become_price_breaks_on_a_b2b_price_list(world: World) -> None:
    body = {"name": "Dealers", "currency": "USD", "catalog": "company_location"}
    price_list = world.shop.post("/_emulator/price-lists", json=body).json()["id"]
    mapping = PriceListMap(customer_group="DEALER", price_list=price_list, currency="USD", quantity_breaks=True)
    config = load_config().model_copy(update={"price_lists": [mapping]})
    world.product("Q1")
    world.variants("Q1", ["Red"], ["S", "M"])
    world.agreement("Q1", "18.00", group="DEALER")
    world.agreement("Q1", "16.00", group="DEALER", from_qty=10)
    world.agreement("Q1", "14.00", group="DEALER", from_qty=50)
    world.sync(config).run()
    variants = {v["id"]: v["sku"] for v in world.products()["Q1"]["variants"]}
    state = world.catalog()
    assert {variants[v]: p for v, p in state["price_lists"][price_list].items()} == {
        "Q1-Red-S": "18.00",
        "Q1-Red-M": "18.00",
    }
    breaks = {variants[v]: b for v, b in state["quantity_price_breaks"][price_list].items()}
    assert breaks == {sku: {"10": "16.00", "50": "14.00"} for sku in ("Q1-Red-S", "Q1-Red-M")}
    assert world.sync(config).run().price_updates == 0
    world.agreement("Q1", "15.00", group="DEALER", from_qty=10)  # a newer, equally specific agreement wins
    changed = world.sync(config).run()
    assert changed.price_updates == 2
    breaks = {variants[v]: b for v, b in world.catalog()["quantity_price_breaks"][price_list].items()}
    assert breaks["Q1-Red-S"] == {"10": "15.00", "50": "14.00"}


def test_breaks_on_a_market_price_list_are_refused_and_become_an_exception(world: World) -> None:
    price_list = world.shop.post("/_emulator/price-lists", json={"name": "EU", "currency": "USD"}).json()["id"]
    mapping = PriceListMap(customer_group="DEALER", price_list=price_list, currency="USD", quantity_breaks=True)
    config = load_config().model_copy(update={"price_lists": [mapping]})
    world.product("Q2", master=False)
    world.agreement("Q2", "18.00", group="DEALER")
    world.agreement("Q2", "16.00", group="DEALER", from_qty=10)
    run = world.sync(config).run()
    assert run.reasons == {"CATALOG_PRICES_REJECTED": 1}
    assert world.catalog()["price_lists"][price_list] == {}  # all or nothing: not even the fixed price
    record = ExceptionStore(world.storage).get("catalog_product", "Q2")
    assert record is not None and record.status == "open"


def test_an_order_for_a_new_variant_sku_syncs_with_its_dimensions_and_no_manual_mapping(world: World) -> None:
    world.product("V1", SalesSalesTaxItemGroupCode="ALL")  # taxed like the demo items
    world.variants("V1", ["Red", "Blue"], ["S", "M"])
    world.sync().run()
    shop = httpx.Client(base_url=world.shop_url, timeout=30)
    body = erp_ready_order([("V1-Blue-M", 2, "20.00", "0.00")])
    order = shop.post("/_emulator/orders", params={"webhook": "false"}, json={"order": body}).json()["order"]
    shop.close()
    sync = OrderSync(world.storage, world.fo(), world.shopify(), OrderFlowConfig(OrderSettings("usmf")), ProductCache())
    outcome = sync.handle("orders/create", order)
    assert outcome.status == "created", outcome
    fo = httpx.Client(base_url=world.d365_url, headers={"Authorization": f"Bearer {D365_TOKEN}"}, timeout=30)
    lines = fo.get("/_emulator/state", params={"set": "SalesOrderLines"}).json()["value"]
    [line] = [row for row in lines if row["ItemNumber"] == "V1"]
    assert (line["ProductColorId"], line["ProductSizeId"], Decimal(str(line["OrderedSalesQuantity"]))) == (
        "Blue",
        "M",
        Decimal(2),
    )
    fo.close()


def test_fo_refuses_a_sales_line_of_a_product_master_without_its_dimensions(world: World) -> None:
    world.product("V2")
    world.variants("V2", ["Red"], ["S"])
    fo = world.fo()
    header = fo.create(
        "SalesOrderHeadersV2",
        {"dataAreaId": "usmf", "OrderingCustomerAccountNumber": "US-001", "CurrencyCode": "USD"},
    )
    number = header["SalesOrderNumber"]
    base = {"dataAreaId": "usmf", "SalesOrderNumber": number, "ItemNumber": "V2", "ShippingWarehouseId": "11"}
    for extra, text in (
        ({}, "Inventory dimension Color is mandatory"),
        ({"ProductColorId": "Red"}, "Inventory dimension Size is mandatory"),
        ({"ProductColorId": "Red", "ProductSizeId": "XL"}, "has no released product variant"),
    ):
        response = httpx.post(
            f"{world.d365_url}/data/SalesOrderLines",
            json={**base, **extra},
            headers={"Authorization": f"Bearer {D365_TOKEN}"},
            timeout=30,
        )
        assert response.status_code == 400 and text in response.text, response.text
    created = fo.create("SalesOrderLines", {**base, "ProductColorId": "Red", "ProductSizeId": "S"})
    assert created["ProductSizeId"] == "S"


def test_fo_return_lines_of_a_variant_keep_the_returned_lots_dimensions(world: World) -> None:
    world.product("V3")
    world.variants("V3", ["Red", "Blue"], ["S"])
    fo = world.fo()
    auth = {"Authorization": f"Bearer {D365_TOKEN}"}
    number = fo.create(
        "SalesOrderHeadersV2", {"dataAreaId": "usmf", "OrderingCustomerAccountNumber": "US-001", "CurrencyCode": "USD"}
    )["SalesOrderNumber"]
    line = fo.create(
        "SalesOrderLines",
        {
            "dataAreaId": "usmf",
            "SalesOrderNumber": number,
            "ItemNumber": "V3",
            "ShippingWarehouseId": "11",
            "ProductColorId": "Blue",
            "ProductSizeId": "S",
            "OrderedSalesQuantity": 2,
        },
    )
    assert httpx.post(f"{world.d365_url}/_emulator/sales-orders/{number}/invoice", json={}, headers=auth).is_success
    fo.create(
        "ReturnOrderHeadersV2",
        {"dataAreaId": "usmf", "ReturnOrderNumber": "RFV3", "RMANumber": "RFV3", "CustomerAccountNumber": "US-001"},
    )
    base = {"dataAreaId": "usmf", "ReturnOrderNumber": "RFV3", "ReturningInventoryLotId": line["InventoryLotId"]}
    wrong = httpx.post(
        f"{world.d365_url}/data/ReturnOrderLinesV2",
        json={**base, "ReturnSalesQuantity": -1, "ProductColorId": "Red", "ProductSizeId": "S"},
        headers=auth,
        timeout=30,
    )
    assert wrong.status_code == 400 and "does not match the returned lot" in wrong.text, wrong.text
    right = fo.create(
        "ReturnOrderLinesV2", {**base, "ReturnSalesQuantity": -1, "ProductColorId": "Blue", "ProductSizeId": "S"}
    )
    assert (right["ItemNumber"], right["ProductColorId"], right["ProductSizeId"]) == ("V3", "Blue", "S")
