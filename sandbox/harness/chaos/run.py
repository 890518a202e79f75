"""One chaos run, start to finish: documents -> hostile deliveries with crashes -> drain -> reconcile."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from sandbox.harness.chaos import reconcile as rc
from sandbox.harness.chaos.chaos_stack import SECRET, SHOP, Bucket, ChaosStack, Faults
from sandbox.harness.chaos.delivery import Attempt, Sender, plan
from sandbox.harness.chaos.documents import Documents, build
from sandbox.harness.chaos.drain import DrainResult, Invoicer, drain, fo_rows, queue_counts
from sandbox.harness.chaos.inventory import reconcile_inventory
from shared.storage import Storage


@dataclass
class ChaosConfig:
    orders: int = 40
    refunds: int = 10
    restarts: int = 1
    duplicate_share: float = 0.3
    seed: int = 11
    faults: Faults | None = field(default_factory=Faults)
    bucket: Bucket = field(default_factory=Bucket)
    lease_s: float = 15.0  # how long a message held by a killed host stays invisible
    concurrency: int = 6  # concurrent webhook senders
    refund_retry_s: tuple[float, float] = (1.0, 5.0)  # how soon a refund waiting for its invoice looks again
    reduce_share: float = 0.0  # share of the refunds made before any invoice (they reduce the open order)
    threads: int = 16  # the host's PYTHON_THREADPOOL_THREAD_COUNT
    deadline_s: float = 170.0  # the whole run
    log_dir: Path | None = None


@dataclass
class ChaosResult:
    report: rc.Report
    docs: Documents
    attempts: list[Attempt]
    drain: DrainResult
    timings: dict[str, float] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    host_output: str = ""

    @property
    def ok(self) -> bool:
        return not self.report.failures


def run_chaos(config: ChaosConfig, storage_connection: str, console: Console | None = None) -> ChaosResult:
    console = console or Console(width=140)
    started = time.monotonic()
    timings: dict[str, float] = {}

    def lap(name: str, since: float) -> float:
        now = time.monotonic()
        timings[name] = round(now - since, 1)
        return now

    storage = Storage.from_setting("S", {"S": storage_connection})
    stack = ChaosStack(
        storage_connection,
        base_id=int(time.time()) * 10**5,
        lease_s=config.lease_s,
        log_dir=config.log_dir,
        refund_retry_s=config.refund_retry_s,
        threads=config.threads,
        refund_action="reduce_order" if config.reduce_share > 0 else "wait",
    )
    try:
        stack.start_emulators(config.bucket)
        assert stack.fo is not None and stack.shop is not None
        with httpx.Client(base_url=stack.shop.url, timeout=30) as shop:
            docs = build(
                shop, config.orders, config.refunds, stack.base_id, config.seed, reduce_share=config.reduce_share
            )
        mark = lap("build documents", started)
        stack.faults(config.faults)
        _clear_main_queues(storage, console)
        stack.start_host()
        mark = lap("start host", mark)
        console.print(
            f"chaos: {len(docs.orders)} orders ({len(docs.not_erp_ready)} not ERP-ready), "
            f"{len(docs.updates)} updates, {len(docs.refunds)} refunds; host on port {stack.port}"
        )

        credit_orders = {str(r["order_id"]) for r in docs.refunds} - docs.reduced
        invoicer = Invoicer(stack.fo.url, credit_orders).start()
        planned = plan(docs, config.seed, config.duplicate_share)
        # With orders that reduce (REFUND_UNINVOICED_ACTION=reduce_order), a refund meant for a credit
        # note must not see its order before the invoice, or it would reduce too: those are sent once
        # the harness has invoiced their orders. The reducing refunds go out with everything else.
        order_of = {str(r["id"]): str(r["order_id"]) for r in docs.refunds}
        later = [
            p
            for p in planned
            if docs.reduced and p.delivery.topic == "refunds/create" and order_of[p.resource_id] in credit_orders
        ]
        deferred = {id(p) for p in later}
        planned = [p for p in planned if id(p) not in deferred]
        # The first half of the crashes hit while webhooks arrive, the rest while the queues are worked off.
        during_delivery = (config.restarts + 1) // 2
        kills = [len(planned) * (k + 1) // (during_delivery + 1) for k in range(during_delivery)]

        def progress(sent: int) -> None:
            if kills and sent >= kills[0]:
                kills.pop(0)
                console.print(
                    f"chaos: {sent}/{len(planned)} deliveries sent: killing the host "
                    f"(crash {stack.restarts + 1}/{config.restarts})"
                )
                stack.crash_and_restart()

        budget = max(30.0, config.deadline_s - (time.monotonic() - started) - 60)
        sender = Sender(stack.webhook_url, SECRET, SHOP, concurrency=config.concurrency, budget_s=budget)
        attempts = sender.deliver_all(planned, progress)
        for _ in range(config.restarts - stack.restarts):
            in_fo = _wait_for_progress(stack, len(docs.orders) - len(docs.not_erp_ready), started, config)
            console.print(
                f"chaos: {in_fo} sales orders in F&O: killing the host (crash {stack.restarts + 1}/{config.restarts})"
            )
            stack.crash_and_restart()
        if later:
            invoiced = _wait_for_invoices(invoicer, credit_orders, started, config)
            console.print(f"chaos: {invoiced}/{len(credit_orders)} orders to credit invoiced: sending their refunds")
            sender.budget_s = max(30.0, config.deadline_s - (time.monotonic() - started) - 60)
            attempts += sender.deliver_all(later)
        mark = lap("deliver webhooks", mark)

        remaining = config.deadline_s - (time.monotonic() - started) - 15
        result = drain(
            storage, stack.current, max(10.0, remaining), quiet_s=3.0, settled=lambda: rc.settled(docs, storage)
        )
        invoicer.stop()
        mark = lap("drain", mark)

        report = rc.Report()
        with httpx.Client(base_url=stack.fo.url, timeout=60) as fo:
            rc.reconcile_intake(report, attempts, storage)
            report.add(
                "intake",
                "non-200 answers / connection errors",
                sum(n for k, n in sender.stats.statuses.items() if k != "200"),
                note=", ".join(f"{k}: {n}" for k, n in sorted(sender.stats.statuses.items()) if k != "200"),
            )
            ended_well = rc.reconcile_orders(report, docs, fo, storage)
            ended_well |= rc.reconcile_refunds(report, docs, fo, storage)
            rc.reconcile_messages(report, docs, storage, ended_well)
            report.must_be("run", "drained before the deadline", int(result.drained), 1, result.reason)
            report.must_be("run", "host crashes survived", stack.restarts, config.restarts)
            report.add(
                "run", "invoices posted by the harness", len(invoicer.invoiced), note="; ".join(invoicer.errors[:3])
            )
            facts = _facts(fo, stack)
        for name, value in facts.items():
            report.add("faults", name, int(value))
        reconcile_inventory(report, stack, storage)
        lap("reconcile", mark)
        timings["total"] = round(time.monotonic() - started, 1)
        return ChaosResult(report, docs, attempts, result, timings, facts, stack.output())
    finally:
        stack.stop()


def _wait_for_progress(stack: ChaosStack, orders: int, started: float, config: ChaosConfig) -> int:
    """Wait until about half of the orders are in F&O (at most 120 s or a quarter of the budget left)."""
    assert stack.fo is not None
    limit = time.monotonic() + min(120.0, max(0.0, (config.deadline_s - (time.monotonic() - started)) / 4))
    with httpx.Client(base_url=stack.fo.url, timeout=30) as fo:
        count = 0
        while time.monotonic() < limit:
            count = len(fo_rows(fo, "SalesOrderHeadersV2"))
            if count * 2 >= orders:
                break
            time.sleep(1)
    return count


def _wait_for_invoices(invoicer: Invoicer, orders: set[str], started: float, config: ChaosConfig) -> int:
    """Wait until the orders to credit are invoiced (at most 90 s or a quarter of the budget left; an
    order that never reaches F&O is an exception the reconciliation explains)."""
    limit = time.monotonic() + min(90.0, max(0.0, (config.deadline_s - (time.monotonic() - started)) / 4))
    while time.monotonic() < limit and len(invoicer.orders_invoiced()) < len(orders):
        time.sleep(1)
    return len(invoicer.orders_invoiced())


def _clear_main_queues(storage: Storage, console: Console) -> None:
    """The run owns the app's queues: messages other runs or tests left there would keep it from
    draining (a refund of an order this F&O never saw waits for days), so they are cleared first."""
    for name, count in queue_counts(storage).items():
        if count:
            storage.queue(name).clear_messages()
            console.print(f"chaos: cleared {count} message(s) left on queue {name!r} by an earlier run")


def _facts(fo: httpx.Client, stack: ChaosStack) -> dict[str, float]:
    """What the emulators injected and throttled (so a run proves the faults really happened)."""
    assert stack.shop is not None
    stats = fo.get("/_emulator/faults").json().get("stats", {})
    fo_requests = fo.get("/_emulator/requests", params={"limit": 0}).json()
    shop_log = httpx.get(f"{stack.shop.url}/_emulator/requests", params={"last": 0}, timeout=30).json()
    return {
        "F&O HTTP requests": fo_requests.get("http_requests", 0),
        "F&O 429 injected": stats.get("status_429", 0),
        "F&O 500/503 injected": stats.get("status_500", 0) + stats.get("status_503", 0),
        "F&O applied, response lost": stats.get("lost_responses", 0),
        "F&O requests delayed (latency, spikes)": stats.get("delayed", 0),
        "Shopify requests throttled": shop_log.get("throttled", 0),
    }
