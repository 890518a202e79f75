"""While and after the deliveries: a finance clerk who invoices sales orders in F&O (refunds are credited
against invoices), and the drain that waits until the app has nothing left to do."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from azure.core.exceptions import ResourceNotFoundError

from sandbox.host.process import HostProcess
from shared import queues
from shared.storage import Storage

EXECUTING = "Executing 'Functions."


def fo_rows(fo: httpx.Client, entity_set: str) -> list[dict[str, Any]]:
    response = fo.get("/_emulator/state", params={"set": entity_set})
    response.raise_for_status()
    return list(response.json()["value"])


class Invoicer:
    """Posts the invoice of every F&O sales order that belongs to a refunded Shopify order, as soon as
    the order sync has created it (the refund flow waits for the invoice, then credits against it)."""

    def __init__(self, fo_url: str, order_ids: set[str], interval_s: float = 1.0) -> None:
        self.fo = httpx.Client(base_url=fo_url, timeout=30)
        self.order_ids, self.interval_s = order_ids, interval_s
        self.invoiced: dict[str, str] = {}  # sales order number -> invoice number
        self._shopify_ids: dict[str, str] = {}  # sales order number -> Shopify order id
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="chaos-invoicer", daemon=True)

    def start(self) -> Invoicer:
        self._thread.start()
        return self

    def sweep(self) -> int:
        done = 0
        for header in fo_rows(self.fo, "SalesOrderHeadersV2"):
            number = str(header["SalesOrderNumber"])
            if str(header.get("CustomerRequisitionNumber")) not in self.order_ids or number in self.invoiced:
                continue
            self._shopify_ids[number] = str(header.get("CustomerRequisitionNumber"))
            response = self.fo.post(f"/_emulator/sales-orders/{number}/invoice", json={})
            if response.status_code == 201:
                self.invoiced[number] = str(response.json().get("InvoiceNumber", ""))
                done += 1
            elif response.status_code == 409:  # already invoiced (nothing left)
                self.invoiced[number] = "?"
            else:
                self.errors.append(f"{number}: {response.status_code} {response.text[:200]}")
        return done

    def orders_invoiced(self) -> set[str]:
        """The Shopify order ids whose F&O sales order is invoiced."""
        return {self._shopify_ids[n] for n in list(self.invoiced) if n in self._shopify_ids}

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.sweep()
            except httpx.HTTPError as error:
                self.errors.append(f"sweep: {type(error).__name__}")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)
        self.sweep()  # a last pass: an order created just before the stop
        self.fo.close()


@dataclass
class DrainResult:
    drained: bool
    seconds: float
    queue_counts: dict[str, int] = field(default_factory=dict)
    reason: str = ""


def queue_counts(storage: Storage, names: tuple[str, ...] = queues.ALL) -> dict[str, int]:
    """Approximate message counts (they include invisible messages: leased, or waiting to be retried)."""
    counts = {}
    for name in names:
        try:
            counts[name] = int(storage.queue(name).get_queue_properties().approximate_message_count or 0)
        except ResourceNotFoundError:  # a queue that was never created holds nothing
            counts[name] = 0
    return counts


def drain(
    storage: Storage,
    host: Callable[[], HostProcess],
    timeout_s: float,
    quiet_s: float = 4.0,
    settled: Callable[[], bool] | None = None,
    poll_s: float = 1.0,
) -> DrainResult:
    """Wait (at most ``timeout_s``) until the main queues are empty and the host has started no
    invocation for ``quiet_s`` (or, once the queues are empty, ``settled()`` says every document is
    in its final state). A refund waiting for its invoice is a message on the queue, so it counts."""
    started = time.monotonic()
    seen, last_activity = 0, time.monotonic()
    current = host()
    counts: dict[str, int] = {}
    while time.monotonic() - started < timeout_s:
        if host() is not current:
            current, seen = host(), 0
        lines = current.lines[seen:]
        seen += len(lines)
        if any(EXECUTING in line for line in lines):
            last_activity = time.monotonic()
        counts = queue_counts(storage)
        if not any(counts.values()):
            if time.monotonic() - last_activity >= quiet_s:
                return DrainResult(True, time.monotonic() - started, counts, "queues empty, host quiet")
            if settled is not None and settled():
                return DrainResult(True, time.monotonic() - started, counts, "queues empty, all documents final")
        time.sleep(poll_s)
    return DrainResult(False, time.monotonic() - started, counts, f"not drained within {timeout_s:.0f}s")
