"""Webhook intake: ack latency (p50/p99) and webhooks/s through the local host at 1/16/64 concurrent
senders, against the raw enqueue rate to the same Azurite from this process at the same concurrency.

``python -m bench.intake [--count N] [--seconds S]``
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx

from bench.common import Deadline, Row, percentile, save, show
from bench.measure import CpuMeter, calls_delta, function_threads_cpu, host_calls, unit_rows
from integration.webhooks.signature import sign
from sandbox import SAMPLES
from sandbox.harness.stack import azurite
from sandbox.host.process import start_host
from shared.storage import Storage

SECRET = "bench-secret"
BODY = (SAMPLES / "shopify" / "itakastudio__orders_create__line_item_discount.json").read_bytes()
LEVELS = (1, 16, 64)


async def _send_all(url: str, count: int, concurrency: int, deadline: Deadline) -> tuple[list[float], float, int]:
    latencies: list[float] = []
    failures = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(count):
        queue.put_nowait(i)
    signature = sign(BODY, SECRET)
    # Idle connections are dropped before uvicorn's 5 s keep-alive ends (no reuse of a closing socket).
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency, keepalive_expiry=3)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:

        async def worker() -> None:
            nonlocal failures
            while not queue.empty() and not deadline.passed():
                queue.get_nowait()
                headers = {
                    "X-Shopify-Topic": "orders/create",
                    "X-Shopify-Hmac-Sha256": signature,
                    "X-Shopify-Webhook-Id": str(uuid.uuid4()),
                    "X-Shopify-Event-Id": str(uuid.uuid4()),  # Shopify sends both
                    "Content-Type": "application/json",
                }
                started = time.perf_counter()
                response = await client.post(url, content=BODY, headers=headers)
                latencies.append((time.perf_counter() - started) * 1000)
                failures += response.status_code != 200

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return latencies, elapsed, failures


def raw_enqueue_rate(storage: Storage, count: int, concurrency: int) -> float:
    queue = storage.queue("bench-raw")
    message = "x" * 600  # about the size of an intake envelope without the body
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(lambda _: queue.send_message(message), range(count)))
    return count / (time.perf_counter() - started)


def run(count: int = 400, seconds: float = 120) -> list[Row]:
    instance = azurite.start()
    host = None
    rows: list[Row] = []
    try:
        env = {
            "AzureWebJobsStorage": instance.connection_string,
            "SHOPIFY_API_SECRET": SECRET,
            "WEBHOOK_RETENTION_SCHEDULE": "0 0 3 * * *",
            # The queue functions are not what is measured here: keep them off, so that their listeners'
            # polls do not count as storage calls of the ack path.
            **{
                f"AzureWebJobs.{name}.Disabled": "true"
                for name in ("order_queue", "refund_queue", "customer_queue", "compliance_queue", "crm_queue")
            },
        }
        host = start_host(env)
        storage = Storage.from_setting("S", {"S": instance.connection_string})
        url = f"{host.url}/api/shopify/webhooks"
        deadline = Deadline(seconds)
        for concurrency in LEVELS:
            meter = CpuMeter({"host": host.process.pid, "azurite": instance.process.pid, "bench": None})
            calls = host_calls(host.url)
            threads = function_threads_cpu(host.url)
            meter.start()
            latencies, elapsed, failures = asyncio.run(_send_all(url, count, concurrency, deadline))
            cpu = meter.stop()
            threads = function_threads_cpu(host.url) - threads
            calls = calls_delta(calls, host_calls(host.url))
            rate = len(latencies) / elapsed if elapsed else 0.0
            limit = raw_enqueue_rate(storage, min(count, 400), concurrency)
            note = f"{len(latencies)} webhooks, {failures} non-200"
            rows.append(
                Row("intake", f"webhooks/s @{concurrency}", rate, "/s", limit, f"raw enqueue @{concurrency}", note)
            )
            rows.append(Row("intake", f"ack p50 @{concurrency}", percentile(latencies, 50), "ms"))
            rows.append(
                Row("intake", f"ack p99 @{concurrency}", percentile(latencies, 99), "ms", 5000.0, "Shopify timeout")
            )
            if concurrency == 16:
                rows += unit_rows(
                    "intake",
                    "webhook",
                    len(latencies),
                    calls,
                    cpu,
                    storage_goal=2.0,
                    host_goal_ms=8.0,
                    function_threads_s=threads,
                )
    finally:
        if host:
            host.stop()
        instance.stop()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=400, help="webhooks per concurrency level")
    parser.add_argument("--seconds", type=float, default=120, help="time budget for the whole run")
    args = parser.parse_args()
    rows = run(args.count, args.seconds)
    show(rows)
    print(f"saved {save(rows, 'intake')}")


if __name__ == "__main__":
    main()
