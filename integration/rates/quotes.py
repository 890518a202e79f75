"""Quote audit: every rate answer served at checkout, for comparing quoted with charged freight and
for the cache-hit ratio on the dashboard. One row per quote in table ``ratequotes`` partitioned by
UTC day; no personal data (destination reduced to country and the first three postal characters).

Rows are buffered and written by a background thread in batches (one entity group transaction per
day partition, up to 100 rows): a Table insert per checkout request cost more CPU than the cached
answer itself. The buffer is bounded; what it drops under overload is counted and logged.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from shared.logs import get_logger, log_event
from shared.redact import keyed_digest
from shared.storage import Storage

QUOTES_TABLE = "ratequotes"
MAX_BUFFER = 10_000
FLUSH_INTERVAL_S = 0.5
log = get_logger(__name__)


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


class QuoteRecorder:
    """Buffers quote rows and writes them in batches from one daemon thread."""

    def __init__(self, storage_factory: Any, interval_s: float = FLUSH_INTERVAL_S) -> None:
        self._storage_factory = storage_factory
        self._buffer: deque[dict[str, Any]] = deque()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._interval = interval_s
        self._thread: threading.Thread | None = None
        self.dropped = 0
        self.written = 0

    def add(self, row: dict[str, Any]) -> None:
        with self._lock:
            if len(self._buffer) >= MAX_BUFFER:
                self._buffer.popleft()
                self.dropped += 1
            self._buffer.append(row)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="quote-audit", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            self._wake.wait(self._interval)
            self._wake.clear()
            self.flush()

    def flush(self) -> None:
        with self._lock:
            rows, self._buffer = list(self._buffer), deque()
        if not rows:
            return
        try:
            table = self._storage_factory().table(QUOTES_TABLE)
            by_day: dict[str, list[dict[str, Any]]] = {}
            for row in rows:
                by_day.setdefault(row["PartitionKey"], []).append(row)
            for day_rows in by_day.values():
                for start in range(0, len(day_rows), 100):
                    table.submit_transaction([("create", r) for r in day_rows[start : start + 100]])
            self.written += len(rows)
        except Exception as error:  # the audit must never cost the shopper a rate or crash the worker
            log_event(log, "rates.audit_failed", error=type(error).__name__, rows=len(rows), dropped=self.dropped)

    def wait_idle(self, timeout: float = 5.0) -> None:
        """Flush now and return (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        self.flush()
        while self._buffer and time.monotonic() < deadline:
            time.sleep(0.05)
            self.flush()


def day_counts(storage: Storage, day: str) -> dict[str, int]:
    rows = storage.table(QUOTES_TABLE).query_entities("PartitionKey eq @d", parameters={"d": day}, select=["Source"])
    return dict(Counter(str(r.get("Source", "")) for r in rows))
