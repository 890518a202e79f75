import pytest

from integration.webhooks.topics import queue_for, resource_id
from shared import queues
from shared.queues import KNOWN_TOPICS
from tests.conftest import sample


@pytest.mark.parametrize(
    "topic,queue",
    [
        ("orders/create", queues.ORDERS),
        ("orders/updated", queues.ORDERS),
        ("orders/paid", queues.ORDERS),
        ("orders/cancelled", queues.ORDERS),
        ("refunds/create", queues.REFUNDS),
        ("customers/create", queues.CUSTOMERS),
        ("customers/update", queues.CUSTOMERS),
        ("customers/data_request", queues.COMPLIANCE),
        ("customers/redact", queues.COMPLIANCE),
        ("shop/redact", queues.COMPLIANCE),
        ("app/uninstalled", queues.COMPLIANCE),
    ],
)
def test_routing(topic: str, queue: str) -> None:
    assert queue_for(topic) == queue
    assert topic in KNOWN_TOPICS


@pytest.mark.parametrize("topic", ["products/update", "", "orders/create ", "ORDERS/CREATE"])
def test_unknown_topics_are_not_routed(topic: str) -> None:
    assert queue_for(topic) is None


def test_resource_ids_from_samples() -> None:
    order = sample("shopify/shopify_python_api__fixtures__order.json")
    order = order.get("order", order)
    assert resource_id("orders/create", order) == str(order["id"])
    refund = sample("shopify/pipedream__refunds_create__test_event.json")
    assert resource_id("refunds/create", refund) == str(refund["order_id"])
    redact = sample("shopify/shopify_dev__compliance_customers_redact.json")
    assert resource_id("customers/redact", redact) == str(redact["customer"]["id"])
    assert resource_id("orders/create", {}) == "unknown"
