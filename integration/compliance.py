"""Shopify's mandatory compliance webhooks and app/uninstalled.

What the integration itself keeps of a customer is the webhook bodies it stored as blobs (large
payloads). ``customers/redact`` deletes those for the listed orders,
``shop/redact`` deletes all of them; ``customers/redact`` also drops the customer's link to their F&O
account (Table ``customerlinks``) and customer sync record, and clears the free text of exceptions and
audit rows about the customer or mentioning them (``integration/forget.py``). Every request is
recorded (without personal data) in the ``compliance`` table for the operations team;
``customers/data_request`` is recorded for a person to answer, since the ERP (not this integration)
is the system of record for customer data.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from azure.core.exceptions import ResourceNotFoundError

from integration.crm.records import forget_customer as forget_crm_customer
from integration.customers.service import forget_customer
from integration.forget import forget_in_records
from integration.webhooks.envelope import PAYLOAD_CONTAINER, Envelope
from shared import tables
from shared.storage import Storage, safe_key


def _delete_payload_blobs(storage: Storage, order_ids: list[str] | None) -> int:
    container = storage.container(PAYLOAD_CONTAINER)
    deleted = 0
    for blob in container.list_blobs():
        parts = blob.name.split("/")
        if order_ids is None or (len(parts) >= 2 and parts[1] in order_ids):
            try:
                container.delete_blob(blob.name)
                deleted += 1
            except ResourceNotFoundError:
                pass
    return deleted


def handle(storage: Storage, envelope: Envelope, payload: dict[str, Any]) -> dict[str, Any]:
    topic = envelope.topic
    outcome: dict[str, Any] = {"topic": topic}
    if topic == "customers/redact":
        orders = [str(o) for o in payload.get("orders_to_redact") or []]
        outcome["orders"] = len(orders)
        customer = payload.get("customer") if isinstance(payload.get("customer"), dict) else {}
        # Stored bodies of customers/* webhooks are keyed by the customer id.
        keys = orders + ([str(customer["id"])] if customer and customer.get("id") else [])
        outcome["blobs_deleted"] = _delete_payload_blobs(storage, keys)
        outcome["customer_links_dropped"] = forget_customer(storage, customer or {})
        outcome.update(forget_in_records(storage, customer or {}, orders))
        outcome["crm_links_dropped"] = forget_crm_customer(storage, customer or {})
        status = "redacted"
    elif topic == "shop/redact":
        outcome["blobs_deleted"] = _delete_payload_blobs(storage, None)
        status = "redacted"
    elif topic == "customers/data_request":
        outcome["orders_requested"] = len(payload.get("orders_requested") or [])
        status = "needs_person"
    else:  # app/uninstalled
        status = "recorded"
    storage.table(tables.COMPLIANCE).upsert_entity(
        {
            "PartitionKey": safe_key(topic),
            "RowKey": safe_key(envelope.webhook_id),
            "Status": status,
            "ShopId": str(payload.get("shop_id", "")),
            "CustomerId": str((payload.get("customer") or {}).get("id", "")),
            "DataRequestId": str((payload.get("data_request") or {}).get("id", "")),
            "Outcome": str(outcome),
            "HandledAt": datetime.now(UTC).isoformat(),
        }
    )
    outcome["status"] = status
    return outcome
