"""Refund pipeline: refunds/s end to end (signed ``refunds/create`` webhook -> intake -> queue ``refunds``
-> F&O credit note (return order) -> Shopify tag + metafield) through the local host, with F&O emulated
at a fixed latency per request and at most ``cap`` F&O requests in flight (the host's thread pool, as in
``bench/orders.py``); requests and CPU per refund per process, against the limits that bind.

Setup (not timed): ``count`` orders of one known customer (the orders benchmark's sample order) created
in the Shopify emulator and synced to F&O through the same host by their ``orders/create`` webhooks, each
sales order then invoiced through the F&O emulator's operator endpoint, and one refund per order (one
unit of its first line, restocked) created in the Shopify emulator without its webhook.

Timed: the ``count`` signed ``refunds/create`` webhooks from 16 concurrent senders, until the host has
logged ``refund.done`` for each (or the time budget ends). Every timer is off, so the F&O, Shopify and
storage counts are the refunds' own.

``python -m bench.refunds [--count N] [--seconds S] [--latency-ms L] [--cap C]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

from bench.common import Deadline, Row, save, show
from bench.measure import CpuMeter, calls_delta, function_threads_cpu, host_calls, unit_rows
from bench.orders import (
    OFF,
    PLUS_BUCKET,
    PLUS_RESTORE,
    SECRET,
    SHOP,
    InFlight,
    Progress,
    _send_all,
    _wait,
    host_env,
    order_body,
)
from sandbox.emulators.d365.app import create_app as create_d365
from sandbox.emulators.d365.config import D365EmulatorConfig
from sandbox.emulators.faults import FaultConfig
from sandbox.emulators.serve import start_in_thread
from sandbox.emulators.shopify.app import create_app as create_shopify
from sandbox.emulators.shopify.config import ShopifyEmulatorConfig
from sandbox.harness.stack import azurite
from sandbox.host.process import HostProcess, start_host

PREFIX = "BR"  # D365_ORDER_NUMBER_PREFIX: sales order = PREFIX + Shopify order number
FIRST_NUMBER = 300_001
TIMERS = "WEBHOOK_RETENTION ORDER_RECONCILE FULFILLMENT_SYNC INVENTORY_SYNC CATALOG_SYNC PAYMENTS_SYNC FREIGHT_INVOICE"


class Refunds:
    """Counts ``refund.done`` outcomes in the host's output (logged after the write-back)."""

    def __init__(self, host: HostProcess) -> None:
        self.host, self.seen, self.done, self.credited = host, 0, 0, 0
        self.function_cpu_ms: list[float] = []  # the refund function's own thread CPU (refund.handled)

    def poll(self) -> int:
        lines = self.host.lines[self.seen :]
        self.seen += len(lines)
        for line in lines:
            if "refund.done" in line:
                self.done += 1
                self.credited += "status=credited" in line
            elif "refund.handled" in line and "cpu_ms=" in line:
                self.function_cpu_ms.append(float(line.split("cpu_ms=", 1)[1].split()[0].strip(",\"'")))
        return self.done


def _setup(host: HostProcess, shop: httpx.Client, fo: httpx.Client, count: int, deadline: Deadline) -> list[bytes]:
    """``count`` orders synced and invoiced, and a refund of each in Shopify: the refund webhook bodies."""
    orders = []
    for number in range(FIRST_NUMBER, FIRST_NUMBER + count):
        response = shop.post("/_emulator/orders", params={"webhook": "false"}, json={"order": order_body(number)})
        response.raise_for_status()
        orders.append(response.json()["order"])
    progress = Progress(host)
    asyncio.run(_send_all(f"{host.url}/api/shopify/webhooks", [json.dumps(o).encode() for o in orders], deadline))
    _wait(progress, count, deadline)
    if progress.synced < count:
        raise RuntimeError(
            f"only {progress.synced}/{count} orders synced; host output:\n" + "\n".join(host.lines[-40:])
        )
    bodies = []
    for order in orders:
        fo.post(f"/_emulator/sales-orders/{PREFIX}{order['order_number']}/invoice", json={}).raise_for_status()
        line = order["line_items"][0]
        refund = shop.post(
            f"/_emulator/orders/{order['id']}/refunds",
            params={"webhook": "false"},
            json={"refund_line_items": [{"line_item_id": line["id"], "quantity": 1, "restock_type": "return"}]},
        )
        refund.raise_for_status()
        bodies.append(json.dumps(refund.json()["refund"]).encode())
    return bodies


def _wait_done(refunds: Refunds, target: int, deadline: Deadline) -> float:
    while refunds.poll() < target and not deadline.passed():
        time.sleep(0.05)
    return time.perf_counter()


def run(
    count: int = 200, seconds: float = 600, latency_ms: float = 150.0, cap: int = 16, host_log: str = ""
) -> list[Row]:
    deadline = Deadline(seconds)
    with ExitStack() as stack:
        instance = azurite.start()
        stack.callback(instance.stop)
        fo_app = InFlight(create_d365(D365EmulatorConfig(faults=FaultConfig(latency_ms=latency_ms))))
        fo = start_in_thread(fo_app, name="bench-d365")
        stack.callback(fo.stop)
        # The Plus cost bucket, as in bench.orders: the setup's order write-backs must not leave the
        # timed refunds' write-backs throttled (each refund's mutation is a few points).
        shop_config = ShopifyEmulatorConfig(
            api_secret=SECRET, shop_domain=SHOP, bucket_max=PLUS_BUCKET, restore_rate=PLUS_RESTORE
        )
        shop = start_in_thread(create_shopify(shop_config), name="bench-shop")
        stack.callback(shop.stop)
        env = host_env(instance.connection_string, fo.url, shop.url, PREFIX, cap)
        env |= {f"{name}_SCHEDULE": OFF for name in TIMERS.split()}
        host = start_host(env, log_file=Path(host_log) if host_log else None)
        stack.callback(host.stop)
        admin_shop = stack.enter_context(httpx.Client(base_url=shop.url, timeout=30))
        admin_fo = stack.enter_context(httpx.Client(base_url=fo.url, timeout=30))
        bodies = _setup(host, admin_shop, admin_fo, count, deadline)

        refunds = Refunds(host)
        refunds.poll()  # nothing logged before the timed part counts
        before = admin_fo.get("/_emulator/requests", params={"limit": 0}).json()["http_requests"]
        shop_before = admin_shop.get("/_emulator/requests", params={"last": 0}).json()
        fo_app.reset()
        meter = CpuMeter({"host": host.process.pid, "azurite": instance.process.pid, "bench+emulators": None})
        calls_before = host_calls(host.url)
        threads_before = function_threads_cpu(host.url)
        meter.start()
        started = time.perf_counter()
        sent, failures = asyncio.run(_send_all(f"{host.url}/api/shopify/webhooks", bodies, deadline, "refunds/create"))
        finished = _wait_done(refunds, sent, deadline)
        cpu = meter.stop()
        calls = calls_delta(calls_before, host_calls(host.url))
        threads_cpu = function_threads_cpu(host.url) - threads_before
        fo_requests = admin_fo.get("/_emulator/requests", params={"limit": 0}).json()["http_requests"] - before
        shop_requests = admin_shop.get("/_emulator/requests", params={"last": 0}).json()["total"] - shop_before["total"]
        peak = fo_app.peak

        done, credited = refunds.done, refunds.credited
        elapsed = finished - started
        rate = done / elapsed if elapsed and done else 0.0
        per_refund = fo_requests / done if done else float("nan")
        fo_limit = cap / (latency_ms / 1000) / per_refund if done and per_refund else None
        host_limit = 1000 / (1000 * cpu["host"] / done) if done and cpu["host"] else None
        machine = (os.cpu_count() or 1) * 1000 / (1000 * sum(cpu.values()) / done) if done else None
        binding = min(x for x in (fo_limit, host_limit, machine) if x) if done else None
        counts = f"{credited}/{count} credited, {done} handled in {elapsed:.1f} s ({sent} sent, {failures} non-200)"
        rows = [
            Row(
                "refunds",
                "refunds/s vs the binding limit",
                rate,
                "/s",
                binding,
                "min(F&O, host process x 1 core, machine)",
                f"F&O {fo_limit or 0:.1f}/s ({cap} in flight / {latency_ms / 1000:g} s / {per_refund:.2f} req), "
                f"host {host_limit or 0:.1f}/s, machine {machine or 0:.1f}/s; {counts}; "
                f"load avg {os.getloadavg()[0]:.1f}",
            ),
            Row("refunds", "F&O requests per refund", per_refund, "req", 2.0, "goal", "from the emulator's log"),
            Row(
                "refunds",
                "Shopify requests per refund",
                shop_requests / done if done else float("nan"),
                "req",
                1.0,
                "goal (one write)",
                "tags + metafield in one mutation; no reads when F&O lines carry the Shopify line ids; "
                "a throttled retry would count (Plus bucket here)",
            ),
            Row("refunds", "F&O requests in flight (peak)", float(peak), "req", float(cap), "cap"),
        ]
        own = refunds.function_cpu_ms
        rows.append(
            Row(
                "refunds",
                "refund function's own CPU per refund",
                sum(own) / len(own) if own else float("nan"),
                "ms",
                note=f"thread CPU of RefundService.handle ({len(own)} refunds, from refund.handled); the function "
                "threads' figure below adds the webhook intake and the queue trigger around it",
            )
        )
        rows += unit_rows(
            "refunds",
            "refund",
            done,
            {**calls, "F&O": fo_requests, "Shopify": shop_requests},
            cpu,
            host_goal_ms=30.0,
            function_threads_s=threads_cpu,
        )
        return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for flag, kind, default, text in (
        ("--count", int, 200, "timed refunds (and as many orders synced untimed)"),
        ("--seconds", float, 600, "time budget for the whole run"),
        ("--latency-ms", float, 150.0, "F&O emulator latency per request"),
        ("--cap", int, 16, "F&O requests in flight at most"),
        ("--host-log", str, "", "append the local host's output to this file"),
    ):
        parser.add_argument(flag, type=kind, default=default, help=text)
    args = parser.parse_args()
    rows = run(args.count, args.seconds, args.latency_ms, args.cap, args.host_log)
    show(rows)
    print(f"saved {save(rows, 'refunds')}")


if __name__ == "__main__":
    main()
