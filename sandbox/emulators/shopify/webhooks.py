"""Signed Shopify webhook deliveries, exactly as Shopify sends them over HTTPS.

The signature is ``base64(HMAC-SHA256(app client secret, raw body))`` in ``X-Shopify-Hmac-Sha256``
(reference/shopify.md §1.2). The headers are the documented delivery headers (§1.1). Used by the
emulator (``orders/create`` etc. to subscribers), by the ``send_webhook`` CLI and by tests that
want duplicate or out-of-order deliveries (§1.4, §1.5).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from sandbox.emulators.shopify.wire import dumps

DEFAULT_SHOP_DOMAIN = "emulator.myshopify.com"
DEFAULT_API_VERSION = "2026-10"  # Shopify's newest stable version (the emulator models Shopify, not the app)
DEFAULT_TIMEOUT = 5.0  # Shopify gives the whole request five seconds (§1.3).


def sign(body: bytes, secret: str | bytes) -> str:
    """``X-Shopify-Hmac-Sha256`` for ``body``: base64 of HMAC-SHA256 keyed with the client secret."""
    key = secret.encode() if isinstance(secret, str) else secret
    return base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()


def encode_body(payload: Any) -> bytes:
    """The raw body Shopify would send: compact UTF-8 JSON (bytes are passed through untouched)."""
    if isinstance(payload, bytes | bytearray):
        return bytes(payload)
    return dumps(payload)


def triggered_at_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def build_headers(
    body: bytes,
    topic: str,
    secret: str | bytes,
    *,
    webhook_id: str | None = None,
    event_id: str | None = None,
    shop_domain: str = DEFAULT_SHOP_DOMAIN,
    api_version: str = DEFAULT_API_VERSION,
    triggered_at: str | None = None,
    name: str | None = None,
) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Shopify-Captain-Hook",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": sign(body, secret),
        "X-Shopify-Shop-Domain": shop_domain,
        "X-Shopify-API-Version": api_version,
        "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
        "X-Shopify-Triggered-At": triggered_at or triggered_at_now(),
        "X-Shopify-Event-Id": event_id or str(uuid.uuid4()),
    }
    if name:
        headers["X-Shopify-Name"] = name
    return headers


@dataclass
class Delivery:
    """One delivery: a topic, its raw body and the identity headers that make it unique."""

    topic: str
    body: bytes
    webhook_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    event_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    triggered_at: str = field(default_factory=triggered_at_now)

    @classmethod
    def of(cls, topic: str, payload: Any, **ids: str) -> Delivery:
        return cls(topic=topic, body=encode_body(payload), **ids)

    def headers(
        self, secret: str | bytes, *, shop_domain: str = DEFAULT_SHOP_DOMAIN, api_version: str = DEFAULT_API_VERSION
    ) -> dict[str, str]:
        return build_headers(
            self.body,
            self.topic,
            secret,
            webhook_id=self.webhook_id,
            event_id=self.event_id,
            shop_domain=shop_domain,
            api_version=api_version,
            triggered_at=self.triggered_at,
        )


def deliver(
    url: str,
    topic: str,
    payload_or_bytes: Any,
    secret: str | bytes,
    *,
    webhook_id: str | None = None,
    event_id: str | None = None,
    shop_domain: str = DEFAULT_SHOP_DOMAIN,
    api_version: str = DEFAULT_API_VERSION,
    triggered_at: str | None = None,
    extra_headers: Mapping[str, str] | None = None,
    client: httpx.Client | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> httpx.Response:
    """POST one signed delivery to ``url`` and return the receiver's response."""
    body = encode_body(payload_or_bytes)
    headers = build_headers(
        body,
        topic,
        secret,
        webhook_id=webhook_id,
        event_id=event_id,
        shop_domain=shop_domain,
        api_version=api_version,
        triggered_at=triggered_at,
    )
    headers.update(extra_headers or {})
    if client is not None:
        return client.post(url, content=body, headers=headers, timeout=timeout)
    with httpx.Client(timeout=timeout) as own:
        return own.post(url, content=body, headers=headers)


async def adeliver(
    client: httpx.AsyncClient,
    url: str,
    delivery: Delivery,
    secret: str | bytes,
    *,
    shop_domain: str = DEFAULT_SHOP_DOMAIN,
    api_version: str = DEFAULT_API_VERSION,
    request_timeout: float = DEFAULT_TIMEOUT,
) -> httpx.Response:
    headers = delivery.headers(secret, shop_domain=shop_domain, api_version=api_version)
    return await client.post(url, content=delivery.body, headers=headers, timeout=request_timeout)


def schedule(deliveries: Iterable[Delivery], *, duplicates: int = 0, shuffle_seed: int | None = None) -> list[Delivery]:
    """The order in which to send ``deliveries``.

    ``duplicates`` re-sends every delivery that many extra times with the *same* Webhook-Id and
    Event-Id (what a Shopify retry after a lost acknowledgement looks like); ``shuffle_seed``
    shuffles the whole list reproducibly (Shopify does not guarantee ordering, §1.5).
    """
    plan: list[Delivery] = []
    for delivery in deliveries:
        plan.extend([delivery] * (1 + max(0, duplicates)))
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(plan)
    return plan


def deliver_many(
    url: str,
    deliveries: Iterable[Delivery],
    secret: str | bytes,
    *,
    duplicates: int = 0,
    shuffle_seed: int | None = None,
    shop_domain: str = DEFAULT_SHOP_DOMAIN,
    api_version: str = DEFAULT_API_VERSION,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[tuple[Delivery, httpx.Response]]:
    """Send a list of deliveries (with duplicates / shuffling), one after another."""
    results = []
    with httpx.Client(timeout=timeout) as client:
        for delivery in schedule(deliveries, duplicates=duplicates, shuffle_seed=shuffle_seed):
            headers = delivery.headers(secret, shop_domain=shop_domain, api_version=api_version)
            results.append((delivery, client.post(url, content=delivery.body, headers=headers)))
    return results
