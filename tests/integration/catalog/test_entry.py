"""The catalog sync's entry points through app settings (the timer and the ops "sync now"), the
run lease, and the hand-off to the inventory push (new variants get quantities on its next run)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import azure.functions as func
import httpx
import pytest

from integration import bootstrap
from integration.catalog.state import CatalogState
from integration.inventory.config import parse_config
from integration.inventory.service import InventorySync
from integration.ops.api import Request
from integration.triggers import catalog_timer
from tests.integration.catalog.conftest import API_VERSION, D365_TOKEN, TOKEN, World


@pytest.fixture
def settings_env(app_env: dict[str, str], world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in {
        "SHOPIFY_ADMIN_URL": world.shop_url,
        "SHOPIFY_ADMIN_TOKEN": TOKEN,
        "SHOPIFY_API_VERSION": API_VERSION,
        "D365_URL": world.d365_url,
        "D365_LEGAL_ENTITY": "usmf",
        "D365_TOKEN": D365_TOKEN,
    }.items():
        monkeypatch.setenv(key, value)
    bootstrap.reset()
    yield
    bootstrap.reset()


def test_the_timer_schedule_is_the_app_setting() -> None:
    app = func.FunctionApp()
    app.register_functions(catalog_timer.bp)
    [function] = app.get_functions()
    trigger: Any = function.get_trigger()
    assert trigger.schedule == "%CATALOG_SYNC_SCHEDULE%" and trigger.use_monitor is True


class Timer:
    past_due = False


def test_the_timer_and_ops_sync_now_run_the_sync(world: World, settings_env: None) -> None:
    world.product("E1", master=False)
    app = func.FunctionApp()
    app.register_functions(catalog_timer.bp)
    [function] = app.get_functions()
    function.get_user_function()(Timer())
    assert "E1" in world.products()

    world.update_product("E1", SalesPrice=11)
    status, body = bootstrap.ops_router().dispatch(
        world.storage, Request("POST", "catalog/sync", {"full": "true"}, b"")
    )
    assert status == 200 and body["status"] == "done" and body["written"] == 1
    assert world.products()["E1"]["variants"][0]["price"] == "11.00"


def test_a_run_while_another_holds_the_lease_writes_nothing(world: World, settings_env: None) -> None:
    world.product("E2", master=False)
    holder = CatalogState(world.storage).lease(600)
    assert holder.acquire()  # another run is in progress
    status, body = bootstrap.ops_router().dispatch(world.storage, Request("POST", "catalog/sync", {}, b""))
    assert status == 200 and body["status"] == "skipped_overlap" and world.products() == {}
    holder.release()
    assert bootstrap.ops_router().dispatch(world.storage, Request("POST", "catalog/sync", {}, b""))[1]["created"] == 1


def test_the_checkpoint_moves_only_with_its_etag(world: World) -> None:
    state = CatalogState(world.storage)
    assert state.checkpoint() == (None, None)
    from datetime import UTC, datetime

    first = datetime(2026, 12, 1, tzinfo=UTC)
    assert state.advance(first, None)
    moment, etag = state.checkpoint()
    assert moment == first
    assert state.advance(datetime(2026, 12, 2, tzinfo=UTC), etag)
    assert not state.advance(datetime(2026, 12, 3, tzinfo=UTC), etag)  # a second run with the old ETag loses
    assert state.checkpoint()[0] == datetime(2026, 12, 2, tzinfo=UTC)


def test_the_inventory_push_finds_new_products_on_its_next_run(world: World) -> None:
    # A distinct product (variants of a master: the next test).
    world.product("V1", master=False)
    fo = httpx.Client(base_url=world.d365_url, timeout=30)
    body = [{"ItemNumber": "V1", "InventoryWarehouseId": "11", "OnHandQuantity": 7}]
    assert fo.put("/_emulator/on-hand", json=body).status_code == 200
    fo.close()
    locations = {
        "locations": [{"shopify_location": "Main Warehouse", "warehouses": [{"site": "1", "warehouse": "11"}]}]
    }

    def push() -> int:
        sync = InventorySync(
            parse_config(locations),
            world.storage,
            world.fo(),
            world.shopify(),
            legal_entity="usmf",
        )
        return sync.run(full=True).pushed

    assert push() == 0  # not in Shopify yet
    world.sync().run()
    assert push() == 1
    rows = [r for r in world.shop.get("/_emulator/state").json()["inventory"] if r["sku"] == "V1"]
    assert [r["on_hand"] for r in rows] == [7, 0], rows  # Main Warehouse (wh 11), East Warehouse (not mapped)


def test_the_inventory_push_finds_the_new_variants_of_a_master_on_its_next_run(world: World) -> None:
    world.product("M1")
    world.variants("M1", ["Red", "Blue"], ["S"])
    fo = httpx.Client(base_url=world.d365_url, timeout=30)
    body = [
        {
            "ItemNumber": "M1",
            "ProductColorId": color,
            "ProductSizeId": "S",
            "InventoryWarehouseId": "11",
            "OnHandQuantity": n,
        }
        for color, n in (("Red", 4), ("Blue", 6))
    ]
    assert fo.put("/_emulator/on-hand", json=body).status_code == 200
    fo.close()
    config = parse_config(
        {"locations": [{"shopify_location": "Main Warehouse", "warehouses": [{"site": "1", "warehouse": "11"}]}]}
    )

    def push() -> int:
        return (
            InventorySync(config, world.storage, world.fo(), world.shopify(), legal_entity="usmf").run(full=True).pushed
        )

    assert push() == 0  # not in Shopify yet
    world.sync().run()
    assert push() == 2
    rows = world.shop.get("/_emulator/state").json()["inventory"]
    stock = {sku: [r["on_hand"] for r in rows if r["sku"] == sku] for sku in ("M1-Red-S", "M1-Blue-S")}
    assert stock == {"M1-Red-S": [4, 0], "M1-Blue-S": [6, 0]}, stock  # Main Warehouse (wh 11), East (not mapped)
