"""First full push, then only deltas; unknown SKUs; negative stock; safety stock; committed stock."""

from __future__ import annotations

from tests.integration.inventory.conftest import SKUS, World

SEEDED_ITEMS = 9  # stocked items in the F&O demo data (FREIGHT is a service item)


def test_first_run_pushes_everything_then_only_deltas(world: World) -> None:
    world.add_items(SKUS)
    first = world.run()
    assert first.status == "done"
    assert first.fo_rows == SEEDED_ITEMS * 3  # warehouses 11, 12, 21 of usmf only (not usrt)
    assert first.pushed == len(SKUS) * 2
    levels = world.levels()
    for sku in SKUS:
        assert levels[(sku, "Main Warehouse")]["on_hand"] == 1100  # 1000 (wh 11) + 100 (wh 12)
        assert levels[(sku, "East Warehouse")]["on_hand"] == 100
    assert world.mutations() == 1  # 6 quantities: one call

    world.clear_logs()
    second = world.run()
    assert (second.changed, second.pushed, world.mutations()) == (0, 0, 0)
    assert second.unchanged == len(SKUS) * 2

    world.set_on_hand("IPOD2008BLACK", "12", 40)  # Main: 1000 + 40
    world.set_on_hand("SNOWBOARD-GREEN", "21", 7)  # East
    third = world.run()
    assert (third.changed, third.pushed, third.batches, world.mutations()) == (2, 2, 1, 1)
    levels = world.levels()
    assert levels[("IPOD2008BLACK", "Main Warehouse")]["on_hand"] == 1040
    assert levels[("SNOWBOARD-GREEN", "East Warehouse")]["on_hand"] == 7
    assert levels[("IPOD2008GREEN", "Main Warehouse")]["on_hand"] == 1100


def test_unknown_skus_are_reported_not_pushed_and_not_looked_up_every_run(world: World) -> None:
    world.add_items(SKUS)
    first = world.run()
    unknown = (SEEDED_ITEMS - len(SKUS)) * 2
    assert first.skipped["unknown_sku"] == unknown
    assert first.skipped_sample and all(s.startswith("unknown_sku:") for s in first.skipped_sample)
    assert {sku for sku, _ in world.levels()} == set(SKUS)  # nothing created for them

    world.clear_logs()
    second = world.run()
    assert second.skipped["unknown_sku"] == unknown  # still reported every run...
    assert "graphql inventoryItems" not in world.shopify_log()["counts"]  # ...from the cache, no lookup

    world.add_items(["A0001"])  # the SKU appears in Shopify: a full resync looks it up again
    full = world.run(full=True)
    assert full.skipped["unknown_sku"] == unknown - 2
    assert world.levels()[("A0001", "East Warehouse")]["on_hand"] == 100


def test_negative_stock_is_published_as_zero(world: World) -> None:
    world.add_items(SKUS, on_hand=5)
    world.set_on_hand("IPOD2008GREEN", "21", -3)
    world.set_on_hand("IPOD2008GREEN", "12", -1500)  # Main: 1000 - 1500 < 0
    world.run()
    levels = world.levels()
    assert levels[("IPOD2008GREEN", "East Warehouse")]["on_hand"] == 0
    assert levels[("IPOD2008GREEN", "Main Warehouse")]["on_hand"] == 0


def test_fractional_and_reserved_quantities(world: World) -> None:
    world.add_items(SKUS)
    world.set_on_hand("IPOD2008RED", "21", "9.75")  # not in Shopify: ignored
    world.set_on_hand("IPOD2008GREEN", "21", "9.75", ReservedOnHandQuantity="2")  # available physical 7.75
    world.run()
    assert world.levels()[("IPOD2008GREEN", "East Warehouse")]["on_hand"] == 7


def test_safety_stock_per_location_and_item(world: World) -> None:
    world.add_items(SKUS)
    config = {
        "safety_stock": 1,
        "safety_stock_items": {"SNOWBOARD-GREEN": 50},
        "locations": [
            {
                "shopify_location": "Main Warehouse",
                "warehouses": ["11", "12"],
                "safety_stock": 100,
                "safety_stock_items": {"IPOD2008BLACK": 5},
            },
            {"shopify_location": "East Warehouse", "warehouses": ["21"]},
        ],
    }
    world.run(config)
    levels = world.levels()
    assert levels[("IPOD2008GREEN", "Main Warehouse")]["on_hand"] == 1000  # location safety 100
    assert levels[("IPOD2008BLACK", "Main Warehouse")]["on_hand"] == 1095  # location+item 5
    assert levels[("SNOWBOARD-GREEN", "Main Warehouse")]["on_hand"] == 1050  # item 50
    assert levels[("IPOD2008GREEN", "East Warehouse")]["on_hand"] == 99  # global default 1
    assert levels[("SNOWBOARD-GREEN", "East Warehouse")]["on_hand"] == 50


def _order(world: World, sku: str, quantity: int) -> None:
    response = world.shop.post(
        "/_emulator/orders",
        params={"webhook": "false"},
        json={"line_items": [{"sku": sku, "quantity": quantity, "price": "10.00"}]},
    )
    assert response.status_code == 201, response.text


def test_committed_stock_is_not_sold_twice(world: World) -> None:
    """An order Shopify has taken but F&O has not shipped yet stays subtracted (publish_as on_hand)."""
    world.add_items(SKUS)
    world.run()
    _order(world, "IPOD2008GREEN", 3)  # committed at Main Warehouse (the default location)
    assert world.levels()[("IPOD2008GREEN", "Main Warehouse")] == {"available": 1097, "on_hand": 1100, "committed": 3}
    world.set_on_hand("IPOD2008GREEN", "11", 990)  # an unrelated F&O movement: Main 990 + 100
    summary = world.run()
    assert summary.pushed == 1
    assert world.levels()[("IPOD2008GREEN", "Main Warehouse")] == {"available": 1087, "on_hand": 1090, "committed": 3}


def test_publish_as_available_trusts_fo_for_open_orders(world: World) -> None:
    world.add_items(SKUS)
    _order(world, "IPOD2008GREEN", 3)
    world.run({"publish_as": "available"})
    # F&O's measure is taken as already net of open orders: Shopify keeps on_hand = it + committed.
    assert world.levels()[("IPOD2008GREEN", "Main Warehouse")] == {"available": 1100, "on_hand": 1103, "committed": 3}
    # Switching the name back republishes everything under on_hand (ledger entries are per name).
    summary = world.run()
    assert summary.pushed == len(SKUS) * 2
    assert world.levels()[("IPOD2008GREEN", "Main Warehouse")]["available"] == 1097
