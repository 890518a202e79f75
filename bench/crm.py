"""CRM sync: orders/s into the Dataverse emulator under Dataverse's service-protection limit, against
the bound that limit implies.

Dataverse allows 6,000 requests per user per 5-minute sliding window (learn.microsoft.com/power-apps/
developer/data-platform/api-limits), i.e. 20 requests/s sustained. A run of a few minutes would stay
inside the first window's allowance, so the emulator keeps the same RATE in a shorter window
(``--limit`` requests per ``--window-s``, default 200 per 10 s = 20/s) and the run lasts several
windows (as in Dataverse, each request inside a ``$batch`` counts). Bound = (allowance over the run)
/ (Dataverse requests per order) / run time; the measured requests per order come from the
emulator's own count. The client honours ``Retry-After`` as in
production; one CrmSync processes the orders one after another, as one queue worker with one
Dataverse user would.

Every order is a known customer (the warm-up order creates the contact and the link) with the
``erp_ready_order`` sample shape: two products plus the shipping-tax line.

``python -m bench.crm [--count N] [--seconds S] [--limit L] [--window-s W]``
"""

from __future__ import annotations

import argparse
import math
import time
from typing import Any

import httpx

from bench.common import Deadline, Row, save, show
from integration.clients.dataverse import DataverseClient
from integration.crm.config import CrmConfig
from integration.crm.service import CrmSync
from sandbox.emulators.dataverse import DataverseEmulatorConfig, ServiceLimits, create_app
from sandbox.emulators.serve import start_in_thread
from sandbox.harness.demo.sample_orders import erp_ready_order
from sandbox.harness.stack import azurite
from shared.http import RetryPolicy
from shared.storage import Storage

CUSTOMER_ID = 990_000_001


def _order(order_id: int) -> dict[str, Any]:
    body = erp_ready_order(customer_id=CUSTOMER_ID)
    body.update(id=order_id, name=f"#B{order_id}")
    for index, item in enumerate(body["line_items"], 1):
        item["id"] = order_id * 10 + index
    return body


def _counts(url: str) -> tuple[int, int]:
    """(requests handled, including each inside a $batch; requests charged to the limit)."""
    data = httpx.get(f"{url}/_emulator/requests", timeout=10).json()
    return sum(data["requests"].values()), int(data["charged"])


def run(count: int = 2000, seconds: float = 60, limit: int = 200, window_s: float = 10.0) -> list[Row]:
    instance = azurite.start()
    limits = ServiceLimits(max_requests=limit, window_s=window_s, retry_after_s=1)
    server = start_in_thread(create_app(DataverseEmulatorConfig(limits=limits)), name="dataverse-bench")
    client = DataverseClient(server.url, lambda: "local-dataverse-token", policy=RetryPolicy(attempts=60, deadline=600))
    try:
        storage = Storage.from_setting("S", {"S": instance.connection_string})
        sync = CrmSync(storage, client, CrmConfig())
        base = int(time.time() * 1000) * 100
        sync.handle("orders/create", _order(base))  # warm-up: contact, link, currency cache
        (before, charged_before), throttled_before = _counts(server.url), client.stats.throttled
        deadline, done = Deadline(seconds), 0
        started, cpu = time.monotonic(), time.process_time()
        while done < count and not deadline.passed():
            outcome = sync.handle("orders/create", _order(base + 1 + done))
            assert outcome.action == "written", outcome
            done += 1
        elapsed, cpu_ms = time.monotonic() - started, (time.process_time() - cpu) * 1000
        after, charged_after = _counts(server.url)
        per_order = (after - before) / max(done, 1)
        charged = (charged_after - charged_before) / max(done, 1)
        throttled = client.stats.throttled - throttled_before
        allowance = limit * math.ceil(elapsed / window_s)  # requests the limit admits over the run
        bound = allowance / charged / elapsed
        rate = done / elapsed
        note = (
            f"{charged:.1f} requests/order count toward the limit, {throttled} 429s, {done} orders in {elapsed:.0f} s"
        )
        return [
            Row("crm", "orders/s", rate, "/s", bound, f"{limit} req per {window_s:g} s", note),
            Row("crm", "Dataverse requests/order (incl. $batch parts)", per_order, ""),
            Row("crm", "CPU ms/order (bench process)", cpu_ms / max(done, 1), "ms"),
        ]
    finally:
        client.close()
        server.stop()
        instance.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument("--window-s", type=float, default=10.0)
    args = parser.parse_args()
    rows = run(args.count, args.seconds, args.limit, args.window_s)
    show(rows)
    print(f"saved {save(rows, 'crm')}")


if __name__ == "__main__":
    main()
