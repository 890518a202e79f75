"""Rate-limit pacing, compare-and-swap conflicts, cut-off runs that resume, overlapping runs."""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest

from integration.inventory.runs import Checkpoints, RunLease
from sandbox.emulators.shopify.config import ShopifyEmulatorConfig
from shared.settings import SHOPIFY_API_VERSION_DEFAULT
from tests.conftest import present
from tests.integration.inventory.conftest import SKUS, Wire, World

# A retired version (falls forward to the oldest supported), the oldest supported, the target.
VERSIONS = ["2025-10", "2026-01", SHOPIFY_API_VERSION_DEFAULT]


def _catalog(world: World, count: int) -> list[str]:
    """``count`` extra F&O items with on-hand in every mapped warehouse, known to Shopify."""
    items: list[dict[str, Any]] = [
        {"ItemNumber": f"BULK{n:04d}", "SearchName": f"Bulk {n}", "SalesPrice": 1} for n in range(count)
    ]
    assert world.fo.post("/_emulator/items", json=items).status_code == 201
    rows = [
        {"ItemNumber": i["ItemNumber"], "InventoryWarehouseId": wh, "OnHandQuantity": 10 + n % 7}
        for n, i in enumerate(items)
        for wh in ("11", "21")
    ]
    assert world.fo.put("/_emulator/on-hand", json=rows).status_code == 200
    skus = [i["ItemNumber"] for i in items]
    world.add_items(skus)
    return skus


@pytest.mark.parametrize("shop_config", [ShopifyEmulatorConfig(bucket_max=60, restore_rate=50)])
def test_a_small_cost_bucket_is_paced_without_throttled_errors(world: World) -> None:
    skus = _catalog(world, 150)
    summary = world.run({"batch_size": 100})
    log = world.shopify_log()
    assert summary.status == "done" and summary.pushed == len(skus) * 2
    assert log["throttled"] == 0 and summary.throttled == 0  # never hit THROTTLED...
    assert summary.throttle_wait_s > 0  # ...because the client waited for the bucket instead
    assert world.mutations() == math.ceil(len(skus) * 2 / 100)
    assert summary.shopify_cost == pytest.approx(log["total_cost"])


@pytest.mark.parametrize("version", VERSIONS)
def test_stale_compare_is_refreshed_and_retried(world: World, version: str) -> None:
    world.add_items(SKUS)
    world.run(api_version=version)
    locations = world.locations()
    # A merchant corrects the count in Shopify after our last push...
    assert (
        world.shop.put(
            "/_emulator/inventory",
            json={"sku": "IPOD2008GREEN", "on_hand": 3, "location_id": locations["East Warehouse"]},
        ).status_code
        == 200
    )
    # ...and F&O moves too: our compare value (100) is stale now.
    world.set_on_hand("IPOD2008GREEN", "21", 60)
    world.set_on_hand("IPOD2008BLACK", "21", 61)
    world.clear_logs()
    summary = world.run(api_version=version)
    assert (summary.status, summary.pushed, summary.stale_retries) == ("done", 2, 1)
    assert world.mutations() == 2  # refused once (whole call), sent again with the fresh value
    levels = world.levels()
    assert levels[("IPOD2008GREEN", "East Warehouse")]["on_hand"] == 60  # F&O is the master
    assert levels[("IPOD2008BLACK", "East Warehouse")]["on_hand"] == 61


def test_conflicts_that_never_settle_are_bounded_and_reported(world: World) -> None:
    world.add_items(SKUS)
    world.run()
    east = world.locations()["East Warehouse"]
    world.set_on_hand("IPOD2008GREEN", "21", 60)

    def racing_merchant(_request: httpx.Request, _response: object) -> None:
        # Another writer changes the level between our refresh and our retry, every time.
        current = world.levels()[("IPOD2008GREEN", "East Warehouse")]["on_hand"]
        world.shop.put(
            "/_emulator/inventory", json={"sku": "IPOD2008GREEN", "on_hand": current + 1, "location_id": east}
        )

    shopify = world.shopify(transport=Wire(before=racing_merchant))
    summary = world.sync({"max_conflict_retries": 2}, shopify=shopify).run()
    assert summary.skipped["conflict_retries_exhausted"] == 1
    assert summary.stale_retries == 2 and summary.status == "done"


@pytest.mark.parametrize("version", VERSIONS)
def test_a_lost_response_is_retried_without_applying_twice(world: World, version: str) -> None:
    world.add_items(SKUS)
    world.run(api_version=version)
    world.set_on_hand("IPOD2008GREEN", "21", 60)
    wire = Wire()

    def lose_first_answer(_request: httpx.Request, _response: object) -> None:
        if wire.mutations == 1:
            raise httpx.ReadError("connection reset after Shopify applied the batch")

    wire.after = lose_first_answer
    summary = world.sync(api_version=version, shopify=world.shopify(version, transport=wire)).run()
    # The same @idempotent key gets the original result back.
    assert (summary.status, summary.pushed) == ("done", 1)
    assert world.levels()[("IPOD2008GREEN", "East Warehouse")]["on_hand"] == 60
    assert wire.mutations >= 2  # the lost answer was really retried


def test_a_cut_off_run_resumes_where_it_stopped(world: World) -> None:
    skus = _catalog(world, 120)
    total = len(skus) * 2
    sync = world.sync({"batch_size": 50})
    first = sync.run(max_batches=2)
    assert (first.status, first.pushed, first.batches) == ("cut_off", 100, 2)
    assert present(Checkpoints(world.storage).last()).status == "cut_off"

    world.clear_logs()
    second = world.run({"batch_size": 50})
    assert second.resumed and second.run_id == first.run_id  # same run id: same idempotency keys
    assert (second.status, second.pushed) == ("done", total - 100)
    assert world.mutations() == math.ceil((total - 100) / 50)
    levels = world.levels()
    assert all(levels[(sku, "Main Warehouse")]["on_hand"] == 10 + n % 7 for n, sku in enumerate(skus))

    third = world.run({"batch_size": 50})
    assert not third.resumed and third.run_id != first.run_id and third.pushed == 0


def test_a_run_that_crashes_resumes_without_pushing_twice(world: World) -> None:
    skus = _catalog(world, 60)
    wire = Wire()

    def worker_dies(_request: httpx.Request, _response: object) -> None:
        if wire.mutations == 2:
            raise RuntimeError("worker recycled after Shopify applied the batch")

    wire.after = worker_dies
    with pytest.raises(RuntimeError):
        world.sync({"batch_size": 50}, shopify=world.shopify(transport=wire)).run()
    assert present(Checkpoints(world.storage).last()).status == "failed"

    world.clear_logs()
    resumed = world.run({"batch_size": 50})
    assert resumed.resumed and resumed.status == "done"
    # Batch 2 was applied but not recorded: its rows are sent again with the ledger's (now stale)
    # compare values, refreshed, found already right; the rest goes out normally. Shopify ends exact.
    assert resumed.pushed == len(skus) * 2 - 50
    levels = world.levels()
    assert all(levels[(sku, "East Warehouse")]["on_hand"] == 10 + n % 7 for n, sku in enumerate(skus))


def test_overlapping_runs_are_prevented(world: World) -> None:
    world.add_items(SKUS)
    other = RunLease(world.storage, seconds=300, owner="another-run")
    assert other.acquire()
    skipped = world.run()
    assert skipped.status == "skipped_overlap" and world.mutations() == 0
    assert not RunLease(world.storage, seconds=300).acquire()  # still held by the other run

    other.release()
    done = world.run()
    assert done.status == "done" and done.pushed == len(SKUS) * 2


def test_an_expired_lease_is_taken_over(world: World) -> None:
    world.add_items(SKUS)
    crashed = RunLease(world.storage, seconds=0.001, owner="crashed-run")  # never released
    assert crashed.acquire()
    summary = world.run()
    assert summary.status == "done"


def test_fo_paging_honours_429_retry_after(world: World) -> None:
    world.add_items(SKUS)
    assert world.fo.put("/_emulator/settings", json={"page_size": 10}).status_code == 200
    assert (
        world.fo.put("/_emulator/throttling", json={"max_requests": 2, "window_s": 2, "retry_after_s": 1}).status_code
        == 200
    )
    summary = world.run()
    throttling = world.fo.get("/_emulator/throttling").json()
    assert throttling["throttled"] >= 1  # F&O answered 429 at least once...
    assert summary.status == "done" and summary.fo_rows == 27  # ...and every page was still read
    assert summary.pushed == len(SKUS) * 2
