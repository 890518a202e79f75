"""The emulator's state: shop data, rate-limit buckets, request log and webhook dispatch."""

from __future__ import annotations

import asyncio
import copy
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from sandbox.emulators.shopify.config import ShopifyEmulatorConfig
from sandbox.emulators.shopify.cost import LeakyBucket, RestBucket
from sandbox.emulators.shopify.store import Store
from sandbox.emulators.shopify.webhooks import Delivery, adeliver, triggered_at_now

# Topics a `POST /_emulator/webhooks/config` subscription receives unless it lists its own.
DEFAULT_TOPICS = ("orders/create", "orders/updated", "orders/cancelled", "refunds/create")


@dataclass
class GraphQLContext:
    """What the resolvers see: the shop, the request's API version and the webhooks to fire."""

    store: Store
    config: ShopifyEmulatorConfig
    version: str
    tier: str
    events: list[tuple[str, Any]] = field(default_factory=list)

    def emit(self, topic: str, payload: Any) -> None:
        # Snapshot now: a delivery carries the payload as it was when the event was triggered.
        self.events.append((topic, copy.deepcopy(payload)))


class RequestLog:
    """Per-operation counts and the total cost used, for benchmarks and assertions."""

    def __init__(self, limit: int = 2000) -> None:
        self.entries: deque[dict[str, Any]] = deque(maxlen=limit)
        self.counts: Counter[str] = Counter()
        self.total_cost = 0.0
        self.throttled = 0
        self.rejected = 0

    def record(
        self,
        kind: str,
        operation: str,
        status: int,
        *,
        requested: float | None = None,
        actual: float | None = None,
        outcome: str = "ok",
    ) -> None:
        self.counts[f"{kind} {operation}"] += 1
        self.total_cost += actual or 0
        self.throttled += outcome == "throttled"
        self.rejected += outcome not in ("ok", "throttled")
        self.entries.append(
            {
                "at": time.time(),
                "kind": kind,
                "operation": operation,
                "status": status,
                "requested_cost": requested,
                "actual_cost": actual,
                "outcome": outcome,
            }
        )

    def clear(self) -> None:
        self.entries.clear()
        self.counts.clear()
        self.total_cost, self.throttled, self.rejected = 0.0, 0, 0

    def snapshot(self, last: int = 100) -> dict[str, Any]:
        return {
            "total": sum(self.counts.values()),
            "counts": dict(self.counts),
            "total_cost": self.total_cost,
            "throttled": self.throttled,
            "rejected": self.rejected,
            "recent": list(self.entries)[-last:],
        }


class ShopifyEmulator:
    def __init__(self, config: ShopifyEmulatorConfig | None = None) -> None:
        self.config = replace(config) if config else ShopifyEmulatorConfig()
        self._client: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.reset()

    def reset(self) -> None:
        c = self.config
        self.secret = c.api_secret
        self.store = Store(c.id_start)
        for name in c.locations or ["Main Warehouse"]:
            self.store.add_location(name)
        self.bucket = LeakyBucket(c.bucket_max, c.restore_rate, c.clock)
        self.rest_bucket = RestBucket(c.rest_bucket_size, c.rest_leak_rate, c.clock)
        self.log = RequestLog()
        self.deliveries: deque[dict[str, Any]] = deque(maxlen=2000)

    def context(self, version: str, tier: str) -> GraphQLContext:
        return GraphQLContext(self.store, self.config, version, tier)

    # Webhooks ------------------------------------------------------------------------------

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.config.webhook_timeout)
        return self._client

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def send(self, topic: str, payload: Any) -> list[dict[str, Any]]:
        """Deliver ``topic`` to every subscriber now; one Event-Id shared by all its deliveries."""
        event_id = str(uuid.uuid4())
        results = []
        for subscription in self.store.subscribers(topic):
            delivery = Delivery.of(topic, payload, event_id=event_id, triggered_at=triggered_at_now())
            record: dict[str, Any] = {
                "topic": topic,
                "url": subscription.uri,
                "webhook_id": delivery.webhook_id,
                "event_id": event_id,
                "status": None,
                "error": None,
            }
            try:
                response = await adeliver(
                    self._http(),
                    subscription.uri,
                    delivery,
                    self.secret,
                    shop_domain=self.config.shop_domain,
                    api_version=subscription.api_version,
                    request_timeout=self.config.webhook_timeout,
                )
                record["status"] = response.status_code
            except httpx.HTTPError as error:
                record["error"] = f"{type(error).__name__}: {error}"
            self.deliveries.append(record)
            results.append(record)
        return results

    def send_later(self, topic: str, payload: Any) -> None:
        """Fire-and-forget delivery (API-triggered webhooks must not slow the API response)."""
        if not self.store.subscribers(topic):
            return
        task = asyncio.get_running_loop().create_task(self.send(topic, payload))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
