"""Quote audit: every rate answer served at checkout, for comparing quoted with charged freight and
for the cache-hit ratio on the dashboard. One row per quote in table ``ratequotes`` partitioned by
UTC day; no personal data (destination reduced to country and the first three postal characters).

Rows are buffered and written by a background thread in batches (one entity group transaction per
day partition, up to 100 rows; ``shared.batch_writer``): a Table insert per checkout request cost more
CPU than the cached answer itself. The buffer is bounded; what it drops under overload is counted.
A crash loses the rows of the last flush interval (0.5 s) at most.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from shared import tables
from shared.batch_writer import BatchWriter
from shared.redact import keyed_digest
from shared.storage import Storage

MAX_BUFFER = 10_000
FLUSH_INTERVAL_S = 0.5


def cart_key(country: str, postal: str, address1: str, items: Iterable[tuple[str, int]]) -> str:
    """What a carrier-rate callback and the order it becomes reliably share, as one keyed fingerprint:
    the destination (country, postal code, street line) and the shippable items (variant id, else SKU,
    with quantities). HMAC-SHA256 under ``REDACTION_KEY``, so the audit still holds no personal data;
    "" without a key (then the freight audit falls back to matching by area)."""
    counts: Counter[str] = Counter()
    for item, quantity in items:
        counts[str(item)] += int(quantity)
    text = "|".join(
        [
            country.strip().upper(),
            re.sub(r"\s+", "", postal or "").upper(),
            " ".join((address1 or "").casefold().split()),
            *(f"{item}x{quantity}" for item, quantity in sorted(counts.items()) if quantity > 0),
        ]
    )
    return keyed_digest(text)


def rate_cart_key(rate: Any) -> str:
    """The cart key of a parsed carrier-rate callback (``integration.rates.request.ShopifyRate``)."""
    items = ((str(i.variant_id or i.sku), i.quantity) for i in rate.items if i.requires_shipping)
    return cart_key(rate.destination.country, rate.destination.postal_code, rate.destination.address1 or "", items)


def quote_row(
    *,
    source: str,
    reason: str,
    latency_ms: float,
    body: dict[str, Any],
    destination_country: str,
    destination_postal: str,
    currency: str,
    correlation_id: str,
    cart: str = "",
) -> dict[str, Any]:
    now = datetime.now(UTC)
    rates = [{"code": r.get("service_code"), "price": r.get("total_price")} for r in body.get("rates", [])]
    return {
        "PartitionKey": now.strftime("%Y-%m-%d"),
        "RowKey": f"{now.strftime('%H%M%S%f')}-{uuid.uuid4().hex[:8]}",
        "Source": source,
        "Reason": reason[:500],
        "LatencyMs": round(latency_ms, 1),
        "Rates": json.dumps(rates),
        "Currency": currency,
        "Country": destination_country,
        "PostalPrefix": (destination_postal or "")[:3],
        "CorrelationId": correlation_id,
        "Cart": cart,
    }


class QuoteRecorder(BatchWriter):
    """Quote rows, buffered and written in batches (see ``shared.batch_writer`` for the loss window)."""

    def __init__(self, storage_factory: Callable[[], Storage], interval_s: float = FLUSH_INTERVAL_S) -> None:
        super().__init__(storage_factory, tables.RATE_QUOTES, interval_s, MAX_BUFFER, "rates.audit_failed")


def day_counts(storage: Storage, day: str) -> dict[str, int]:
    rows = storage.table(tables.RATE_QUOTES).query_entities(
        "PartitionKey eq @d", parameters={"d": day}, select=["Source"]
    )
    return dict(Counter(str(r.get("Source", "")) for r in rows))
