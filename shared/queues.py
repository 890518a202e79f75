"""Queue names and message topics, each defined once.

Queue names are literals (not settings) because the trigger bindings name them too and a host cannot
start a queue trigger whose ``%SETTING%`` is missing. Topics are Shopify's webhook topics (the
``X-Shopify-Topic`` header, kept on every envelope) and the integration's own internal topics."""

ORDERS = "orders"
REFUNDS = "refunds"
CUSTOMERS = "customers"
COMPLIANCE = "compliance"
# The optional CRM flow (Dataverse) has its own queue, so F&O and CRM retry and fail independently.
CRM = "crm"

ALL = (ORDERS, REFUNDS, CUSTOMERS, COMPLIANCE, CRM)

# -- Shopify webhook topics, by the queue whose flow reads them ----------------------------------------
ORDER_CANCELLED = "orders/cancelled"
ORDER_TOPICS = frozenset({"orders/create", "orders/updated", "orders/paid", ORDER_CANCELLED})
REFUND_CREATE = "refunds/create"
REFUND_TOPICS = frozenset({REFUND_CREATE})
CUSTOMER_TOPICS = frozenset({"customers/create", "customers/update"})
# Compliance (GDPR/CPRA) and app lifecycle topics share one queue, consumed by the compliance function.
COMPLIANCE_TOPICS = frozenset({"customers/data_request", "customers/redact", "shop/redact", "app/uninstalled"})
# Also copied to the CRM queue when the CRM flow is on (DATAVERSE_URL set).
CRM_TOPICS = ORDER_TOPICS | REFUND_TOPICS | CUSTOMER_TOPICS
KNOWN_TOPICS = ORDER_TOPICS | REFUND_TOPICS | CUSTOMER_TOPICS | COMPLIANCE_TOPICS

# -- internal topics: envelopes the integration sends itself ------------------------------------------
# The ops API's resync/retry: no payload, the flow re-reads the document from its source
# (integration/ops/resync.py). Understood by the order, refund, customer and CRM flows.
RESYNC = "integration/resync"
ORDER_RETRY = "orders/retry"  # an order retried by ops (payload re-fetched from Shopify)
ORDER_RECONCILE = "orders/reconcile"  # an order found by the reconciliation timer


def poison(name: str) -> str:
    return f"{name}-poison"
