"""The catalog sync: F&O product master -> Shopify products and price lists.

One run: take the lease -> read the checkpoint -> read F&O (reader.py) -> map every product
(mapping.py) -> open an exception for each product F&O cannot describe completely (not sent) ->
send every product whose content hash changed (``productSet``, paced by the cost bucket) ->
register the SKU -> item number mappings of what it sent (order sync validates new SKUs at once;
the inventory push finds the new variants' inventory items by SKU on its next run) -> update
fixed prices on the configured price lists -> advance the checkpoint (ETag-guarded) -> one summary
log line. A product that fails is an exception and the others go on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from integration.catalog.config import CatalogConfig, load_config
from integration.catalog.mapping import DUPLICATE_SKU, Problem, ProductPlan, build, duplicate_skus, group_prices
from integration.catalog.model import FoCatalogEntry
from integration.catalog.reader import read_entries
from integration.catalog.state import CatalogState, Synced
from integration.catalog.writer import set_product, update_fixed_prices
from integration.clients.d365 import D365Client
from integration.clients.shopify import ShopifyAdmin, ShopifyUserErrors
from integration.exceptions import ExceptionStore
from integration.mappings import MappingStore
from shared.logs import get_logger, log_event
from shared.settings import get_settings
from shared.storage import Storage, get_storage

log = get_logger(__name__)
ENTITY = "catalog_product"
REJECTED = "CATALOG_REJECTED"


@dataclass
class CatalogSummary:
    status: str = "started"  # done | skipped_overlap | failed
    products_read: int = 0
    unchanged: int = 0
    written: int = 0
    created: int = 0
    status_changes: int = 0
    exceptions: int = 0
    skus_registered: int = 0
    price_updates: int = 0
    checkpoint_advanced: bool = False
    shopify_calls: int = 0
    shopify_cost: float = 0.0
    duration_ms: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def fields(self) -> dict[str, Any]:
        return {**self.__dict__, "shopify_cost": round(self.shopify_cost, 1)}


class CatalogSync:
    def __init__(
        self, config: CatalogConfig, storage: Storage, d365: D365Client, shopify: ShopifyAdmin, *, legal_entity: str
    ) -> None:
        self.config = config
        self.storage = storage
        self.d365 = d365
        self.shopify = shopify
        self.legal_entity = legal_entity
        self.state = CatalogState(storage)
        self.exceptions = ExceptionStore(storage)
        self.mappings = MappingStore(storage)

    def run(self, *, full: bool = False, now: datetime | None = None) -> CatalogSummary:
        started = time.monotonic()
        summary = CatalogSummary()
        calls0, cost0 = self.shopify.stats.requests, self.shopify.stats.cost
        owner = self.state.acquire(self.config.lease_seconds)
        if owner is None:
            summary.status = "skipped_overlap"
            log_event(log, "catalog.sync", **summary.fields())
            return summary
        try:
            run_start = now or datetime.now(UTC)
            last, etag = self.state.checkpoint()
            since = None if full or last is None else last - timedelta(minutes=self.config.overlap_minutes)
            entries = read_entries(self.d365, self.legal_entity, self.config, since)
            summary.products_read = len(entries)
            self._sync(entries, run_start, summary)
            summary.checkpoint_advanced = self.state.advance(run_start, etag)
            summary.status = "done"
        except Exception as error:
            summary.status = f"failed: {type(error).__name__}"
            raise
        finally:
            self.state.release(owner)
            summary.shopify_calls = self.shopify.stats.requests - calls0
            summary.shopify_cost = self.shopify.stats.cost - cost0
            summary.duration_ms = int((time.monotonic() - started) * 1000)
            log_event(log, "catalog.sync", **summary.fields())
        return summary

    # -----------------------------------------------------------------------------------------------
    def _sync(self, entries: list[FoCatalogEntry], now: datetime, summary: CatalogSummary) -> None:
        known = self.state.load()
        plans: list[tuple[FoCatalogEntry, ProductPlan]] = []
        for entry in entries:
            number = entry.product.product_number
            result = build(entry, self.config, now, known=number in known)
            if result is None:
                continue
            if isinstance(result, list):
                self._problems(number, result, summary)
                continue
            plans.append((entry, result))
        # A SKU two products would use: neither is sent (the SKU would be ambiguous for orders and inventory).
        duplicates = duplicate_skus([p for _e, p in plans])
        held = {number for numbers in duplicates.values() for number in numbers}
        for sku, numbers in duplicates.items():
            for number in numbers:
                self._problems(
                    number,
                    [
                        Problem(
                            DUPLICATE_SKU,
                            f"SKU {sku} is used by products {', '.join(numbers)}",
                            {"sku": sku, "products": numbers},
                        )
                    ],
                    summary,
                )
        for entry, plan in plans:
            if plan.product_number in held:
                continue
            synced = known.get(plan.product_number) or Synced(plan.product_number)
            try:
                self._send(entry, plan, synced, now, summary)
            except ShopifyUserErrors as error:
                self._problems(
                    plan.product_number, [Problem(REJECTED, str(error), {"errors": error.errors[:10]})], summary
                )

    def _send(
        self, entry: FoCatalogEntry, plan: ProductPlan, synced: Synced, now: datetime, summary: CatalogSummary
    ) -> None:
        unchanged = synced.product_id and synced.content_hash == plan.content_hash
        if unchanged:
            summary.unchanged += 1
        else:
            is_new = not synced.product_id
            product_id, variant_ids = set_product(
                self.shopify, plan, synced.product_id, want_variants=bool(self.config.price_lists)
            )
            summary.written += 1
            summary.created += int(is_new)
            summary.status_changes += int(plan.status_only)
            synced.product_id, synced.content_hash, synced.status = product_id, plan.content_hash, plan.status
            if not plan.status_only:
                new_skus = {s: i for s, i in plan.skus.items() if synced.skus.get(s) != i}
                for sku, item in new_skus.items():
                    self.mappings.set("skus", sku, item)  # order sync: SKU -> F&O item number
                summary.skus_registered += len(new_skus)
                synced.skus = dict(plan.skus)
                if variant_ids:
                    synced.variant_ids = {s: v for s, v in variant_ids.items() if s in plan.skus}
            self.state.save(synced)
            self.exceptions.resolve(ENTITY, plan.product_number, "sent to Shopify")
        if self.config.price_lists and not plan.status_only:
            self._prices(entry, synced, now, summary)

    def _prices(self, entry: FoCatalogEntry, synced: Synced, now: datetime, summary: CatalogSummary) -> None:
        changed = False
        for mapping in self.config.price_lists:
            wanted = group_prices(entry, mapping.customer_group, mapping.currency, now, self.config)
            sent = synced.prices.get(mapping.price_list, {})
            add = {
                synced.variant_ids[sku]: price
                for sku, price in wanted.items()
                if sku in synced.variant_ids and sent.get(sku) != str(price)
            }
            delete = [synced.variant_ids[sku] for sku in sent if sku not in wanted and sku in synced.variant_ids]
            if not add and not delete:
                continue
            update_fixed_prices(self.shopify, mapping.price_list, mapping.currency, add, delete)
            summary.price_updates += len(add) + len(delete)
            synced.prices[mapping.price_list] = {s: str(p) for s, p in wanted.items() if s in synced.variant_ids}
            changed = True
        if changed:
            self.state.save(synced)

    def _problems(self, number: str, problems: list[Problem], summary: CatalogSummary) -> None:
        first = problems[0]
        message = "; ".join(p.message for p in problems)
        values = {"product_number": number, "reasons": [p.reason_code for p in problems], **first.values}
        self.exceptions.open(ENTITY, number, first.reason_code, message, values)
        summary.exceptions += 1
        summary.reasons[first.reason_code] = summary.reasons.get(first.reason_code, 0) + 1


def run_catalog_sync(full: bool = False) -> CatalogSummary:
    settings = get_settings()
    config = load_config(settings.CATALOG_CONFIG_PATH)
    d365 = D365Client.from_settings(settings)
    shopify = ShopifyAdmin.from_settings(settings)
    try:
        sync = CatalogSync(config, get_storage(), d365, shopify, legal_entity=settings.D365_LEGAL_ENTITY)
        return sync.run(full=full)
    finally:
        d365.close()
        shopify.close()
