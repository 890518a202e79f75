"""The inbox: envelopes parked because their flow is not built (or not enabled) yet.

The queue function records each envelope (status ``parked``, the message itself in blob container
``inbox``) so nothing is dropped; :func:`replay_parked` puts them back on their queue once the flow
exists (ops API / CLI).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import UpdateMode

from integration.webhooks.envelope import Envelope
from shared.storage import Storage, safe_key

INBOX_TABLE = "inbox"
INBOX_CONTAINER = "inbox"


def blob_path(queue: str, row_key: str) -> str:
    """Where a parked envelope is kept (compliance redaction deletes by this path too)."""
    return f"{safe_key(queue)}/{row_key}.json"


def park(storage: Storage, envelope: Envelope, queue: str, reason: str) -> None:
    row_key = safe_key(f"{envelope.topic}|{envelope.webhook_id}")
    storage.container(INBOX_CONTAINER).upload_blob(blob_path(queue, row_key), envelope.to_message(), overwrite=True)
    storage.table(INBOX_TABLE).upsert_entity(
        {
            "PartitionKey": safe_key(queue),
            "RowKey": row_key,
            "Status": "parked",
            "Reason": reason,
            "Topic": envelope.topic,
            "ResourceId": envelope.resource_id,
            "WebhookId": envelope.webhook_id,
            "CorrelationId": envelope.correlation_id,
            "ParkedAt": datetime.now(UTC).isoformat(),
        },
        mode=UpdateMode.REPLACE,
    )


def replay_parked(storage: Storage, queue: str, limit: int = 1000, dry_run: bool = False) -> dict[str, Any]:
    """Re-enqueue parked envelopes of ``queue`` (oldest first) and mark them replayed."""
    table = storage.table(INBOX_TABLE)
    rows = sorted(
        table.query_entities("PartitionKey eq @q and Status eq 'parked'", parameters={"q": safe_key(queue)}),
        key=lambda r: r.get("ParkedAt", ""),
    )
    rows = rows[:limit]
    if dry_run:
        return {"queue": queue, "dry_run": True, "would_replay": len(rows)}
    container = storage.container(INBOX_CONTAINER)
    replayed = 0
    for row in rows:
        try:
            message = container.download_blob(blob_path(queue, row["RowKey"])).readall().decode()
        except ResourceNotFoundError:
            continue
        storage.queue(queue).send_message(message)
        table.update_entity(
            {
                "PartitionKey": row["PartitionKey"],
                "RowKey": row["RowKey"],
                "Status": "replayed",
                "ReplayedAt": datetime.now(UTC).isoformat(),
            },
            mode=UpdateMode.MERGE,
        )
        replayed += 1
    return {"queue": queue, "replayed": replayed}
