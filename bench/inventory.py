"""Inventory push benchmark: N SKUs x M locations, K % changed (issue: 50,000 x 3, 5 %).

``python -m bench.inventory --skus 50000`` starts Azurite and the F&O and Shopify emulators (over
real HTTP on 127.0.0.1), seeds the catalog in both (in process, before serving), runs a first full
push with an unthrottled bucket (the warm-up: it fills the SKU cache and the ledger), changes K %
of the F&O on-hand rows and measures the delta run against the emulated cost bucket.

The SKU cache is filled directly (steady state; the emulator's SKU search is not indexed). The
measured run starts with the bucket empty (the worst case: other flows drained it), so the
bound is the time the restore rate needs for the cost actually spent: cost / restore rate. The
Shopify-facing part of the run (everything but the F&O read and the ledger/cache load) is compared
with that bound; the goal is mutations = ceil(changed / 250) and a ratio <= 1.2.
"""

from __future__ import annotations

import argparse
import math
import random
import time
from decimal import Decimal

from bench.common import Row, save, show
from integration.clients.d365 import D365Client
from integration.clients.shopify import ShopifyAdmin, gid
from integration.inventory.catalog import PARTITION, ItemCatalog
from integration.inventory.config import parse_config
from integration.inventory.service import InventorySync
from sandbox.emulators.d365 import documents, seed
from sandbox.emulators.d365.app import create_app as create_d365
from sandbox.emulators.d365.config import D365EmulatorConfig
from sandbox.emulators.serve import start_in_thread
from sandbox.emulators.shopify.app import create_app as create_shopify
from sandbox.emulators.shopify.config import ShopifyEmulatorConfig
from sandbox.harness.stack import azurite as azurite_mod
from shared.settings import SHOPIFY_API_VERSION_DEFAULT
from shared.storage import Storage

WAREHOUSES = [("1", "11"), ("1", "12"), ("2", "21")]
TOKEN, D365_TOKEN, VERSION = "shpat_local_dev", "local-dev-token", SHOPIFY_API_VERSION_DEFAULT


def run(
    skus: int = 50_000,
    locations: int = 3,
    changed: float = 0.05,
    bucket_max: float = 100.0,
    restore_rate: float = 10.0,
    seconds: float = 900.0,
    seed_value: int = 7,
) -> list[Row]:
    if not 1 <= locations <= len(WAREHOUSES):
        raise ValueError(f"--locations must be 1..{len(WAREHOUSES)}")
    rng = random.Random(seed_value)
    names = [f"Location {n + 1}" for n in range(locations)]
    items = [f"BENCH{n:06d}" for n in range(skus)]

    fo_app = create_d365(D365EmulatorConfig(page_size=10_000))
    env = fo_app.emulator.env
    quantities: dict[tuple[str, str], int] = {}
    for item in items:
        seed.add_item(env, "usmf", item, item, Decimal("1"))
        for site, warehouse in WAREHOUSES[:locations]:
            quantities[(item, warehouse)] = quantity = rng.randint(0, 500)
            documents.set_on_hand(env, "usmf", item, site, warehouse, OnHandQuantity=Decimal(quantity))
    shop_app = create_shopify(ShopifyEmulatorConfig(locations=names, bucket_max=bucket_max, restore_rate=restore_rate))
    shop = shop_app.app.state.emulator  # type: ignore[attr-defined]  # the Starlette app inside the fault layer
    for item in items:
        shop.store.add_item(item, on_hand=0)

    store = azurite_mod.start()
    servers = [start_in_thread(fo_app), start_in_thread(shop_app)]
    config = parse_config(
        {
            "locations": [
                {"shopify_location": name, "warehouses": [{"site": s, "warehouse": w}]}
                for name, (s, w) in zip(names, WAREHOUSES, strict=False)
            ],
            "max_run_seconds": seconds,
            "lease_seconds": seconds + 60,
        }
    )
    storage = Storage.from_setting("S", {"S": store.connection_string})
    rows: list[Row] = []
    try:

        def sync() -> tuple[InventorySync, D365Client, ShopifyAdmin]:
            d365 = D365Client(servers[0].url, "usmf", lambda: D365_TOKEN)
            shopify = ShopifyAdmin(servers[1].url, TOKEN, VERSION)
            return (
                InventorySync(config, storage, d365, shopify, legal_entity="usmf"),
                d365,
                shopify,
            )

        # The SKU cache is warm in steady state; filling it through Shopify's search would measure the
        # emulator's unindexed search (items x OR-terms), not the integration.
        cache = ItemCatalog(storage)
        now = round(time.time())
        for sku, item_id in shop.store.items_by_sku.items():
            cache.store.put(PARTITION, sku, [gid("InventoryItem", item_id), now, 0])
        cache.flush()
        # Warm-up: the first full push, with a bucket that never throttles.
        shop.bucket.configure(1e12, 1e12, 1e12)
        started = time.monotonic()
        first, d365, shopify = sync()
        warm = first.run()
        d365.close()
        shopify.close()
        rows.append(
            Row(
                "inventory",
                "first full push (unthrottled)",
                time.monotonic() - started,
                "s",
                note=f"{warm.pushed:,} quantities, {warm.batches} calls, status {warm.status}, "
                f"phases ms {warm.phase_ms}",
            )
        )

        # K % of the on-hand rows change in F&O.
        keys = sorted(quantities)
        moved = rng.sample(keys, round(len(keys) * changed))
        for item, warehouse in moved:
            site = next(s for s, w in WAREHOUSES if w == warehouse)
            documents.set_on_hand(
                env,
                "usmf",
                item,
                site,
                warehouse,
                OnHandQuantity=Decimal(quantities[(item, warehouse)] + rng.randint(1, 50)),
            )
        shop.log.clear()
        fo_app.emulator.log.clear()
        shop.bucket.configure(bucket_max, restore_rate, bucket_max)

        measured, d365, shopify = sync()
        started = time.monotonic()
        summary = measured.run()
        duration = time.monotonic() - started
        d365.close()
        shopify.close()
        log = shop.log.snapshot(0)
        mutations = log["counts"].get("graphql inventorySetQuantities", 0)
        cost = float(log["total_cost"])
        push_s = summary.phase_ms.get("push", 0) / 1000
        push_cost = 10.0 * mutations  # a mutation is priced 10 points
        # The bucket is full when the push starts (the F&O read takes longer than a refill), so the
        # restore rate has to pay for everything beyond one bucket.
        bound = max(0.0, push_cost - bucket_max) / restore_rate
        goal_calls = math.ceil(len(moved) / 250)
        rows += [
            Row(
                "inventory",
                "delta run: duration",
                duration,
                "s",
                note=f"{skus:,} SKUs x {locations} locations, {changed:.0%} changed; phases ms {summary.phase_ms}",
            ),
            Row(
                "inventory",
                "delta run: push phase",
                push_s,
                "s",
                limit=bound,
                limit_note=f"({push_cost:.0f} - bucket {bucket_max:g}) / restore {restore_rate:g}/s",
                note="Shopify calls + ledger writes; includes the in-process emulator's CPU",
            ),
            Row(
                "inventory",
                "delta run: inventorySetQuantities calls",
                mutations,
                "calls",
                limit=goal_calls,
                limit_note=f"ceil({len(moved):,} changed / 250)",
            ),
            Row(
                "inventory",
                "delta run: Shopify calls (all) / cost",
                log["total"],
                "calls",
                note=f"cost {cost:.0f} points, throttled {log['throttled']}, waited {summary.throttle_wait_s:.1f} s",
            ),
            Row(
                "inventory",
                "delta run: F&O pages read",
                fo_app.emulator.log.http_requests,
                "requests",
                limit=math.ceil(summary.fo_rows / 10_000),
                limit_note="rows / 10,000 page size",
                note=f"{summary.fo_rows:,} rows",
            ),
            Row(
                "inventory",
                "delta run: pushed",
                summary.pushed,
                "quantities",
                limit=len(moved),
                limit_note="rows changed in F&O",
                note=f"status {summary.status}, skipped {dict(summary.skipped)}",
            ),
        ]
    finally:
        for server in servers:
            server.stop()
        store.stop()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skus", type=int, default=50_000)
    parser.add_argument("--locations", type=int, default=3)
    parser.add_argument("--changed", type=float, default=0.05, help="fraction of on-hand rows changed")
    parser.add_argument("--bucket-max", type=float, default=100.0)
    parser.add_argument("--restore-rate", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=900.0, help="time budget of each run")
    args = parser.parse_args()
    rows = run(args.skus, args.locations, args.changed, args.bucket_max, args.restore_rate, args.seconds)
    show(rows)
    print(f"saved {save(rows, 'inventory')}")


if __name__ == "__main__":
    main()
