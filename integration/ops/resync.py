"""Resync and retry: put a document back through its flow.

A resync message is an ordinary envelope with topic ``integration/resync`` and no payload: the flow
re-reads the document from its source (the Shopify Admin API for orders and refunds) and runs as if a
webhook had arrived. Flows that need something else have their own retry handler, handed to
:func:`request_resync` by the ops router (``integration.bootstrap.ops_router``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from integration.webhooks.envelope import Envelope
from shared import queues
from shared.logs import correlation_id
from shared.storage import Storage

# entity -> queue whose flow understands resync envelopes for it ("crm-order": the CRM flow re-reads
# the order from the Shopify Admin API)
RESYNC_QUEUES = {
    "order": queues.ORDERS,
    "refund": queues.REFUNDS,
    "customer": queues.CUSTOMERS,
    "crm-order": queues.CRM,
    "crm-contact": queues.CRM,
}

# entity -> custom retry (e.g. fulfillment re-reads a packing slip and syncs it at once)
RetryHandler = Callable[[Storage, str], str]


class UnknownEntity(ValueError):
    pass


def resync_envelope(entity: str, entity_id: str, reason: str, parent: str = "") -> Envelope:
    """``entity_id`` is the Shopify id (an order id; for a refund ``<order id>/<refund id>``)."""
    return Envelope(
        topic=queues.RESYNC,
        webhook_id=f"resync-{uuid.uuid4()}",
        event_id="",
        received_at=datetime.now(UTC).isoformat(),
        correlation_id=correlation_id.get() or uuid.uuid4().hex,
        resource_id=str(entity_id),
        payload={"entity": entity, "id": str(entity_id), "reason": reason, "parent": parent},
    )


def request_resync(
    storage: Storage, entity: str, entity_id: str, reason: str, handlers: Mapping[str, RetryHandler] | None = None
) -> str:
    """Queue a document for another pass through its flow (or run its ``handlers`` entry); returns what
    was done, for the caller."""
    handlers = handlers or {}
    if entity in handlers:
        return handlers[entity](storage, str(entity_id))
    queue = RESYNC_QUEUES.get(entity)
    if queue is None:
        raise UnknownEntity(f"cannot resync {entity!r}: known are {sorted(set(RESYNC_QUEUES) | set(handlers))}")
    envelope = resync_envelope(entity, entity_id, reason)
    storage.queue(queue).send_message(envelope.to_message())
    return f"queued on {queue} as {envelope.webhook_id}"
