"""customers/redact and shop/redact delete what the integration stored about the customer/shop."""

from __future__ import annotations

import uuid

from integration import compliance
from integration.inbox import INBOX_TABLE, park
from integration.webhooks.envelope import PAYLOAD_CONTAINER, Envelope, blob_name
from shared import queues
from shared.storage import Storage
from tests.conftest import sample


def test_customer_redact_deletes_order_and_customer_keyed_data(storage: Storage) -> None:
    payload = sample("shopify/shopify_dev__compliance_customers_redact.json")
    customer_id = str(payload["customer"]["id"])
    order_id = str(payload["orders_to_redact"][0])
    container = storage.container(PAYLOAD_CONTAINER)
    order_blob = blob_name("orders/create", order_id, str(uuid.uuid4()))
    customer_blob = blob_name("customers/update", customer_id, str(uuid.uuid4()))
    other_blob = blob_name("orders/create", "999", str(uuid.uuid4()))
    for name in (order_blob, customer_blob, other_blob):
        container.upload_blob(name, b'{"email": "someone@example.com"}', overwrite=True)
    parked = Envelope(
        topic="customers/update",
        webhook_id=str(uuid.uuid4()),
        resource_id=customer_id,
        payload={"id": int(customer_id), "email": "someone@example.com"},
    )
    park(storage, parked, queues.CUSTOMERS, "test")
    envelope = Envelope(topic="customers/redact", webhook_id=str(uuid.uuid4()), resource_id=customer_id)
    outcome = compliance.handle(storage, envelope, payload)
    assert outcome["status"] == "redacted" and outcome["blobs_deleted"] >= 2
    names = {b.name for b in container.list_blobs()}
    assert order_blob not in names and customer_blob not in names and other_blob in names
    rows = list(storage.table(INBOX_TABLE).query_entities("WebhookId eq @w", parameters={"w": parked.webhook_id}))
    assert rows == []
