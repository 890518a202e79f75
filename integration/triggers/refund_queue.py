"""Queue `refunds`: Shopify ``refunds/create`` webhooks and refund resyncs -> F&O credit notes."""

from __future__ import annotations

import azure.functions as func

from integration import bootstrap
from integration.refunds import flow
from integration.webhooks.envelope import Envelope
from shared import queues
from shared.logs import correlation_id, get_logger, log_event

bp = func.Blueprint()
log = get_logger(__name__)


@bp.function_name("refund_queue")
@bp.queue_trigger(arg_name="msg", queue_name=queues.REFUNDS, connection="AzureWebJobsStorage")
def refund_queue(msg: func.QueueMessage) -> None:
    text = msg.get_body().decode("utf-8")
    correlation_id.set(Envelope.from_message(text).correlation_id)
    outcome = flow.process_message(bootstrap.storage(), text, bootstrap.refund_service())
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
