"""Quote audit: every rate answer served at checkout, for comparing quoted with charged freight and
for the cache-hit ratio on the dashboard. One row per quote in table ``ratequotes`` partitioned by
UTC day; no personal data (destination reduced to country and the first three postal characters)."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from azure.core.exceptions import AzureError

from shared.logs import get_logger, log_event
from shared.storage import Storage

QUOTES_TABLE = "ratequotes"
log = get_logger(__name__)


def record_quote(storage: Storage, *, source: str, reason: str, latency_ms: float, body: dict[str, Any],
                 destination_country: str, destination_postal: str, currency: str, correlation_id: str) -> None:
    """Never raises: the audit must not cost the shopper a rate."""
    now = datetime.now(UTC)
    rates = [{"code": r.get("service_code"), "price": r.get("total_price")} for r in body.get("rates", [])]
    try:
        storage.table(QUOTES_TABLE).create_entity({
            "PartitionKey": now.strftime("%Y-%m-%d"),
            "RowKey": f"{now.strftime('%H%M%S%f')}-{uuid.uuid4().hex[:8]}",
            "Source": source, "Reason": reason[:500], "LatencyMs": round(latency_ms, 1),
            "Rates": json.dumps(rates), "Currency": currency, "Country": destination_country,
            "PostalPrefix": (destination_postal or "")[:3], "CorrelationId": correlation_id,
        })
    except AzureError as error:
        log_event(log, "rates.audit_failed", error=type(error).__name__)


def day_counts(storage: Storage, day: str) -> dict[str, int]:
    rows = storage.table(QUOTES_TABLE).query_entities("PartitionKey eq @d", parameters={"d": day},
                                                      select=["Source"])
    return dict(Counter(str(r.get("Source", "")) for r in rows))
