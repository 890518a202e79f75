"""Order pipeline: orders/s end to end (signed webhook -> intake -> queue ``orders`` -> F&O sales order
-> Shopify tag) through the local host, with F&O emulated at a fixed latency per request and at most
``cap`` F&O requests in flight; against the limit cap / latency / (F&O requests per order).

How the cap holds: the order function is synchronous, so it runs on the worker's thread pool, and
one invocation makes its F&O requests one after another. ``PYTHON_THREADPOOL_THREAD_COUNT=cap``
therefore bounds the F&O requests in flight by ``cap`` (every sync function shares that pool, so
the webhook intake competes for it as it would in Azure). The queue listener is set to
``batchSize=cap`` / ``newBatchThreshold=cap/2`` so messages are always waiting for a free thread.
Every timer that could call F&O is switched off. A counting middleware in front of the F&O
emulator measures the peak and the time-weighted mean of requests in flight, so the cap is
checked, not assumed.

The orders are the public sample ``itakastudio__orders_create__line_item_discount.json`` (three
lines, a line discount, shipping) with unique ids and order numbers, shop currency USD, SKUs the
F&O emulator has, a US address and ONE Shopify customer. A warm-up order (not timed) creates that
customer in F&O, stores the customer link and fills the released-products cache, so every timed
order is "a known customer with cached products".

``python -m bench.orders [--count N] [--seconds S] [--latency-ms L] [--cap C]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

import aiohttp
import httpx

from bench.common import Deadline, Row, save, show
from bench.measure import CpuMeter, calls_delta, flex_projection, function_threads_cpu, host_calls, unit_rows
from sandbox import SAMPLES
from sandbox.emulators.d365.app import create_app as create_d365
from sandbox.emulators.d365.config import D365EmulatorConfig
from sandbox.emulators.faults import FaultConfig
from sandbox.emulators.serve import start_in_thread
from sandbox.emulators.shopify.app import create_app as create_shopify
from sandbox.emulators.shopify.config import ShopifyEmulatorConfig
from sandbox.emulators.shopify.webhooks import build_headers
from sandbox.harness.stack import azurite
from sandbox.host.process import HostProcess, start_host
from shared import tables
from shared.storage import Storage

SECRET = "bench-secret"
SHOP = "bench-shop.myshopify.com"
SAMPLE = SAMPLES / "shopify" / "itakastudio__orders_create__line_item_discount.json"
SKUS = ("IPOD2008GREEN", "SNOWBOARD-GREEN", "SNOWBOARD-GREEN")  # released products seeded in the F&O emulator
CUSTOMER_ID = 880_000_001
FIRST_NUMBER = 200_001
SENDERS = 16  # concurrent webhook senders (Shopify delivers in parallel too)
OFF = "0 0 0 1 1 *"  # a schedule that does not fire during a run
# Shopify Plus GraphQL bucket (reference shopify.md §4.4): the write-back is then not the bottleneck,
# so the F&O limit is what is measured. Standard's 100 points/s is reported as its own bound.
PLUS_BUCKET, PLUS_RESTORE, STANDARD_RESTORE = 20_000.0, 1_000.0, 100.0


class InFlight:
    """ASGI middleware in front of the F&O emulator: peak and time-weighted mean of requests in flight
    (the emulator's injected latency is inside, so a delayed request counts as in flight)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.now = self.peak = 0
        self.area = 0.0
        self.since = self.last = time.perf_counter()

    def reset(self) -> None:
        self._tick()
        self.peak, self.area = self.now, 0.0
        self.since = self.last

    def _tick(self) -> None:
        now = time.perf_counter()
        self.area += self.now * (now - self.last)
        self.last = now

    def mean(self) -> float:
        self._tick()
        return self.area / max(1e-9, self.last - self.since)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_emulator"):
            await self.app(scope, receive, send)
            return
        self._tick()
        self.now += 1
        self.peak = max(self.peak, self.now)
        try:
            await self.app(scope, receive, send)
        finally:
            self._tick()
            self.now -= 1


def order_body(number: int) -> dict[str, Any]:
    """The public sample made ERP-ready: USD, known SKUs, one customer, a mapped shipping method."""
    order = json.loads(SAMPLE.read_text().replace('"HKD"', '"USD"'))
    for key in (
        "id",
        "admin_graphql_api_id",
        "name",
        "number",
        "order_status_url",
        "token",
        "checkout_token",
        "checkout_id",
        "confirmation_number",
    ):
        order.pop(key, None)
    order["order_number"] = number
    for line, sku in zip(order["line_items"], SKUS, strict=True):
        line.pop("id", None)
        line.pop("admin_graphql_api_id", None)
        line["sku"] = sku
    for shipping in order["shipping_lines"]:
        shipping.pop("id", None)
        shipping["title"] = shipping["code"] = "Standard"
    address = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "address1": "1 Market St",
        "city": "San Francisco",
        "province_code": "CA",
        "zip": "94105",
        "country_code": "US",
        "country": "United States",
    }
    order |= {
        "email": "ada.bench@example.com",
        "shipping_address": address,
        "billing_address": address,
        "customer": {
            "id": CUSTOMER_ID,
            "email": "ada.bench@example.com",
            "phone": "+1 415 555 0199",
            "first_name": "Ada",
            "last_name": "Lovelace",
        },
    }
    return order


def _headers(body: bytes, topic: str = "orders/create") -> dict[str, str]:
    return build_headers(body, topic, SECRET, shop_domain=SHOP)


async def _send_all(url: str, bodies: list[bytes], deadline: Deadline, topic: str = "orders/create") -> tuple[int, int]:
    """POST every body as a signed ``topic`` webhook from SENDERS concurrent senders."""
    pending = list(reversed(bodies))
    sent = failures = 0
    connector = aiohttp.TCPConnector(limit=SENDERS, keepalive_timeout=3)  # under uvicorn's 5 s keep-alive
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as session:

        async def sender() -> None:
            nonlocal sent, failures
            while pending and not deadline.passed():
                body = pending.pop()
                async with session.post(url, data=body, headers=_headers(body, topic)) as response:
                    await response.read()
                sent += 1
                failures += response.status != 200

        await asyncio.gather(*(sender() for _ in range(SENDERS)))
    return sent, failures


class Progress:
    """Counts ``order.synced`` / blocked outcomes in the host's output (written after the write-back)."""

    def __init__(self, host: HostProcess) -> None:
        self.host, self.seen, self.synced, self.blocked = host, 0, 0, 0

    def poll(self) -> int:
        lines = self.host.lines[self.seen :]
        self.seen += len(lines)
        for line in lines:
            self.synced += "order.synced" in line
            self.blocked += "order.handled" in line and "status=blocked" in line
        return self.synced


def _wait(progress: Progress, target: int, deadline: Deadline) -> float:
    while progress.poll() < target and not deadline.passed() and progress.blocked == 0:
        time.sleep(0.05)
    return time.perf_counter()


def host_env(storage: str, fo_url: str, shop_url: str, prefix: str, threads: int) -> dict[str, str]:
    """The local host's settings for a pipeline benchmark: the emulators, ``threads`` worker threads
    (the F&O cap) and a queue listener that keeps messages waiting for them."""
    return {
        "AzureWebJobsStorage": storage,
        "SHOPIFY_API_SECRET": SECRET,
        "SHOPIFY_SHOP_DOMAIN": SHOP,
        "SHOPIFY_ADMIN_URL": shop_url,
        "SHOPIFY_ADMIN_TOKEN": "shpat_local_dev",
        "D365_URL": fo_url,
        "D365_LEGAL_ENTITY": "usmf",
        "D365_TOKEN": "local-dev-token",
        "D365_ORDER_NUMBER_PREFIX": prefix,
        "PYTHON_THREADPOOL_THREAD_COUNT": str(threads),
        "AzureFunctionsJobHost__extensions__queues__batchSize": str(threads),
        "AzureFunctionsJobHost__extensions__queues__newBatchThreshold": str(max(1, threads // 2)),
        "AzureFunctionsJobHost__extensions__queues__maxPollingInterval": "00:00:00.500",
    }


def run(
    count: int = 2000,
    seconds: float = 600,
    latency_ms: float = 150.0,
    cap: int = 16,
    host_log: str = "",
    processes: int = 1,
) -> list[Row]:
    """``processes`` > 1 runs the host as that many worker processes (FUNCTIONS_WORKER_PROCESS_COUNT)
    sharing the queues, each with cap / processes threads: the F&O cap stays ``cap`` in total."""
    threads = max(1, cap // processes)
    bench = "orders" if processes == 1 else f"orders x{processes}"
    deadline = Deadline(seconds)
    instance = azurite.start()
    fo_app = InFlight(create_d365(D365EmulatorConfig(faults=FaultConfig(latency_ms=latency_ms))))
    fo = start_in_thread(fo_app, name="bench-d365")
    shop = start_in_thread(
        create_shopify(
            ShopifyEmulatorConfig(
                api_secret=SECRET, shop_domain=SHOP, bucket_max=PLUS_BUCKET, restore_rate=PLUS_RESTORE
            )
        ),
        name="bench-shop",
    )
    host: HostProcess | None = None
    try:
        env = host_env(instance.connection_string, fo.url, shop.url, "BN", threads) | {
            "FUNCTIONS_WORKER_PROCESS_COUNT": str(processes),
            **{
                f"{name}_SCHEDULE": OFF
                for name in ("WEBHOOK_RETENTION", "ORDER_RECONCILE", "FULFILLMENT_SYNC", "INVENTORY_SYNC")
            },
            **{
                f"AzureWebJobs.{name}.Disabled": "true"
                for name in ("order_reconcile_timer", "fulfillment_timer", "inventory_timer", "retention_timer")
            },
        }
        host = start_host(env, log_file=Path(host_log) if host_log else None)
        admin_shop = httpx.Client(base_url=shop.url, timeout=30)
        admin_fo = httpx.Client(base_url=fo.url, timeout=30)
        progress = Progress(host)
        webhook_url = f"{host.url}/api/shopify/webhooks"

        def create_in_shopify(number: int) -> bytes:
            response = admin_shop.post(
                "/_emulator/orders", params={"webhook": "false"}, json={"order": order_body(number)}
            )
            response.raise_for_status()
            return json.dumps(response.json()["order"]).encode()

        # Warm-up (not timed): creates the customer in F&O, the customer link and the product cache.
        warm_fo = admin_fo.get("/_emulator/requests", params={"limit": 0}).json()["http_requests"]
        asyncio.run(_send_all(webhook_url, [create_in_shopify(FIRST_NUMBER - 1)], deadline))
        _wait(progress, 1, Deadline(60))
        if progress.synced < 1:
            raise RuntimeError("the warm-up order did not sync; host output:\n" + "\n".join(host.lines[-40:]))
        warm_requests = admin_fo.get("/_emulator/requests", params={"limit": 0}).json()["http_requests"] - warm_fo

        bodies = [create_in_shopify(FIRST_NUMBER + i) for i in range(count)]  # Shopify has them; not timed
        before = admin_fo.get("/_emulator/requests", params={"limit": 0}).json()
        shop_before = admin_shop.get("/_emulator/requests", params={"last": 0}).json()
        fo_app.reset()
        meter = CpuMeter({"host": host.process.pid, "azurite": instance.process.pid, "bench+emulators": None})
        calls_before = host_calls(host.url) if processes == 1 else None
        threads_before = function_threads_cpu(host.url) if processes == 1 else None
        meter.start()
        started = time.perf_counter()
        sent, failures = asyncio.run(_send_all(webhook_url, bodies, deadline))
        acked = time.perf_counter()
        finished = _wait(progress, 1 + sent, deadline)
        synced = progress.synced - 1
        after = admin_fo.get("/_emulator/requests", params={"limit": 0}).json()
        peak, mean_inflight = fo_app.peak, fo_app.mean()
        cpu = meter.stop()
        threads_cpu = function_threads_cpu(host.url) - threads_before if threads_before is not None else None
        # One host process answers the status route: the storage counts are exact in single mode only.
        calls = calls_delta(calls_before, host_calls(host.url)) if calls_before else {}

        storage = Storage.from_setting("S", {"S": instance.connection_string})
        created = sum(1 for r in storage.table(tables.ORDERS).query_entities("Status eq 'created'", select=["Status"]))
        fo_orders = len(admin_fo.get("/_emulator/state", params={"set": "SalesOrderHeadersV2"}).json()["value"])
        shop_after = admin_shop.get("/_emulator/requests", params={"last": 0}).json()

        fo_requests = after["http_requests"] - before["http_requests"]
        per_order = fo_requests / synced if synced else float("nan")
        elapsed = finished - started
        rate = synced / elapsed if elapsed else 0.0
        limit = cap / (latency_ms / 1000) / per_order if synced else None
        counts = (
            f"{synced}/{count} synced in {elapsed:.1f} s ({sent} sent, {failures} non-200, "
            f"{progress.blocked} blocked); Table orders created={created - 1}, F&O orders={fo_orders - 1}"
        )
        shop_requests = shop_after["total"] - shop_before["total"]
        machine = (os.cpu_count() or 1) * 1000 / (1000 * sum(cpu.values()) / synced) if synced else None
        per_host = processes * 1000 / (1000 * cpu["host"] / synced) if synced and cpu["host"] else None
        binding = min(x for x in (limit, machine, per_host) if x) if synced else None
        rows = [
            Row(
                bench,
                "orders/s end to end",
                rate,
                "/s",
                limit,
                f"F&O: {cap} / {latency_ms / 1000:g} s / {per_order:.2f} req",
                counts,
            ),
            Row(
                bench,
                "orders/s vs the binding limit",
                rate,
                "/s",
                binding,
                "min(F&O, host processes x 1 core, machine)",
                f"F&O {limit or 0:.1f}/s, {processes} host process(es) {per_host or 0:.1f}/s, "
                f"machine {machine or 0:.1f}/s; goal ratio >= 0.8; load avg {os.getloadavg()[0]:.1f}",
            ),
            Row(
                bench,
                "F&O requests per order",
                per_order,
                "req",
                2.0,
                "goal, known customer",
                f"warm-up order (customer create + product cache): {warm_requests} requests",
            ),
            Row(
                bench,
                "F&O requests in flight (peak)",
                float(peak),
                "req",
                float(cap),
                "cap",
                f"time-weighted mean {mean_inflight:.1f} while running",
            ),
            Row(
                bench,
                "webhook acks/s during the run",
                sent / (acked - started) if acked > started else 0.0,
                "/s",
                note=f"all {sent} acked after {acked - started:.1f} s; intake shares the {threads} threads",
            ),
        ]
        requests: dict[str, float] = {**calls, "F&O": fo_requests, "Shopify": shop_requests}
        rows += unit_rows(
            bench,
            "order",
            synced,
            requests,
            cpu,
            processes=processes,
            storage_goal=5.0 if calls else None,
            host_goal_ms=20.0,
            function_threads_s=threads_cpu,
        )
        if synced and cpu["host"]:
            rows.append(flex_projection(bench, 1000 * cpu["host"] / synced, latency_ms / 1000, per_order))
        graphql_cost = (shop_after["total_cost"] - shop_before["total_cost"]) / synced if synced else 0.0
        if graphql_cost:
            rows.append(
                Row(
                    bench,
                    "orders/s vs Shopify Standard write-back",
                    rate,
                    "/s",
                    STANDARD_RESTORE / graphql_cost,
                    "100 points/s / points per order",
                    f"~{graphql_cost:.0f} GraphQL points per order; this run used the Plus bucket "
                    f"({PLUS_RESTORE:g}/s), on Standard the write-back caps the pipeline",
                )
            )
        return rows
    finally:
        if host:
            host.stop()
        fo.stop()
        shop.stop()
        instance.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=2000, help="timed orders")
    parser.add_argument("--seconds", type=float, default=600, help="time budget for the whole run")
    parser.add_argument("--latency-ms", type=float, default=150.0, help="F&O emulator latency per request")
    parser.add_argument("--cap", type=int, default=16, help="F&O requests in flight at most")
    parser.add_argument("--host-log", default="", help="append the local host's output to this file")
    parser.add_argument("--processes", type=int, default=1, help="host worker processes sharing the queues")
    args = parser.parse_args()
    rows = run(args.count, args.seconds, args.latency_ms, args.cap, args.host_log, args.processes)
    show(rows)
    print(f"saved {save(rows, 'orders')}")


if __name__ == "__main__":
    main()
