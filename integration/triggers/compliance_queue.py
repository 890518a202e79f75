"""Queue `compliance`: customers/data_request, customers/redact, shop/redact, app/uninstalled."""

from __future__ import annotations

import azure.functions as func

from integration import bootstrap, compliance
from integration.webhooks.envelope import Envelope, load_payload
from shared import queues
from shared.logs import correlation_id, get_logger, log_event

bp = func.Blueprint()
log = get_logger(__name__)


@bp.function_name("compliance_queue")
@bp.queue_trigger(arg_name="msg", queue_name=queues.COMPLIANCE, connection="AzureWebJobsStorage")
def compliance_queue(msg: func.QueueMessage) -> None:
    envelope = Envelope.from_message(msg.get_body())
    correlation_id.set(envelope.correlation_id)
    storage = bootstrap.storage()
    outcome = compliance.handle(storage, envelope, load_payload(envelope, storage))
    log_event(log, "compliance.handled", webhook_id=envelope.webhook_id, **outcome)
