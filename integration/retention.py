"""Retention: forget webhook de-duplication records and stored payloads after N days, and checkout
quotes (append blobs in container ``ratequotes``, a folder per UTC day) after ``RATE_QUOTES_RETENTION_DAYS``.

Shopify retries a delivery for at most 4 hours and reconciliation looks back days, so two weeks of
de-duplication history (``WEBHOOK_RETENTION_DAYS``, default 14) is ample.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from integration.rates import quotes
from integration.webhooks.envelope import PAYLOAD_CONTAINER
from shared import tables
from shared.append_log import delete_days_before
from shared.storage import Storage


def purge(storage: Storage, days: int, now: datetime | None = None) -> dict[str, int]:
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    table = storage.table(tables.WEBHOOKS)
    records = 0
    for entity in table.query_entities(
        "Timestamp lt @cutoff", parameters={"cutoff": cutoff}, select=["PartitionKey", "RowKey"]
    ):
        table.delete_entity(entity["PartitionKey"], entity["RowKey"])
        records += 1
    container = storage.container(PAYLOAD_CONTAINER)
    blobs = 0
    for blob in container.list_blobs():
        if blob.last_modified and blob.last_modified < cutoff:
            container.delete_blob(blob.name)
            blobs += 1
    return {"records_deleted": records, "blobs_deleted": blobs}


def purge_rate_quotes(storage: Storage, days: int, now: datetime | None = None) -> int:
    """Delete the quote blobs of UTC days older than ``days`` (whole days); the number of blobs deleted."""
    cutoff = ((now or datetime.now(UTC)) - timedelta(days=days)).strftime("%Y-%m-%d")
    return delete_days_before(storage, quotes.CONTAINER, cutoff)
