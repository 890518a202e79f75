"""Transient failures that outlast the queue's retries.

The host delivers a message at most ``maxDequeueCount`` times (host.json, 5) and then moves it to
``orders-poison``, where nobody would notice an order that simply could not reach F&O or Shopify
for a while. On the last delivery, a transient failure (``integration.errors.is_transient``) also opens a
``TRANSIENT_EXHAUSTED`` exception with the last error; the ops API's poison replay retries the
order, and the delivery that gets through resolves the exception (``OrderSync.handle``).
"""

from __future__ import annotations

from integration.orders import records as rec
from integration.orders.outcome import ENTITY, TRANSIENT_EXHAUSTED, OrderLedger
from shared.logs import get_logger, log_event

# host.json extensions.queues.maxDequeueCount (tests/integration/orders/test_order_exhausted.py keeps them equal).
MAX_DEQUEUE_COUNT = 5
log = get_logger(__name__)


def is_last_delivery(dequeue_count: int) -> bool:
    return dequeue_count >= MAX_DEQUEUE_COUNT


def record_exhausted(ledger: OrderLedger, order_id: str, topic: str, error: BaseException, dequeue_count: int) -> None:
    """Open the ``TRANSIENT_EXHAUSTED`` exception (and note it on the order record). Never raises:
    the caller re-raises the original error so the host still moves the message to poison."""
    last_error = f"{type(error).__name__}: {error}"[:1000]
    try:
        record = ledger.records.get(order_id) or rec.OrderRecord(shopify_order_id=order_id)
        record.reason_code, record.last_error = TRANSIENT_EXHAUSTED, last_error
        ledger.records.save(record)
        ledger.exceptions.open(
            ENTITY,
            order_id,
            TRANSIENT_EXHAUSTED,
            f"order {record.order_name or order_id} failed on {dequeue_count} deliveries with "
            f"transient errors and goes to the poison queue; replay it once the system is back. "
            f"Last error: {last_error}",
            {
                "topic": topic,
                "dequeue_count": dequeue_count,
                "error_type": type(error).__name__,
                "last_error": last_error,
                "status": getattr(error, "status", None),
                "sales_order": record.sales_order_number,
                "record_status": record.status,
            },
        )
        ledger.audit.record(ENTITY, order_id, "exhausted", TRANSIENT_EXHAUSTED, details={"topic": topic})
    except Exception as failure:  # storage itself may be what is down
        log_event(log, "order.exhausted_unrecorded", order_id=order_id, error=type(failure).__name__)
