"""Which queue each Shopify webhook topic goes to."""

from __future__ import annotations

from shared import queues
from shared.queues import COMPLIANCE_TOPICS, CRM_TOPICS, CUSTOMER_TOPICS, ORDER_TOPICS, REFUND_CREATE, REFUND_TOPICS


def queue_for(topic: str) -> str | None:
    """The queue name for ``topic``, or None when the integration does not handle it."""
    if topic in ORDER_TOPICS:
        return queues.ORDERS
    if topic in REFUND_TOPICS:
        return queues.REFUNDS
    if topic in CUSTOMER_TOPICS:
        return queues.CUSTOMERS
    if topic in COMPLIANCE_TOPICS:
        return queues.COMPLIANCE
    return None


def also_for_crm(topic: str, crm_enabled: bool) -> bool:
    """Whether a webhook of ``topic`` is fanned out to queue ``crm`` as well."""
    return crm_enabled and topic in CRM_TOPICS


def resource_id(topic: str, payload: dict) -> str:
    """The id of the Shopify resource a webhook is about (used for pointers, logs and redaction)."""
    if topic == REFUND_CREATE:
        value = payload.get("order_id") or payload.get("id")
    elif topic in COMPLIANCE_TOPICS:
        customer = payload.get("customer")
        customer_id = customer.get("id") if isinstance(customer, dict) else None
        value = customer_id or payload.get("shop_id") or payload.get("id")
    else:
        value = payload.get("id")
    return str(value) if value not in (None, "") else "unknown"
