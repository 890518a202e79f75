"""Webhook deliveries the way Shopify makes them in a bad hour: duplicated, out of order, and retried
while the receiver is down.

``plan`` turns documents into deliveries (one Webhook-Id/Event-Id per merchant action), adds a copy of
a share of them (the same ids: a retry after a lost acknowledgement) and shuffles everything, so
refunds arrive before their orders and updates before creates. ``Sender`` posts them from a few
threads and treats anything but a 200 (a 409 "in progress", a 503, a refused connection while the host
is down) as Shopify does: try the same delivery again later, with backoff, within a time budget.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx

from sandbox.emulators.shopify.webhooks import Delivery
from sandbox.harness.chaos.documents import Documents

RETRY_DELAYS = (0.5, 1, 2, 4, 8, 15)  # then every 15 s until the budget ends


@dataclass
class Planned:
    delivery: Delivery
    resource_id: str
    copy: int = 0  # 0 = first delivery, 1 = the duplicate


@dataclass
class Attempt:
    planned: Planned
    status: int = 0  # last HTTP status (0 = no response)
    attempts: int = 0
    duplicate: bool = False  # the intake answered "duplicate delivery"
    error: str = ""


def plan(docs: Documents, seed: int, duplicate_share: float = 0.3) -> list[Planned]:
    rng = random.Random(seed)
    firsts: list[Planned] = []
    for order in docs.orders:
        firsts.append(Planned(Delivery.of("orders/create", order), str(order["id"])))
    for update in docs.updates:
        firsts.append(Planned(Delivery.of("orders/updated", update), str(update["id"])))
    for refund in docs.refunds:
        firsts.append(Planned(Delivery.of("refunds/create", refund), str(refund["id"])))
    copies = [Planned(p.delivery, p.resource_id, 1) for p in firsts if rng.random() < duplicate_share]
    everything = firsts + copies
    rng.shuffle(everything)
    # Messages for the same order side by side, so they are processed at once: create + cancel,
    # two updates, two refunds of one order.
    for cancel in docs.cancels:
        at = next(i for i, p in enumerate(everything) if p.resource_id == str(cancel["id"]))
        everything.insert(at + 1, Planned(Delivery.of("orders/cancelled", cancel), str(cancel["id"])))
    _side_by_side(everything, lambda p: p.delivery.topic == "orders/updated" and p.copy == 0)
    refund_orders = {str(r["id"]): str(r["order_id"]) for r in docs.refunds}
    _side_by_side(everything, lambda p: p.delivery.topic == "refunds/create" and p.copy == 0, refund_orders)
    return everything


def _side_by_side(
    planned: list[Planned], select: Callable[[Planned], bool], group: dict[str, str] | None = None
) -> None:
    """Move the selected deliveries of one order (``group`` maps resource id -> order id) next to the
    first of them."""
    group = group or {}
    groups: dict[str, list[Planned]] = {}
    for item in planned:
        if select(item):
            groups.setdefault(group.get(item.resource_id, item.resource_id), []).append(item)
    out: list[Planned] = []
    emitted: set[str] = set()
    for item in planned:
        if not select(item):
            out.append(item)
            continue
        key = group.get(item.resource_id, item.resource_id)
        if key not in emitted:
            emitted.add(key)
            out.extend(groups[key])
    planned[:] = out


@dataclass
class SendStats:
    statuses: Counter[str] = field(default_factory=Counter)
    attempts: int = 0
    retried: int = 0
    gave_up: int = 0


class Sender:
    """Posts planned deliveries to the host's webhook URL (the host may die and come back on the same port)."""

    def __init__(
        self,
        url: str,
        secret: str,
        shop_domain: str,
        concurrency: int = 6,
        budget_s: float = 240,
        timeout_s: float = 5.0,
    ) -> None:
        self.url, self.secret, self.shop_domain = url, secret, shop_domain
        self.concurrency, self.budget_s, self.timeout_s = concurrency, budget_s, timeout_s
        self.stats = SendStats()
        self.sent = 0  # deliveries finished (accepted or given up)
        self._lock = threading.Lock()

    def _post(self, client: httpx.Client, planned: Planned) -> tuple[int, bool, str]:
        delivery = planned.delivery
        headers = delivery.headers(self.secret, shop_domain=self.shop_domain)
        try:
            response = client.post(self.url, content=delivery.body, headers=headers, timeout=self.timeout_s)
        except httpx.HTTPError as error:
            return 0, False, type(error).__name__
        duplicate = response.status_code == 200 and bool(response.json().get("duplicate"))
        return response.status_code, duplicate, "" if response.status_code == 200 else response.text[:200]

    def deliver(self, client: httpx.Client, planned: Planned) -> Attempt:
        attempt = Attempt(planned)
        deadline = time.monotonic() + self.budget_s
        while True:
            attempt.status, attempt.duplicate, attempt.error = self._post(client, planned)
            attempt.attempts += 1
            with self._lock:
                self.stats.attempts += 1
                self.stats.statuses[str(attempt.status or attempt.error)] += 1
                if attempt.attempts == 2:
                    self.stats.retried += 1  # deliveries that needed at least one retry
            if attempt.status == 200:
                break
            if time.monotonic() > deadline:
                with self._lock:
                    self.stats.gave_up += 1
                break
            time.sleep(RETRY_DELAYS[min(attempt.attempts - 1, len(RETRY_DELAYS) - 1)])
        with self._lock:
            self.sent += 1
        return attempt

    def deliver_all(self, planned: list[Planned], on_progress: Callable[[int], None] | None = None) -> list[Attempt]:
        """Send everything (``concurrency`` at a time); ``on_progress(sent)`` runs on the caller's thread."""
        limits = httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency)
        with httpx.Client(limits=limits) as client, ThreadPoolExecutor(self.concurrency) as pool:
            futures = [pool.submit(self.deliver, client, p) for p in planned]
            while on_progress and not all(f.done() for f in futures):
                on_progress(self.sent)
                time.sleep(0.2)
            return [f.result() for f in futures]
