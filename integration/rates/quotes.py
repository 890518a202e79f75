"""Quote audit: every rate answer served at checkout, for comparing quoted with charged freight and
for the cache-hit ratio on the dashboard. One JSON line per quote in append blobs of container
``ratequotes``, ``<UTC day>/<hour>/<writer>.ndjson`` (``shared.append_log``); no personal data
(destination reduced to country and the first three postal characters, the cart as a keyed digest).

The request path only builds the record and puts it in a bounded buffer; a background thread appends
everything buffered as one block every 0.5 s (one round trip per flush, whatever the number of quotes).
It replaced a Table (entity group transactions per day): building and parsing those multipart batches
was a third of the host's CPU per cache hit.

Loss window on a crash: the quotes of the last flush interval (0.5 s) at most, plus a flush in progress
(an append is all or nothing). Readers (``day_quotes``: the dashboard counts, the freight audit's quote
match) read whole days; retention deletes whole days (``integration.retention.purge_rate_quotes``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from shared.append_log import AppendLog, read_lines
from shared.redact import keyed_digest
from shared.storage import Storage

CONTAINER = "ratequotes"  # append blobs <YYYY-MM-DD>/<HH>/<writer>.ndjson, created on first use
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
    at: datetime | None = None,
) -> dict[str, Any]:
    """One quote record. ``rates``: Shopify's service codes and prices (subunits, as answered)."""
    return {
        "at": (at or datetime.now(UTC)).isoformat(timespec="microseconds"),
        "source": source,
        "reason": reason[:500],
        "latency_ms": round(latency_ms, 1),
        "rates": [{"code": r.get("service_code"), "price": r.get("total_price")} for r in body.get("rates", [])],
        "currency": currency,
        "country": destination_country,
        "postal_prefix": (destination_postal or "")[:3],
        "correlation_id": correlation_id,
        "cart": cart,
    }


class QuoteRecorder(AppendLog):
    """Quote records, buffered and appended in blocks (see ``shared.append_log`` for the loss window)."""

    def __init__(self, storage_factory: Callable[[], Storage], interval_s: float = FLUSH_INTERVAL_S) -> None:
        super().__init__(storage_factory, CONTAINER, interval_s, MAX_BUFFER, "rates.audit_failed")


def day_quotes(storage: Storage, day: str) -> Iterator[dict[str, Any]]:
    """Every quote recorded on a UTC day (``YYYY-MM-DD``), writer by writer, oldest hour first; none for
    text that is not such a day (an ops caller's ``day`` goes into a blob prefix)."""
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", day):
        return iter(())
    return read_lines(storage, CONTAINER, f"{day}/")


def day_counts(storage: Storage, day: str) -> dict[str, int]:
    """Quotes per source on a day. A record appended twice (an Append Block retried after its answer was
    lost, or a flush put back after a transient failure) counts once: same correlation id and time."""
    seen: set[tuple[str, str]] = set()
    counts: Counter[str] = Counter()
    for row in day_quotes(storage, day):
        if not isinstance(row, dict):
            continue
        key = (str(row.get("correlation_id", "")), str(row.get("at", "")))
        if key[0] and key in seen:
            continue
        seen.add(key)
        counts[str(row.get("source", ""))] += 1
    return dict(counts)
