"""F&O product master -> Shopify through the emulators: create, idempotent re-run, price change,
ownership, lifecycle, exceptions, mapping hand-off, price lists."""

from __future__ import annotations

from integration.cases import ExceptionStore
from integration.catalog import state
from integration.catalog.config import PriceListMap, load_config
from integration.catalog.service import ENTITY
from integration.mappings import load_mappings
from integration.sku_registry import SkuRegistry
from shared import tables
from tests.integration.catalog.conftest import World


def test_a_released_master_appears_with_variants_price_weight_and_sku_mapping(world: World) -> None:
    world.product("T100")
    world.variants("T100", ["Red", "Blue"], ["S", "M"])
    world.agreement("T100", "24.00", color="Red")
    world.translation("T100", "en-us", "Classic T-shirt")
    summary = world.sync().run()
    assert summary.status == "done" and summary.created == 1 and summary.exceptions == 0
    product = world.products()["T100"]
    assert product["title"] == "Classic T-shirt" and product["status"] == "ACTIVE"
    assert [o["name"] for o in product["options"]] == ["Color", "Size"]
    by_sku = {v["sku"]: v for v in product["variants"]}
    assert set(by_sku) == {"T100-Red-S", "T100-Red-M", "T100-Blue-S", "T100-Blue-M"}
    assert by_sku["T100-Red-S"]["price"] == "24.00" and by_sku["T100-Blue-S"]["price"] == "20.00"
    assert by_sku["T100-Red-S"]["weight"] == ["KILOGRAMS", 0.5]
    assert by_sku["T100-Red-S"]["metafields"]["d365.item_number"] == "T100"
    # hand-off: order sync resolves the new SKUs to the F&O item without a manual mapping
    mappings = load_mappings(world.storage)
    assert mappings.item_number("T100-Blue-M", None) == "T100"
    # the inventory push resolves SKUs through inventoryItems(query: "sku:...") — the new variants are there
    query = 'query { inventoryItems(first: 5, query: "sku:T100-Red-S") { nodes { id sku } } }'
    assert world.shopify().graphql(query)["inventoryItems"]["nodes"][0]["sku"] == "T100-Red-S"


def test_a_re_run_writes_nothing_and_a_price_change_arrives_in_one_run(world: World) -> None:
    world.product("T100")
    world.variants("T100", ["Red"], ["S", "M"])
    world.sync().run()
    before = world.product_sets()
    again = world.sync().run()
    assert again.written == 0 and again.unchanged == 1 and world.product_sets() == before
    world.update_product("T100", SalesPrice=22.5)
    changed = world.sync().run()
    assert changed.written == 1 and changed.created == 0
    assert {v["price"] for v in world.products()["T100"]["variants"]} == {"22.50"}
    assert len(world.catalog()["products"]) == 1  # updated in place, not duplicated


def test_a_description_edited_in_shopify_survives_a_sync(world: World) -> None:
    world.product("D1", master=False)
    world.sync().run()
    product_id = world.products()["D1"]["id"]
    edit = """mutation edit($input: ProductSetInput!, $identifier: ProductSetIdentifiers) {
      productSet(input: $input, identifier: $identifier) { userErrors { message } } }"""
    shopify = world.shopify()
    shopify.graphql(edit, {"input": {"descriptionHtml": "<p>Merchant copy</p>"}, "identifier": {"id": product_id}})
    world.update_product("D1", SalesPrice=30)
    assert world.sync().run().written == 1
    product = world.products()["D1"]
    assert product["description_html"] == "<p>Merchant copy</p>" and product["variants"][0]["price"] == "30.00"


def test_leaving_the_released_state_drafts_the_product_and_never_deletes_it(world: World) -> None:
    world.product("L1", master=False)
    world.product("L2", master=False, state="Prototype")
    world.sync().run()
    assert set(world.products()) == {"L1"}  # a product never released is not created
    world.update_product("L1", ProductLifecycleStateId="Discontinued")
    summary = world.sync().run()
    assert summary.status_changes == 1
    product = world.products()["L1"]
    assert product["status"] == "DRAFT" and len(product["variants"]) == 1
    world.update_product("L1", ProductLifecycleStateId="Released for sale")
    world.sync().run()
    assert world.products()["L1"]["status"] == "ACTIVE"


def test_a_configured_archived_status_archives_a_product_leaving_the_state(world: World) -> None:
    world.product("A1")
    world.variants("A1", ["Red"], ["S", "M"])
    config = load_config().model_copy(update={"leaving_status": "ARCHIVED"})
    world.sync(config).run()
    world.update_product("A1", ProductLifecycleStateId="Discontinued")
    assert world.sync(config).run().status_changes == 1
    product = world.products()["A1"]
    assert product["status"] == "ARCHIVED" and len(product["variants"]) == 2  # never deleted, variants kept
    assert world.sync(config).run().written == 0


def test_incomplete_products_become_exceptions_and_are_not_sent(world: World) -> None:
    world.product("NOPRICE", master=False, SalesPrice=0)
    world.product("DUP", master=False)
    world.product("DUP2", master=False, ItemNumber="DUP2", ProductNumber="DUP2")
    world.product("M1")
    world.variants("M1", ["Red"], ["S"])
    world.product("M1-Red-S", master=False)  # a distinct product whose item number collides with a variant SKU
    summary = world.sync().run()
    exceptions = {e.entity_id: e.reason_code for e in ExceptionStore(world.storage).list(entity=ENTITY)}
    assert exceptions == {
        "NOPRICE": "CATALOG_MISSING_PRICE",
        "M1": "CATALOG_DUPLICATE_SKU",
        "M1-Red-S": "CATALOG_DUPLICATE_SKU",
    }
    assert set(world.products()) == {"DUP", "DUP2"} and summary.exceptions == 3
    # fixed in F&O: the next run sends it and resolves the exception
    world.update_product("NOPRICE", SalesPrice=5)
    world.sync().run()
    assert "NOPRICE" in world.products()
    record = ExceptionStore(world.storage).get(ENTITY, "NOPRICE")
    assert record is not None and record.status == "resolved"


def test_customer_group_agreements_become_fixed_prices_on_the_price_list(world: World) -> None:
    price_list = world.shop.post("/_emulator/price-lists", json={"name": "Wholesale", "currency": "USD"}).json()["id"]
    config = load_config().model_copy(
        update={"price_lists": [PriceListMap(customer_group="WHOLESALE", price_list=price_list, currency="USD")]}
    )
    world.product("W1")
    world.variants("W1", ["Red", "Blue"], ["S"])
    world.agreement("W1", "15.00", group="WHOLESALE")
    world.agreement("W1", "14.00", group="WHOLESALE", color="Red")
    world.agreement("W1", "13.00", group="WHOLESALE", currency="CAD")  # another currency: not this list
    world.sync(config).run()
    variants = {v["id"]: v["sku"] for v in world.products()["W1"]["variants"]}
    fixed = {variants[vid]: price for vid, price in world.catalog()["price_lists"][price_list].items()}
    assert fixed == {"W1-Red-S": "14.00", "W1-Blue-S": "15.00"}
    again = world.sync(config).run()
    assert again.price_updates == 0 and again.written == 0


def test_products_synced_before_the_sku_registry_register_their_skus_without_shopify_calls(world: World) -> None:
    world.product("R1")
    world.variants("R1", ["Red"], ["S", "M"])
    world.sync().run()
    # an earlier version's state: no registry rows, the row not marked
    table = world.storage.table(tables.CATALOG_SKUS)
    for row in table.query_entities("PartitionKey ne ''", select=["PartitionKey", "RowKey"]):
        table.delete_entity(row["PartitionKey"], row["RowKey"])
    state_table = world.storage.table(tables.CATALOG_PRODUCTS)
    row = state_table.get_entity(state.PRODUCT, "R1")
    row["SkusRegistered"] = False
    state_table.upsert_entity(row)
    assert SkuRegistry(world.storage).get_many(["R1-Red-S"]) == {}
    run = world.sync().run()
    assert (run.written, run.shopify_calls, run.skus_registered) == (0, 0, 2)
    entry = SkuRegistry(world.storage).get_many(["R1-Red-S"])["R1-Red-S"]
    assert entry.dimensions == {"ProductColorId": "Red", "ProductSizeId": "S"}
    assert world.sync().run().skus_registered == 0
