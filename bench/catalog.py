"""Catalog sync benchmark: a first sync of N variants through the bulk path, then a K % delta through
per-product ``productSet`` calls against the cost bucket (issue 19: 50,000 variants, 5 %).

``python -m bench.catalog --products 2500 --variants 20`` starts Azurite and the F&O and Shopify
emulators (real HTTP on 127.0.0.1), seeds N/variants product masters with their variants in F&O
(in process, before serving), then:

* first sync: every product is new, so the run takes the bulk path (one staged upload, one
  ``bulkOperationRunMutation``, polling, the result file). Reported: duration, Shopify calls (the
  goal is a handful, independent of N: the run is limited by the bulk operation, not by per-product
  calls), CPU per variant (this process: the sync *and* the in-process emulators; Azurite is apart).
* delta: K % of the masters get a new base price in F&O; the run sends one ``productSet`` per changed
  product, starting with a full bucket of ``bucket_max`` points restored at ``restore_rate``/s. The bound
  is the time the restore rate needs for the cost spent beyond one bucket: (cost - bucket) / rate; the
  goal is a Shopify phase at >= 0.8 of that bound (throughput), i.e. duration <= bound / 0.8.
"""

from __future__ import annotations

import argparse
import time
from decimal import Decimal

from bench.common import Row, save, show
from integration.catalog.config import load_config
from integration.catalog.service import CatalogSync
from integration.clients.d365 import D365Client
from integration.clients.shopify import ShopifyAdmin
from sandbox.emulators.d365 import seed
from sandbox.emulators.d365.app import create_app as create_d365
from sandbox.emulators.d365.config import D365EmulatorConfig
from sandbox.emulators.serve import start_in_thread
from sandbox.emulators.shopify.app import create_app as create_shopify
from sandbox.emulators.shopify.config import ShopifyEmulatorConfig
from sandbox.harness.stack import azurite as azurite_mod
from shared.storage import Storage

TOKEN, D365_TOKEN, VERSION = "shpat_local_dev", "local-dev-token", "2026-04"
COLORS = ["Black", "White", "Red", "Blue", "Green", "Grey", "Navy", "Olive"]
SIZES = ["S", "M", "L", "XL"]


def run(
    products: int = 2_500,
    variants: int = 20,
    changed: float = 0.05,
    bucket_max: float = 100.0,
    restore_rate: float = 50.0,
) -> list[Row]:
    colors = COLORS[: max(1, min(len(COLORS), variants // len(SIZES) or 1))]
    sizes = SIZES[: max(1, min(len(SIZES), variants // len(colors)))]
    per = len(colors) * len(sizes)
    fo_app = create_d365(D365EmulatorConfig(page_size=10_000))
    env = fo_app.emulator.env
    masters = [f"BM{n:06d}" for n in range(products)]
    for item in masters:
        seed.add_item(
            env,
            "usmf",
            item,
            item,
            Decimal("25.00"),
            ProductSubType="ProductMaster",
            ProductLifecycleStateId="Released for sale",
            NetProductWeight=Decimal("0.3"),
        )
        for color in colors:
            for size in sizes:
                env.store.insert(
                    "InventDimCombination",
                    {
                        "dataAreaId": "usmf",
                        "ProductMasterNumber": item,
                        "ProductConfigurationId": "",
                        "ProductSizeId": size,
                        "ProductColorId": color,
                        "ProductStyleId": "",
                        "ProductVersionId": "",
                        "ItemNumber": item,
                        "ProductVariantNumber": f"{item}-{color}-{size}",
                    },
                )
    shop_app = create_shopify(ShopifyEmulatorConfig(bucket_max=bucket_max, restore_rate=restore_rate))
    shop = shop_app.app.state.emulator  # type: ignore[attr-defined]  # the Starlette app inside the fault layer
    store = azurite_mod.start()
    servers = [start_in_thread(fo_app), start_in_thread(shop_app)]
    storage = Storage.from_setting("S", {"S": store.connection_string})
    config = load_config().model_copy(update={"bulk_threshold": 200, "bulk_poll_seconds": 0.5})
    rows: list[Row] = []

    def sync(bulk_threshold: int = 200) -> tuple[CatalogSync, D365Client, ShopifyAdmin]:
        d365 = D365Client(servers[0].url, "usmf", lambda: D365_TOKEN)
        shopify = ShopifyAdmin(servers[1].url, TOKEN, VERSION)
        run_config = config.model_copy(update={"bulk_threshold": bulk_threshold})
        return CatalogSync(run_config, storage, d365, shopify, legal_entity="usmf"), d365, shopify

    try:
        total = products * per
        first, d365, shopify = sync(bulk_threshold=1)  # a first sync: every product new, all in one bulk job
        shop.bucket.configure(1e12, 1e12, 1e12)  # the first sync is bounded by the bulk operation, not the bucket
        cpu0, started = time.process_time(), time.monotonic()
        summary = first.run()
        duration, cpu = time.monotonic() - started, time.process_time() - cpu0
        d365.close()
        shopify.close()
        log = shop.log.snapshot(0)
        rows += [
            Row(
                "catalog",
                "first sync (bulk): duration",
                duration,
                "s",
                note=f"{products:,} products x {per} = {total:,} variants; status {summary.status}, "
                f"created {summary.created:,}, exceptions {summary.exceptions}",
            ),
            Row(
                "catalog",
                "first sync: Shopify writes",
                log["counts"].get("graphql stagedUploadsCreate", 0)
                + log["counts"].get("graphql bulkOperationRunMutation", 0),
                "calls",
                limit=2,
                limit_note="one staged upload + one bulk run, whatever the product count",
                note=f"all calls {log['total']} (the rest are status polls every 0.5 s, as many as the operation "
                f"takes; the emulator runs 200 lines per status read): {log['counts']}",
            ),
            Row(
                "catalog",
                "first sync: F&O read / bulk write phases",
                summary.write_ms / 1000,
                "s",
                note=f"F&O read {summary.read_ms / 1000:.1f} s; write = upload, operation, result file, "
                f"{summary.skus_registered:,} SKU registrations and state rows",
            ),
            Row("catalog", "first sync: CPU per variant", cpu / max(1, total) * 1e6, "µs", note="sync + emulators"),
        ]

        # K % of the masters get a new price in F&O.
        moved = masters[:: max(1, round(1 / changed))] if changed > 0 else []
        for item in moved:
            row = env.store.get("InventTable", ("usmf", item))
            env.store.update("InventTable", row, {"SalesPrice": Decimal("27.50")})
        shop.log.clear()
        shop.bucket.configure(bucket_max, restore_rate, bucket_max)
        delta, d365, shopify = sync()
        cpu0, started = time.process_time(), time.monotonic()
        summary = delta.run()
        duration, cpu = time.monotonic() - started, time.process_time() - cpu0
        d365.close()
        shopify.close()
        log = shop.log.snapshot(0)
        cost = float(log["total_cost"])
        bound = max(0.0, cost - bucket_max) / restore_rate
        rows += [
            Row(
                "catalog",
                "delta: Shopify phase",
                summary.write_ms / 1000,
                "s",
                limit=bound / 0.8 if bound else None,
                limit_note=f"bound / 0.8; bound = ({cost:.0f} - bucket {bucket_max:g}) / restore {restore_rate:g}/s",
                note=f"{len(moved):,} products changed ({len(moved) * per:,} variants); written {summary.written}, "
                f"unchanged {summary.unchanged:,}; bound / phase = {bound / max(summary.write_ms / 1000, 1e-9):.2f}",
            ),
            Row(
                "catalog",
                "delta: whole run",
                duration,
                "s",
                note=f"F&O read of every product {summary.read_ms / 1000:.1f} s (no modified date on the standard "
                "entities), then mapping and hashing, then the Shopify phase",
            ),
            Row(
                "catalog",
                "delta: productSet calls",
                log["counts"].get("graphql productSet", 0),
                "calls",
                limit=len(moved),
                limit_note="products changed in F&O",
                note=f"all Shopify calls {log['total']}, cost {cost:.0f}, throttled {log['throttled']}",
            ),
            Row("catalog", "delta: CPU per product read", cpu / max(1, products) * 1e3, "ms", note="sync + emulators"),
        ]
    finally:
        for server in servers:
            server.stop()
        store.stop()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=2_500)
    parser.add_argument("--variants", type=int, default=20)
    parser.add_argument("--changed", type=float, default=0.05)
    parser.add_argument("--bucket-max", type=float, default=100.0)
    parser.add_argument("--restore-rate", type=float, default=50.0)
    args = parser.parse_args()
    rows = run(args.products, args.variants, args.changed, args.bucket_max, args.restore_rate)
    show(rows)
    print(f"saved {save(rows, 'catalog')}")


if __name__ == "__main__":
    main()
