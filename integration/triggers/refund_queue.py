"""Queue `refunds`: Shopify ``refunds/create`` webhooks and refund resyncs -> F&O credit notes."""

from __future__ import annotations

import azure.functions as func

from integration.refunds import flow, ops
from integration.webhooks.envelope import Envelope
from shared import queues
from shared.logs import correlation_id, get_logger, log_event
from shared.storage import get_storage

bp = func.Blueprint()
log = get_logger(__name__)
ops.register()  # the ops API shows refund records (no I/O: adds routes to the router)


@bp.function_name("refund_queue")
@bp.queue_trigger(arg_name="msg", queue_name=queues.REFUNDS, connection="AzureWebJobsStorage")
def refund_queue(msg: func.QueueMessage) -> None:
    text = msg.get_body().decode("utf-8")
    correlation_id.set(Envelope.from_message(text).correlation_id)
    outcome = flow.process_message(get_storage(), text)
    log_event(
        log,
        "refund.done",
        status=outcome.status,
        order_id=outcome.order_id,
        refund_id=outcome.refund_id,
        credit_note=outcome.credit_note or None,
        reason_code=outcome.reason_code or None,
        retry_in_s=outcome.retry_after,
        dequeue_count=msg.dequeue_count,
    )
