"""The catalog sync: F&O product master -> Shopify products and price lists.

One run: take the lease -> finish a bulk job a crashed run left -> read the checkpoint -> read
F&O (reader.py) -> map every product (mapping.py) -> open an exception for each product F&O
cannot describe completely (not sent) -> send every product whose content hash changed: one
``productSet`` each (paced by the cost bucket), or one bulk mutation when there are at least
``bulk_threshold`` of them (bulk.py) -> register the SKU -> item number mappings of what Shopify
accepted (order sync validates new SKUs at once; the inventory push finds the new inventory items
by SKU on its next run) -> update fixed prices on the configured price lists -> advance the
checkpoint (ETag-guarded) -> one summary log line (``catalog.sync``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from integration.cases import ExceptionStore
from integration.catalog import translations
from integration.catalog.bulk import TERMINAL, BulkJob, LineOutcome
from integration.catalog.config import CatalogConfig
from integration.catalog.mapping import DUPLICATE_SKU, Problem, ProductPlan, build, duplicate_skus
from integration.catalog.model import FoCatalogEntry
from integration.catalog.prices import sync_price_list
from integration.catalog.reader import read_entries
from integration.catalog.state import CatalogState, Synced
from integration.catalog.writer import set_product
from integration.clients.d365 import D365Client
from integration.clients.shopify import ShopifyAdmin, ShopifyUserErrors
from integration.sku_registry import SkuEntry, SkuRegistry
from shared.logs import get_logger, log_event
from shared.storage import Storage

log = get_logger(__name__)
ENTITY = "catalog_product"
REJECTED = "CATALOG_REJECTED"
PRICES_REJECTED = "CATALOG_PRICES_REJECTED"
TRANSLATION_REJECTED = "CATALOG_TRANSLATION_REJECTED"


@dataclass
class CatalogSummary:
    status: str = "started"  # done | skipped_overlap | bulk_running | failed: <error>
    products_read: int = 0
    unchanged: int = 0
    written: int = 0
    created: int = 0
    status_changes: int = 0
    exceptions: int = 0
    skus_registered: int = 0
    price_updates: int = 0
    translations: int = 0
    bulk_lines: int = 0
    bulk_resumed: bool = False
    checkpoint_advanced: bool = False
    shopify_calls: int = 0
    shopify_cost: float = 0.0
    duration_ms: int = 0
    read_ms: int = 0  # the F&O read
    write_ms: int = 0  # sending changed products (productSet calls or the bulk operation) and recording them
    reasons: dict[str, int] = field(default_factory=dict)

    def fields(self) -> dict[str, Any]:
        return {**self.__dict__, "shopify_cost": round(self.shopify_cost, 1)}


class CatalogSync:
    def __init__(
        self,
        config: CatalogConfig,
        storage: Storage,
        d365: D365Client,
        shopify: ShopifyAdmin,
        *,
        legal_entity: str,
        files: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.storage = storage
        self.d365 = d365
        self.shopify = shopify
        self.legal_entity = legal_entity
        self.state = CatalogState(storage)
        self.exceptions = ExceptionStore(storage)
        self.registry = SkuRegistry(storage)
        self._open: set[str] = set()  # product numbers with an open exception (resolved when sent)
        self._deferred: list[Synced] | None = None  # state rows written together (bulk results)
        self._deferred_skus: dict[str, SkuEntry] = {}  # and their SKU registrations
        self.bulk = BulkJob(
            storage,
            shopify,
            files=files,
            sleep=sleep,
            poll_seconds=config.bulk_poll_seconds,
            max_wait_seconds=config.bulk_max_wait_seconds,
        )

    def run(self, *, full: bool = False, now: datetime | None = None) -> CatalogSummary:
        started = time.monotonic()
        summary = CatalogSummary()
        calls0, cost0 = self.shopify.stats.requests, self.shopify.stats.cost
        lease = self.state.lease(self.config.lease_seconds)
        if not lease.acquire():
            summary.status = "skipped_overlap"
            log_event(log, "catalog.sync", **summary.fields())
            return summary
        try:
            run_start = now or datetime.now(UTC)
            known = self.state.load()
            self._open = {r.entity_id for r in self.exceptions.list(entity=ENTITY, limit=1_000_000)}
            pending = self.bulk.pending()
            if pending is not None:
                summary.bulk_resumed = True
                if not self._finish_bulk(pending, known, summary):
                    summary.status = "bulk_running"  # the next run goes on waiting for it
                    return summary
            last, etag = self.state.checkpoint()
            since = None if full or last is None else last - timedelta(minutes=self.config.overlap_minutes)
            read_started = time.monotonic()
            entries = read_entries(self.d365, self.legal_entity, self.config, since)
            summary.read_ms = int((time.monotonic() - read_started) * 1000)
            summary.products_read = len(entries)
            if self._sync(entries, known, run_start, summary):
                summary.checkpoint_advanced = self.state.advance(run_start, etag)
                summary.status = "done"
            else:
                summary.status = "bulk_running"
        except Exception as error:
            summary.status = f"failed: {type(error).__name__}"
            raise
        finally:
            lease.release()
            summary.shopify_calls = self.shopify.stats.requests - calls0
            summary.shopify_cost = self.shopify.stats.cost - cost0
            summary.duration_ms = int((time.monotonic() - started) * 1000)
            log_event(log, "catalog.sync", **summary.fields())
        return summary

    # -----------------------------------------------------------------------------------------------
    def _sync(
        self, entries: list[FoCatalogEntry], known: dict[str, Synced], now: datetime, summary: CatalogSummary
    ) -> bool:
        """Map and send; False when a bulk operation is still running (the next run finishes it)."""
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
            problem = Problem(DUPLICATE_SKU, f"SKU {sku} is used by products {', '.join(numbers)}", {"sku": sku})
            for number in numbers:
                self._problems(number, [problem], summary)
        plans = [(e, p) for e, p in plans if p.product_number not in held]
        changed = []
        unregistered: list[Synced] = []  # sent by an earlier version, before the SKU registry existed
        for entry, plan in plans:
            synced = known.setdefault(plan.product_number, Synced(plan.product_number))
            if synced.product_id and synced.content_hash == plan.content_hash:
                summary.unchanged += 1
                if not synced.registered and not plan.status_only:
                    unregistered.append(synced)
            else:
                changed.append((entry, plan, synced))
        self._register_earlier(unregistered, {p.product_number: p for _e, p in plans}, summary)
        write_started = time.monotonic()
        if len(changed) >= self.config.bulk_threshold:
            row = self.bulk.submit([(plan, synced.product_id) for _e, plan, synced in changed])
            summary.bulk_lines = len(changed)
            if not self._finish_bulk(row, known, summary):
                return False
        else:
            for _entry, plan, synced in changed:
                try:
                    product_id, variant_ids = set_product(
                        self.shopify, plan, synced.product_id, want_variants=bool(self.config.price_lists)
                    )
                except ShopifyUserErrors as error:
                    self._problems(
                        plan.product_number, [Problem(REJECTED, str(error), {"errors": error.errors[:10]})], summary
                    )
                    continue
                self._accepted(
                    synced,
                    plan.content_hash,
                    plan.status,
                    plan.skus,
                    plan.status_only,
                    product_id,
                    variant_ids,
                    summary,
                    plan.dimensions,
                )
        summary.write_ms = int((time.monotonic() - write_started) * 1000)
        if self.config.translate:
            self._translate(plans, known, summary)
        if self.config.price_lists:
            for entry, plan in plans:
                synced = known[plan.product_number]
                if synced.product_id and not plan.status_only and synced.content_hash == plan.content_hash:
                    self._prices(entry, synced, now, summary)
        return True

    def _register_earlier(self, rows: list[Synced], plans: dict[str, ProductPlan], summary: CatalogSummary) -> None:
        """Register the SKUs of unchanged products synced before the registry existed (no Shopify call)."""
        if not rows:
            return
        entries = {
            sku: SkuEntry.of(item, plans[s.product_number].dimensions.get(sku, {}))
            for s in rows
            for sku, item in s.skus.items()
        }
        self.registry.put_many(entries)
        for synced in rows:
            synced.registered = True
        self.state.save_many(rows)
        summary.skus_registered += len(entries)

    def _finish_bulk(self, row: dict[str, Any], known: dict[str, Synced], summary: CatalogSummary) -> bool:
        op = self.bulk.wait(row)
        if op is not None and op["status"] not in TERMINAL:
            return False  # still running at the time limit
        self._deferred, self._deferred_skus = [], {}
        try:
            for outcome in self.bulk.outcomes(row, op) if op else []:
                self._bulk_outcome(outcome, known, summary)
            if self._deferred_skus:  # mappings before state: a crash in between only re-sends
                self.registry.put_many(self._deferred_skus)
            self.state.save_many(self._deferred)
        finally:
            self._deferred, self._deferred_skus = None, {}
        self.bulk.close(row)  # lines that did not run are re-sent by a later run (their hash was not stored)
        return True

    def _bulk_outcome(self, outcome: LineOutcome, known: dict[str, Synced], summary: CatalogSummary) -> None:
        if outcome.errors:
            messages = "; ".join(str(e.get("message")) for e in outcome.errors)
            self._problems(
                outcome.product_number, [Problem(REJECTED, messages, {"errors": outcome.errors[:10]})], summary
            )
            return
        synced = known.setdefault(outcome.product_number, Synced(outcome.product_number))
        self._accepted(
            synced,
            outcome.content_hash,
            outcome.status,
            outcome.skus,
            outcome.status_only,
            outcome.product_id,
            outcome.variant_ids or {},
            summary,
            outcome.dimensions or {},
        )

    def _accepted(
        self,
        synced: Synced,
        content_hash: str,
        status: str,
        skus: dict[str, str],
        status_only: bool,
        product_id: str,
        variant_ids: dict[str, str],
        summary: CatalogSummary,
        dimensions: dict[str, dict[str, str]],
    ) -> None:
        summary.written += 1
        summary.created += int(not synced.product_id)
        summary.status_changes += int(status_only)
        synced.product_id, synced.content_hash, synced.status = product_id, content_hash, status
        if not status_only:
            new_skus = {
                s: SkuEntry.of(i, dimensions.get(s, {}))
                for s, i in skus.items()
                if synced.skus.get(s) != i or not synced.registered
            }
            if new_skus and self._deferred is not None:
                self._deferred_skus.update(new_skus)
            elif new_skus:
                self.registry.put_many(new_skus)  # order sync: SKU -> F&O item number and product dimensions
            summary.skus_registered += len(new_skus)
            synced.skus = dict(skus)
            synced.registered = True
            if variant_ids:
                synced.variant_ids = {s: v for s, v in variant_ids.items() if s in skus}
        if self._deferred is not None:
            self._deferred.append(synced)
        else:
            self.state.save(synced)
        if synced.product_number in self._open:
            self.exceptions.resolve(ENTITY, synced.product_number, "sent to Shopify")
            self._open.discard(synced.product_number)

    def _prices(self, entry: FoCatalogEntry, synced: Synced, now: datetime, summary: CatalogSummary) -> None:
        changed = 0
        for mapping in self.config.price_lists:
            try:
                changed += sync_price_list(self.shopify, mapping, entry, synced, now, self.config)
            except ShopifyUserErrors as error:
                problem = Problem(PRICES_REJECTED, str(error), {"price_list": mapping.price_list})
                self._problems(synced.product_number, [problem], summary)
                return  # nothing of this list was applied: the next run sends it again
        summary.price_updates += changed
        if changed:
            self.state.save(synced)

    def _translate(
        self, plans: list[tuple[FoCatalogEntry, ProductPlan]], known: dict[str, Synced], summary: CatalogSummary
    ) -> None:
        """Register translated titles whose source or translations changed (translations.py)."""
        items = [(e, p, known[p.product_number]) for e, p in plans]
        wanted = translations.to_send(self.shopify, self.config, items)
        failed = translations.send(self.shopify, wanted)
        for item in wanted:
            synced = known[item.product_number]
            if item.product_number in failed:
                problem = Problem(TRANSLATION_REJECTED, failed[item.product_number], {"locales": sorted(item.titles)})
                self._problems(item.product_number, [problem], summary)
                continue
            synced.translations_hash = item.digest
            summary.translations += len(item.titles)
            self.state.save(synced)
            if item.product_number in self._open:
                self.exceptions.resolve(ENTITY, item.product_number, "translations sent to Shopify")
                self._open.discard(item.product_number)

    def _problems(self, number: str, problems: list[Problem], summary: CatalogSummary) -> None:
        first = problems[0]
        message = "; ".join(p.message for p in problems)
        values = {"product_number": number, "reasons": [p.reason_code for p in problems], **first.values}
        self.exceptions.open(ENTITY, number, first.reason_code, message, values)
        self._open.add(number)
        summary.exceptions += 1
        summary.reasons[first.reason_code] = summary.reasons.get(first.reason_code, 0) + 1
