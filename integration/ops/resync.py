"""Resync and retry: put a document back through its flow.

A resync message is an ordinary envelope with topic ``integration/resync`` and no payload: the flow
re-reads the document from its source (the Shopify Admin API for orders and refunds) and runs as if a
webhook had arrived. Flows that need something else register their own retry handler.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from integration.webhooks.envelope import Envelope
from shared import queues
from shared.logs import correlation_id
from shared.storage import Storage

RESYNC_TOPIC = "integration/resync"

# entity -> queue whose flow understands resync envelopes for it
RESYNC_QUEUES = {"order": queues.ORDERS, "refund": queues.REFUNDS, "customer": queues.CUSTOMERS}

# entity -> custom retry (e.g. inventory runs a sync, fulfillment re-reads a packing slip)
RetryHandler = Callable[[Storage, str], str]
RETRY_HANDLERS: dict[str, RetryHandler] = {}


class UnknownEntity(ValueError):
    pass


def resync_envelope(entity: str, entity_id: str, reason: str, parent: str = "") -> Envelope:
    """``entity_id`` is the Shopify id (an order id; for a refund ``<order id>/<refund id>``)."""
    return Envelope(
        topic=RESYNC_TOPIC,
        webhook_id=f"resync-{uuid.uuid4()}",
        event_id="",
        received_at=datetime.now(UTC).isoformat(),
        correlation_id=correlation_id.get() or uuid.uuid4().hex,
        resource_id=str(entity_id),
        payload={"entity": entity, "id": str(entity_id), "reason": reason, "parent": parent},
    )


def request_resync(storage: Storage, entity: str, entity_id: str, reason: str) -> str:
    """Queue a document for another pass through its flow; returns what was done, for the caller."""
    if entity in RETRY_HANDLERS:
        return RETRY_HANDLERS[entity](storage, str(entity_id))
    queue = RESYNC_QUEUES.get(entity)
    if queue is None:
        raise UnknownEntity(f"cannot resync {entity!r}: known are {sorted(set(RESYNC_QUEUES) | set(RETRY_HANDLERS))}")
    envelope = resync_envelope(entity, entity_id, reason)
    storage.queue(queue).send_message(envelope.to_message())
    return f"queued on {queue} as {envelope.webhook_id}"
