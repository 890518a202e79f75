"""Queue message -> refund flow, with the "not yet" backoff.

A refund that cannot be credited yet (money pending, order or invoice not in F&O) is put back on the
``refunds`` queue as the same message with a visibility timeout (exponential, capped), and the current
message completes. The wait state (first seen, attempts) lives in the refund record, so the horizon
holds across redeliveries; after it the refund becomes an exception. F&O/Shopify outages
(``D365Transient``/``ShopifyTransient``) raise instead: the host's own retries and poison queue apply.
"""

from __future__ import annotations

from typing import Any

from integration.refunds.service import Outcome, RefundService
from integration.webhooks.envelope import Envelope, load_payload
from shared import queues
from shared.storage import Storage


def refund_payload(service: RefundService, envelope: Envelope, storage: Storage) -> dict[str, Any]:
    payload = load_payload(envelope, storage)
    if envelope.topic == queues.RESYNC:
        return service.fetch_refund(str(payload.get("id") or envelope.resource_id))
    return payload


def process_message(storage: Storage, text: str, service: RefundService) -> Outcome:
    envelope = Envelope.from_message(text)
    outcome = service.handle(refund_payload(service, envelope, storage))
    if outcome.retry_after is not None:
        # Storage queues cap the visibility timeout at 7 days; the config caps it lower.
        storage.queue(queues.REFUNDS).send_message(text, visibility_timeout=max(0, int(outcome.retry_after)))
    return outcome
