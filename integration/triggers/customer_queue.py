"""Queue `customers`: customers/create and customers/update -> the linked F&O customer's contact fields
(integration/customers/service.py)."""

from __future__ import annotations

import azure.functions as func

from integration import bootstrap
from integration.webhooks.envelope import Envelope, load_payload
from shared import queues
from shared.lease import LeaseBusy
from shared.logs import correlation_id, get_logger, log_event

bp = func.Blueprint()
log = get_logger(__name__)


@bp.function_name("customer_queue")
@bp.queue_trigger(arg_name="msg", queue_name=queues.CUSTOMERS, connection="AzureWebJobsStorage")
def customer_queue(msg: func.QueueMessage) -> None:
    envelope = Envelope.from_message(msg.get_body())
    correlation_id.set(envelope.correlation_id)
    try:
        outcome = bootstrap.customer_sync().handle(envelope.topic, load_payload(envelope, bootstrap.storage()))
    except LeaseBusy as busy:
        # Another delivery for this customer is writing: back on the queue until its lease ends.
        bootstrap.storage().queue(queues.CUSTOMERS).send_message(
            msg.get_body().decode("utf-8"), visibility_timeout=int(busy.retry_after_s) + 1
        )
        log_event(log, "customer.busy", topic=envelope.topic, resource_id=envelope.resource_id)
        return
    log_event(
        log,
        "customer.done",
        topic=envelope.topic,
        resource_id=envelope.resource_id,
        action=outcome.action,
        account=outcome.account,
        detail=outcome.detail,
        dequeue_count=msg.dequeue_count,
    )
