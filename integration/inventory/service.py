"""The inventory push: F&O on-hand -> Shopify quantities per location, only what changed.

One run: take the lease -> resume or start a checkpoint -> read F&O on-hand of the mapped
warehouses -> compute the quantity per (location, SKU) -> diff with the ledger -> resolve SKUs to
inventory items -> push the changes in batches of up to 250, recording each batch in the ledger
-> stop cleanly at the time budget (the next run resumes) -> one summary log line.

``InventorySync.run(full=True)`` is the on-demand full resync (ops API/CLI): it sends every
quantity again (Shopify-side drift is repaired through the compare-and-swap refresh) and looks
up again the SKUs cached as unknown.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from integration.clients.d365 import D365Client
from integration.clients.shopify import ShopifyAdmin
from integration.inventory.catalog import ItemCatalog
from integration.inventory.config import InventoryConfig
from integration.inventory.ledger import Ledger, Published
from integration.inventory.publish import Publisher, Quantity
from integration.inventory.quantities import Change, batches, diff, targets
from integration.inventory.runs import Checkpoint, Checkpoints, RunLease
from integration.inventory.sources import read_on_hand, resolve_locations
from shared.logs import get_logger, log_event
from shared.storage import Storage

log = get_logger(__name__)
RESUMABLE = frozenset({"running", "cut_off", "failed"})
RESUME_WITHIN = timedelta(hours=6)  # an older unfinished run is not resumed: a fresh run id starts
SAMPLE = 10
FLUSH_SECONDS = 5.0  # ledger + checkpoint write interval while pushing (at most this much is re-sent after a crash)


@dataclass
class Summary:
    run_id: str = ""
    status: str = "started"  # done | cut_off | failed | skipped_overlap
    full: bool = False
    resumed: bool = False
    fo_rows: int = 0
    fo_pages: int = 0
    quantities: int = 0
    unchanged: int = 0
    changed: int = 0
    pushed: int = 0
    batches: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    skipped_sample: list[str] = field(default_factory=list)
    shopify_calls: int = 0
    shopify_cost: float = 0.0
    throttle_wait_s: float = 0.0
    throttled: int = 0
    stale_retries: int = 0
    duration_ms: int = 0
    phase_ms: dict[str, int] = field(default_factory=dict)  # read_fo, ledger, catalog, push
    error: str | None = None

    def lap(self, phase: str, since: float) -> float:
        now = time.monotonic()
        self.phase_ms[phase] = int((now - since) * 1000)
        return now

    def skip(self, reason: str, sku: str, location_id: str, count: int = 1) -> None:
        self.skipped[reason] += count
        if len(self.skipped_sample) < SAMPLE:
            self.skipped_sample.append(f"{reason}:{sku}@{location_id.rsplit('/', 1)[-1]}")

    def fields(self) -> dict[str, Any]:
        values = dict(self.__dict__)
        values["skipped"] = dict(self.skipped)
        values["shopify_cost"] = round(self.shopify_cost, 1)
        values["throttle_wait_s"] = round(self.throttle_wait_s, 2)
        return values


class InventorySync:
    def __init__(
        self,
        config: InventoryConfig,
        storage: Storage,
        d365: D365Client,
        shopify: ShopifyAdmin,
        *,
        legal_entity: str,
    ) -> None:
        self.config = config
        self.storage = storage
        self.d365 = d365
        self.shopify = shopify
        self.legal_entity = legal_entity
        self.name = config.publish_as.value

    def run(self, full: bool = False, max_batches: int | None = None) -> Summary:
        """One run. ``max_batches`` stops after that many batches as if the time budget ran out."""
        started = time.monotonic()
        summary = Summary(full=full)
        calls0, cost0 = self.shopify.stats.requests, self.shopify.stats.cost
        wait0, throttled0, pages0 = (
            self.shopify.stats.throttle_waits,
            self.shopify.stats.throttled,
            self.d365.stats.requests,
        )
        lease = RunLease(self.storage, self.config.lease_seconds)
        if not lease.acquire():
            summary.status = "skipped_overlap"
            log_event(log, "inventory.sync", **summary.fields())
            return summary
        checkpoints = Checkpoints(self.storage)
        checkpoint: Checkpoint | None = None
        try:
            last = checkpoints.last()
            if last is not None and last.status in RESUMABLE and datetime.now(UTC) - last.started_at < RESUME_WITHIN:
                summary.resumed, summary.full = True, full or last.full
                checkpoint = Checkpoint(
                    last.run_id, "running", summary.full, last.started_at, last.batches_done, last.pushed
                )
            else:
                checkpoint = Checkpoint(uuid.uuid4().hex, "running", full, datetime.now(UTC))
            summary.run_id = checkpoint.run_id
            checkpoints.save(checkpoint)
            self._run(summary, checkpoint, checkpoints, lease, started, max_batches)
            checkpoint.status = summary.status
            checkpoints.save(checkpoint)
        except Exception as error:
            summary.status, summary.error = "failed", f"{type(error).__name__}: {error}"[:500]
            if checkpoint is not None:
                checkpoint.status = "failed"  # resumable: the next run keeps the run id
                checkpoints.save(checkpoint)
            raise
        finally:
            lease.release()
            stats = self.shopify.stats
            summary.shopify_calls, summary.shopify_cost = stats.requests - calls0, stats.cost - cost0
            summary.throttle_wait_s, summary.throttled = stats.throttle_waits - wait0, stats.throttled - throttled0
            summary.fo_pages = self.d365.stats.requests - pages0
            summary.duration_ms = int((time.monotonic() - started) * 1000)
            log_event(log, "inventory.sync", **summary.fields())
        return summary

    def _run(
        self,
        summary: Summary,
        checkpoint: Checkpoint,
        checkpoints: Checkpoints,
        lease: RunLease,
        started: float,
        max_batches: int | None,
    ) -> None:
        config, full = self.config, summary.full
        locations = resolve_locations(self.shopify, config)
        mark = time.monotonic()
        rows = list(read_on_hand(self.d365, config, self.legal_entity, on_page=lease.maybe_renew))
        summary.fo_rows = len(rows)
        wanted = {(locations[name], sku): qty for (name, sku), qty in targets(rows, config).items()}
        summary.quantities = len(wanted)
        mark = summary.lap("read_fo", mark)
        lease.maybe_renew()

        ledger = Ledger(self.storage)
        ledger.load(locations.values())
        changes = diff(wanted, ledger.quantities(self.name), full=full)
        summary.unchanged = changes.unchanged
        recheck_s = config.recheck_missing_hours * 3600
        now = time.time()
        refused = ledger.skipped()
        pending: list[Change] = []
        for change in changes.changes:
            earlier = refused.get((change.location_id, change.sku))
            if not full and earlier is not None and now - earlier.at < recheck_s:
                summary.skip(earlier.skipped, change.sku, change.location_id)  # refused for good lately
            else:
                pending.append(change)

        catalog = ItemCatalog(self.storage)
        catalog.load()
        entries = catalog.resolve({c.sku for c in pending}, self.shopify, recheck_after_s=recheck_s, force=full)
        quantities: list[Quantity] = []
        for change in pending:
            entry = entries.get(change.sku)
            if entry is None or entry.item_id is None:
                reason = "ambiguous_sku" if entry is not None and entry.ambiguous else "unknown_sku"
                summary.skip(reason, change.sku, change.location_id)
                continue
            quantities.append(Quantity(change, entry.item_id, change.previous))
        summary.changed = len(quantities)  # differs from the ledger and maps to a Shopify item
        mark = summary.lap("ledger_and_catalog", mark)
        lease.maybe_renew()

        publisher = Publisher(
            self.shopify,
            name=self.name,
            reason=config.reason,
            max_conflict_retries=config.max_conflict_retries,
        )
        uri = config.reference_document_uri.format(run_id=checkpoint.run_id) or None
        done = 0
        summary.status = "done"
        flushed_at = time.monotonic()
        spent = {"publish": 0.0, "flush_wait": 0.0}
        # Ledger/checkpoint writes run on one background thread, overlapping the Shopify calls and
        # bucket waits; each flush first waits for the previous one (order, and errors surface).
        writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="inventory-ledger")
        previous: list[Future[None]] = []

        def flush(wait: bool = False) -> None:
            begin = time.monotonic()
            for job in previous:
                job.result()
            previous.clear()
            ledger_ops, catalog_ops = ledger.prepare(), catalog.store.prepare()
            snapshot = replace(checkpoint)

            def write() -> None:
                # The ledger first: a checkpoint must never claim batches the ledger does not hold.
                ledger.write(ledger_ops)
                catalog.store.write(catalog_ops)
                checkpoints.save(snapshot)

            previous.append(writer.submit(write))
            if wait:
                previous.pop().result()
            spent["flush_wait"] += time.monotonic() - begin

        try:
            for batch in self._batches(quantities):
                if (
                    max_batches is not None and done >= max_batches
                ) or time.monotonic() - started > config.max_run_seconds:
                    summary.status = "cut_off"
                    break
                begin = time.monotonic()
                outcome = publisher.publish(batch, checkpoint.run_id, uri)
                spent["publish"] += time.monotonic() - begin
                records = [
                    Published(q.change.location_id, q.change.sku, q.item_id, q.change.quantity, self.name)
                    for q in outcome.applied
                ]
                for q, reason in outcome.skipped:
                    summary.skip(reason, q.change.sku, q.change.location_id)
                    if reason == "unknown_item":
                        catalog.forget([q.change.sku])
                    elif reason in ("not_stocked", "not_mutable"):
                        records.append(
                            Published(q.change.location_id, q.change.sku, q.item_id, None, self.name, skipped=reason)
                        )
                ledger.record(records)
                done += 1
                summary.batches += 1
                summary.pushed += len(outcome.applied)
                summary.stale_retries += outcome.stale_retries
                checkpoint.batches_done += 1
                checkpoint.pushed += len(outcome.applied)
                if time.monotonic() - flushed_at > FLUSH_SECONDS:
                    flush()
                    flushed_at = time.monotonic()
                lease.maybe_renew()
        finally:
            try:
                flush(wait=True)  # also when a batch failed: what was applied before it is recorded
            finally:
                writer.shutdown(wait=True)
            summary.phase_ms.update({f"push_{k}": int(v * 1000) for k, v in spent.items()})
        summary.lap("push", mark)

    def _batches(self, quantities: list[Quantity]) -> list[list[Quantity]]:
        return batches(quantities, self.config.batch_size)
