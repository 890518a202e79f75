"""The inbox: every envelope a queue function has taken, recorded before the flow runs.

Until a flow exists for a queue, its function records the envelope here (status ``parked``) so
nothing is dropped: the ops replay can feed parked envelopes to the flow once it lands.
"""

from __future__ import annotations

from datetime import UTC, datetime

from azure.data.tables import UpdateMode

from integration.webhooks.envelope import Envelope
from shared.storage import Storage, safe_key

INBOX_TABLE = "inbox"


def park(storage: Storage, envelope: Envelope, queue: str, reason: str) -> None:
    storage.table(INBOX_TABLE).upsert_entity({
        "PartitionKey": safe_key(queue),
        "RowKey": safe_key(f"{envelope.topic}|{envelope.webhook_id}"),
        "Status": "parked",
        "Reason": reason,
        "Topic": envelope.topic,
        "ResourceId": envelope.resource_id,
        "WebhookId": envelope.webhook_id,
        "CorrelationId": envelope.correlation_id,
        "Message": envelope.to_message() if envelope.payload is None else "",
        "PayloadBlob": envelope.payload_blob or "",
        "ParkedAt": datetime.now(UTC).isoformat(),
    }, mode=UpdateMode.REPLACE)
