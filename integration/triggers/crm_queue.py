"""Queue `crm` (only fed when DATAVERSE_URL is set): Shopify orders, refunds and customers ->
Dataverse (integration/crm/)."""

from __future__ import annotations

import azure.functions as func

from integration import bootstrap
from integration.crm.entry import process
from integration.webhooks.envelope import Envelope
from shared import queues
from shared.logs import correlation_id, get_logger, log_event

bp = func.Blueprint()
log = get_logger(__name__)


@bp.function_name("crm_queue")
@bp.queue_trigger(arg_name="msg", queue_name=queues.CRM, connection="AzureWebJobsStorage")
def crm_queue(msg: func.QueueMessage) -> None:
    envelope = Envelope.from_message(msg.get_body())
    correlation_id.set(envelope.correlation_id)
    if bootstrap.settings().DATAVERSE_URL is None:  # the flow was switched off with messages still queued
        log_event(log, "crm.off", topic=envelope.topic, resource_id=envelope.resource_id)
        return
    outcome = process(bootstrap.crm_sync(), envelope)
    log_event(
        log,
        "crm.done",
        topic=envelope.topic,
        resource_id=envelope.resource_id,
        action=outcome.action,
        detail=outcome.detail,
        dequeue_count=msg.dequeue_count,
    )
