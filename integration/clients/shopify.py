"""Shopify Admin API client, GraphQL only (REST Admin is legacy). Order reads are mapped to the
webhook body's shape in ``shopify_orders.py`` so re-fetch and reconciliation reuse the webhook mapping.

Rate limits: GraphQL is a leaky bucket of query cost. The client remembers the last
``extensions.cost.throttleStatus`` in a :class:`~integration.clients.shopify_bucket.CostBucket` shared
by all its views (one per worker: every flow paces against the same bucket, bulk pushes behind a
document's own calls) and waits for the bucket to refill before a request whose cost it expects not
to fit, so it paces itself instead of hitting ``THROTTLED``; a ``THROTTLED`` answer is still retried
after the refill time.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from integration.clients import shopify_bulk, shopify_orders
from integration.clients.shopify_bucket import CostBucket, Priority
from integration.errors import IntegrationError, Permanent, Transient
from shared.http import DEFAULT_TIMEOUT, CallStats, Exhausted, RetryPolicy, send_with_retry
from shared.logs import get_logger, log_event
from shared.settings import SHOPIFY_API_VERSION_MINIMUM, Settings

log = get_logger(__name__)
VERSION_HEADER = "X-Shopify-API-Version"


class ShopifyError(IntegrationError):
    pass


class ShopifyGraphQLError(ShopifyError, Permanent):
    """The request was malformed or asked for what the schema does not have (not THROTTLED, not a
    transient code: those are retried or raised as :class:`ShopifyTransient`)."""

    def __init__(self, message: str, errors: list[Any] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


class ShopifyUserErrors(ShopifyError, Permanent):
    """A mutation answered ``userErrors``: the request was understood and refused."""

    def __init__(self, mutation: str, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"{mutation}: " + "; ".join(str(e.get("message")) for e in errors))
        self.mutation = mutation
        self.errors = errors

    @property
    def codes(self) -> set[str]:
        return {str(e.get("code")) for e in self.errors if e.get("code")}


class ShopifyAuthError(ShopifyError, Permanent):
    pass


class ShopifyTransient(ShopifyError, Transient):
    """429/5xx/timeouts/THROTTLED that outlasted the client's retries, or a write whose outcome is unknown."""


def gid(kind: str, value: Any) -> str:
    text = str(value)
    return text if text.startswith("gid://") else f"gid://shopify/{kind}/{text}"


def legacy_id(value: str) -> str:
    return str(value).rsplit("/", 1)[-1]


@dataclass
class ShopifyStats(CallStats):
    cost: float = 0.0
    throttle_waits: float = 0.0
    bulk_operations: int = 0
    bulk_fallbacks: int = 0


# GraphQL error codes that say "not now" rather than "never" (classified once, here).
TRANSIENT_CODES = frozenset({"INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE", "TIMEOUT"})

TAGS_ADD = """mutation tagsAdd($id: ID!, $tags: [String!]!) {
  tagsAdd(id: $id, tags: $tags) { node { id } userErrors { field message } } }"""

METAFIELDS_SET = """mutation metafieldsSet($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) { metafields { key namespace value } userErrors { field message code } } }"""
# Both in ONE request (two root fields of one mutation document; Shopify runs them in order).
TAGS_AND_METAFIELDS = """mutation tagsAndMetafields($id: ID!, $tags: [String!]!, $metafields: [MetafieldsSetInput!]!) {
  tagsAdd(id: $id, tags: $tags) { node { id } userErrors { field message } }
  metafieldsSet(metafields: $metafields) { metafields { key namespace value } userErrors { field message code } }
}"""


class ShopifyAdmin:
    def __init__(
        self,
        base_url: str,
        token: str,
        api_version: str,
        *,
        transport: httpx.BaseTransport | None = None,
        policy: RetryPolicy | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        sleep: Callable[[float], None] = time.sleep,
        max_throttle_retries: int = 8,
        bulk_range_hours: float = 0,
        bucket: CostBucket | None = None,
        priority: Priority = Priority.URGENT,
    ) -> None:
        self.base = base_url.rstrip("/") + f"/admin/api/{api_version}"
        self.configured_version = api_version
        self.policy = policy or RetryPolicy()
        self.stats = ShopifyStats()
        self.bucket = bucket or CostBucket(sleep=sleep)  # shared by every view (see at())
        self._versions: dict[str, str] = {}  # shared by every view: what Shopify reported
        self.sleep = sleep
        self.max_throttle_retries = max_throttle_retries
        # Order listings over a longer window run as a bulk operation (0: always page).
        self.bulk_range_hours = bulk_range_hours
        self.priority = priority
        self.http = httpx.Client(
            transport=transport,
            timeout=timeout,
            headers={"X-Shopify-Access-Token": token, "Content-Type": "application/json", "Accept": "application/json"},
        )

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> ShopifyAdmin:
        settings.require("SHOPIFY_ADMIN_TOKEN")
        if settings.SHOPIFY_ADMIN_URL:
            base = str(settings.SHOPIFY_ADMIN_URL)
        else:
            settings.require("SHOPIFY_SHOP_DOMAIN")
            base = f"https://{settings.SHOPIFY_SHOP_DOMAIN}"
        kwargs.setdefault("bulk_range_hours", settings.SHOPIFY_BULK_RANGE_HOURS)
        return cls(base, settings.SHOPIFY_ADMIN_TOKEN.get_secret_value(), settings.SHOPIFY_API_VERSION, **kwargs)

    def at(self, priority: Priority) -> ShopifyAdmin:
        """A view of this client that sends at ``priority``: same connection pool, cost bucket and API
        version, its own call statistics (a flow's summary counts its own calls)."""
        view = copy.copy(self)
        view.priority = priority
        view.stats = ShopifyStats()
        return view

    def close(self) -> None:
        self.http.close()

    @property
    def reported_version(self) -> str | None:
        """What Shopify says it served (X-Shopify-API-Version): differs when the configured version
        was retired and fell forward. Version-specific shapes follow this one once it is known."""
        return self._versions.get("reported")

    @reported_version.setter
    def reported_version(self, value: str) -> None:
        self._versions["reported"] = value

    @property
    def api_version(self) -> str:
        """The version in use: the one Shopify reported, else the configured one."""
        return self.reported_version or self.configured_version

    def _note_version(self, response: httpx.Response) -> None:
        reported = response.headers.get(VERSION_HEADER)
        if not reported or reported == self.reported_version:
            return
        self.reported_version = reported
        if reported != self.configured_version:
            log_event(
                log,
                "shopify.api_version_mismatch",
                logging.WARNING,
                configured=self.configured_version,
                reported=reported,
                hint="the configured version is retired or unknown; Shopify serves the reported one",
            )

    def require_version(self, minimum: str = SHOPIFY_API_VERSION_MINIMUM) -> str:
        """The version in use, refusing one older than the shapes this app speaks."""
        version = self.api_version
        if version != "unstable" and version < minimum:
            raise ShopifyError(f"Shopify API version {version} is older than {minimum}, the oldest this app supports")
        return version

    def _send(self, request: httpx.Request, retry_transport_errors: bool = True) -> httpx.Response:
        try:
            response = send_with_retry(self.http, request, self.policy, self.stats, retry_transport_errors)
        except Exhausted as error:
            raise ShopifyTransient(str(error)) from error
        if response.status_code in (401, 403):
            raise ShopifyAuthError(f"Shopify {response.status_code}: {response.text[:300]}")
        if response.status_code >= 400:
            raise ShopifyError(f"Shopify {response.status_code}: {response.text[:300]}")
        return response

    # -- GraphQL -----------------------------------------------------------------------------------
    def graphql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        expected_cost: float = 10.0,
        idempotent: bool = True,
        priority: Priority | None = None,
    ) -> dict[str, Any]:
        """Run a query or mutation and return ``data``. ``idempotent=False`` for writes that must not
        be sent twice when a connection drops (the caller then checks what happened). ``priority``
        defaults to the client's (see :meth:`at`)."""
        for _ in range(self.max_throttle_retries + 1):
            self.stats.throttle_waits += self.bucket.acquire(
                expected_cost, self.priority if priority is None else priority
            )
            request = self.http.build_request(
                "POST", f"{self.base}/graphql.json", json={"query": query, "variables": variables or {}}
            )
            response = self._send(request, retry_transport_errors=idempotent)
            self._note_version(response)
            payload = response.json()
            cost = (payload.get("extensions") or {}).get("cost") or {}
            status = cost.get("throttleStatus")
            if status:
                self.bucket.observe(
                    float(status["maximumAvailable"]), float(status["currentlyAvailable"]), float(status["restoreRate"])
                )
            errors = payload.get("errors") or []
            if any((e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors if isinstance(e, dict)):
                self.stats.throttled += 1
                expected_cost = float(cost.get("requestedQueryCost") or expected_cost)
                if not status:
                    self.sleep(1.0)  # Shopify's recommended backoff when it gives no bucket status
                continue
            self.stats.cost += float(cost.get("actualQueryCost") or cost.get("requestedQueryCost") or 0)
            codes = {(e.get("extensions") or {}).get("code") for e in errors if isinstance(e, dict)}
            if codes & TRANSIENT_CODES:
                raise ShopifyTransient(f"Shopify GraphQL {sorted(c for c in codes if c)}: try again later")
            if errors:
                messages = "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors)
                raise ShopifyGraphQLError(messages, errors)
            return payload.get("data") or {}
        raise ShopifyTransient("THROTTLED: the cost bucket did not refill in time")

    @staticmethod
    def check(data: dict[str, Any], mutation: str) -> dict[str, Any]:
        """The mutation's payload; raises ShopifyUserErrors when it has userErrors."""
        result = data.get(mutation) or {}
        errors = result.get("userErrors") or []
        if errors:
            raise ShopifyUserErrors(mutation, errors)
        return result

    def tags_add(self, resource_gid: str, tags: list[str]) -> None:
        self.check(self.graphql(TAGS_ADD, {"id": resource_gid, "tags": tags}), "tagsAdd")

    def metafields_set(self, metafields: list[dict[str, Any]]) -> None:
        self.check(self.graphql(METAFIELDS_SET, {"metafields": metafields}), "metafieldsSet")

    def tags_and_metafields(self, resource_gid: str, tags: list[str], metafields: list[dict[str, Any]]) -> None:
        """``tagsAdd`` and ``metafieldsSet`` in one request; userErrors of either raise."""
        data = self.graphql(TAGS_AND_METAFIELDS, {"id": resource_gid, "tags": tags, "metafields": metafields})
        for mutation in ("tagsAdd", "metafieldsSet"):
            self.check(data, mutation)

    def refund_transactions(self, refund_gid: str) -> list[dict[str, str]] | None:
        """The refund's transactions as Shopify has them now (see ``shopify_orders.py``)."""
        return shopify_orders.fetch_refund_transactions(self, refund_gid)

    # -- order reads (GraphQL, mapped to the webhook body's shape: see shopify_orders.py) ----------
    def get_order(self, order_id: str | int) -> dict[str, Any] | None:
        """An order with its line items, refunds and transactions; None when Shopify has none."""
        return shopify_orders.fetch_order(self, order_id)

    def list_orders(
        self, updated_at_min: str, updated_at_max: str | None = None, page_size: int = shopify_orders.ORDERS_PAGE
    ) -> Iterator[dict[str, Any]]:
        """Orders updated in the window (light summaries with ``id``): paginated by cursor, or, when
        the window is longer than ``bulk_range_hours``, read with a bulk operation. A bulk operation
        that fails (or is refused) falls back to paging, with a warning naming the reason."""
        if self._wants_bulk(updated_at_min, updated_at_max):
            try:
                operation_id = shopify_bulk.start(self, shopify_orders.bulk_query(updated_at_min, updated_at_max))
                operation = shopify_bulk.wait(self, operation_id)
            except shopify_bulk.BulkOperationFailed as error:
                self.stats.bulk_fallbacks += 1
                log_event(
                    log,
                    "shopify.bulk_fallback",
                    logging.WARNING,
                    reason=error.reason,
                    operation_id=error.operation_id,
                    error_code=error.error_code,
                    hint="the order listing pages through the window instead",
                )
            else:
                self.stats.bulk_operations += 1
                return self._bulk_summaries(operation)
        return shopify_orders.updated_orders(self, updated_at_min, updated_at_max, page_size)

    def _wants_bulk(self, updated_at_min: str, updated_at_max: str | None) -> bool:
        if self.bulk_range_hours <= 0:
            return False
        start = datetime.fromisoformat(updated_at_min)
        end = datetime.fromisoformat(updated_at_max) if updated_at_max else datetime.now(UTC)
        start, end = (t if t.tzinfo else t.replace(tzinfo=UTC) for t in (start, end))  # Shopify reads UTC
        return (end - start).total_seconds() > self.bulk_range_hours * 3600

    @staticmethod
    def _bulk_summaries(operation: dict[str, Any]) -> Iterator[dict[str, Any]]:
        url = operation.get("url")
        if url:  # no file when nothing matched
            for order in shopify_bulk.link(shopify_bulk.lines(str(url))):
                yield shopify_orders.summary(order)
