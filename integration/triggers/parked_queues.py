"""Queue functions for flows that are not built yet.

Each records every envelope in the inbox (status ``parked``) and says so in its log, so nothing is
lost before its flow lands; a flow's own blueprint replaces its entry in ``PARKED``.
"""

from __future__ import annotations

from collections.abc import Callable

import azure.functions as func

from integration.inbox import park
from integration.webhooks.envelope import Envelope
from shared.logs import correlation_id, get_logger, log_event
from shared.storage import get_storage

bp = func.Blueprint()
log = get_logger(__name__)

# function name -> (queue, flow). Empty: every queue has its flow (customers: triggers/customer_queue.py).
PARKED: dict[str, tuple[str, str]] = {}


def _parker(queue: str, flow: str) -> Callable[[func.QueueMessage], None]:
    def handle(msg: func.QueueMessage) -> None:
        envelope = Envelope.from_message(msg.get_body())
        correlation_id.set(envelope.correlation_id)
        park(get_storage(), envelope, queue, reason=f"{flow} flow not built yet")
        log_event(
            log,
            f"{flow}.parked",
            topic=envelope.topic,
            resource_id=envelope.resource_id,
            webhook_id=envelope.webhook_id,
            note=f"{flow} sync is not implemented yet; envelope parked",
        )

    return handle


for _name, (_queue, _flow) in PARKED.items():
    bp.function_name(_name)(
        bp.queue_trigger(arg_name="msg", queue_name=_queue, connection="AzureWebJobsStorage")(_parker(_queue, _flow))
    )
