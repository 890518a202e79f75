"""Queue `orders`: orders/create, orders/updated, orders/paid, orders/cancelled, ops retries and
reconciliation pointers -> one F&O sales order per Shopify order (integration/orders/service.py).
On the host's last delivery a transient failure also opens a TRANSIENT_EXHAUSTED exception before the
message goes to poison (integration/orders/exhausted.py)."""

from __future__ import annotations

import azure.functions as func

from integration import bootstrap
from integration.errors import is_transient
from integration.orders.exhausted import is_last_delivery
from integration.webhooks.envelope import Envelope, load_payload
from shared import queues
from shared.lease import LeaseBusy
from shared.logs import correlation_id, get_logger, log_event

bp = func.Blueprint()
log = get_logger(__name__)


@bp.function_name("order_queue")
@bp.queue_trigger(arg_name="msg", queue_name=queues.ORDERS, connection="AzureWebJobsStorage")
def order_queue(msg: func.QueueMessage) -> None:
    envelope = Envelope.from_message(msg.get_body())
    correlation_id.set(envelope.correlation_id)
    log_event(
        log,
        "order.received",
        topic=envelope.topic,
        resource_id=envelope.resource_id,
        webhook_id=envelope.webhook_id,
        dequeue_count=msg.dequeue_count,
    )
    sync = bootstrap.order_sync()
    try:
        payload = load_payload(envelope, bootstrap.storage()) if envelope.payload or envelope.payload_blob else None
        outcome = sync.handle(envelope.topic, payload, envelope.resource_id, envelope.correlation_id)
    except LeaseBusy as busy:
        # Another delivery of this order is writing: back on the queue until its lease ends (no poison).
        bootstrap.storage().queue(queues.ORDERS).send_message(
            msg.get_body().decode("utf-8"), visibility_timeout=int(busy.retry_after_s) + 1
        )
        log_event(log, "order.busy", topic=envelope.topic, resource_id=envelope.resource_id)
        return
    except Exception as error:
        deliveries = msg.dequeue_count or 0
        if is_last_delivery(deliveries) and is_transient(error):
            sync.transient_exhausted(envelope.resource_id, envelope.topic, error, deliveries)
        raise
    log_event(
        log,
        "order.handled",
        topic=envelope.topic,
        resource_id=envelope.resource_id,
        status=outcome.status,
        action=outcome.action,
        sales_order=outcome.sales_order_number,
        detail=outcome.detail,
    )
