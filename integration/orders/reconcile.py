"""Reconciliation: webhooks are not guaranteed, so a timer lists recently updated Shopify orders
(``updated_at`` window that overlaps the previous run) and queues every order that never reached
F&O (no order record, or still ``pending``). Orders already in F&O, blocked on an exception or
cancelled are left alone: their state is known."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import UpdateMode

from integration.clients.shopify import ShopifyAdmin
from integration.orders import records as rec
from integration.webhooks.envelope import Envelope, fits_inline
from shared import queues, tables
from shared.logs import correlation_id
from shared.storage import Storage

OVERLAP = timedelta(minutes=10)


def order_message(order_id: str, topic: str = queues.ORDER_RETRY, payload: dict[str, Any] | None = None) -> str:
    """A queue message for the order flow without a webhook (ops retry, reconciliation). Without a
    payload the flow re-fetches the order from the Admin API."""
    envelope = Envelope(
        topic=topic,
        webhook_id=f"{topic.split('/')[1]}-{order_id}-{uuid.uuid4().hex[:8]}",
        resource_id=str(order_id),
        correlation_id=correlation_id.get() or uuid.uuid4().hex,
        received_at=datetime.now(UTC).isoformat(),
        payload=payload,
    )
    if payload is not None and not fits_inline(envelope):
        envelope.payload = None
    return envelope.to_message()


QUEUE, IN_FO, BLOCKED, CANCELLED = "queue", "in_fo", "blocked", "cancelled"


def reconcile_state(record: rec.OrderRecord | None) -> str:
    """The reconciliation rule (the timer and the ops backfill): an order with no record, or one still
    ``pending``, never reached F&O and is queued again (:data:`QUEUE`). In F&O, blocked on an
    exception or cancelled: its state is known and it is left alone."""
    if record is None or record.status == rec.PENDING:
        return QUEUE
    if record.status in rec.IN_FO:
        return IN_FO
    return BLOCKED if record.status == rec.BLOCKED else CANCELLED


def _window(storage: Storage, now: datetime, lookback: timedelta) -> datetime:
    try:
        last = storage.table(tables.SYNC_STATE).get_entity("orders", "reconcile")["LastRunAt"]
        start = datetime.fromisoformat(str(last))
    except (ResourceNotFoundError, KeyError, ValueError):
        start = now - lookback
    return max(start - OVERLAP, now - lookback)


def reconcile(
    storage: Storage,
    shopify: ShopifyAdmin,
    lookback_minutes: int = 120,
    now: datetime | None = None,
    max_orders: int = 5000,
) -> dict[str, int]:
    now = now or datetime.now(UTC)
    since = _window(storage, now, timedelta(minutes=lookback_minutes))
    records = rec.OrderRecords(storage)
    queue = storage.queue(queues.ORDERS)
    seen = queued = 0
    for order in shopify.list_orders(since.isoformat(), now.isoformat()):
        seen += 1
        record = records.get(str(order["id"]))
        if reconcile_state(record) == QUEUE:
            queue.send_message(order_message(str(order["id"]), queues.ORDER_RECONCILE, order))
            queued += 1
        if seen >= max_orders:
            break
    storage.table(tables.SYNC_STATE).upsert_entity(
        {"PartitionKey": "orders", "RowKey": "reconcile", "LastRunAt": now.isoformat(), "Seen": seen, "Queued": queued},
        mode=UpdateMode.REPLACE,
    )
    return {"seen": seen, "queued": queued, "window_start": int(since.timestamp())}
