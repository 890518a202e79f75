"""The order queue function on the host's last delivery: a transient failure opens TRANSIENT_EXHAUSTED
(and still fails, so the host moves the message to poison); the replay that gets through resolves it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import azure.functions as func
import pytest
from azure.functions.queue import QueueMessage

from integration import bootstrap
from integration.cases import ExceptionStore
from integration.clients.d365 import D365Transient
from integration.errors import is_transient
from integration.orders.exhausted import MAX_DEQUEUE_COUNT, is_last_delivery
from integration.orders.records import OrderRecords
from integration.triggers import order_queue
from integration.webhooks.envelope import Envelope
from tests.conftest import present
from tests.integration.orders.conftest import good_order

pytestmark = pytest.mark.azurite


def test_last_delivery_matches_host_json() -> None:
    host = json.loads((Path(__file__).resolve().parents[3] / "host.json").read_text())
    assert host["extensions"]["queues"]["maxDequeueCount"] == MAX_DEQUEUE_COUNT
    assert not is_last_delivery(MAX_DEQUEUE_COUNT - 1) and is_last_delivery(MAX_DEQUEUE_COUNT)
    assert is_transient(D365Transient(503, "x")) and not is_transient(ValueError("bug"))


@pytest.fixture
def queue_function(app_env, clean_storage, admin, fo_server, shop_server, monkeypatch) -> Iterator[Any]:
    for key, value in {
        "D365_URL": fo_server.url,
        "D365_LEGAL_ENTITY": "usmf",
        "D365_TOKEN": "local-dev-token",
        "SHOPIFY_ADMIN_URL": shop_server.url,
        "SHOPIFY_ADMIN_TOKEN": "shpat_local_dev",
    }.items():
        monkeypatch.setenv(key, value)
    bootstrap.reset()
    app = func.FunctionApp()
    app.register_functions(order_queue.bp)
    [function] = app.get_functions()
    yield function.get_user_function()
    bootstrap.reset()


def message(order: dict, dequeue_count: int) -> QueueMessage:
    envelope = Envelope(
        topic="orders/create", webhook_id=f"w-{order['id']}", resource_id=str(order["id"]), payload=order
    )
    return QueueMessage(body=envelope.to_message().encode(), dequeue_count=dequeue_count)


def test_transient_failure_on_the_last_delivery_opens_an_exception_then_replay_resolves(
    queue_function, admin, clean_storage
):
    order = admin.shop_order(good_order())
    admin.fo_faults(rate_503=1.0, paths=r"^/data/")
    with pytest.raises(D365Transient):  # an earlier delivery: the queue retries, no exception yet
        queue_function(message(order, MAX_DEQUEUE_COUNT - 1))
    assert ExceptionStore(clean_storage).get("order", str(order["id"])) is None
    with pytest.raises(D365Transient):  # the last delivery: still raised (-> poison), and visible to ops
        queue_function(message(order, MAX_DEQUEUE_COUNT))
    record = present(ExceptionStore(clean_storage).get("order", str(order["id"])))
    assert (record.status, record.reason_code) == ("open", "TRANSIENT_EXHAUSTED")
    assert record.values["dequeue_count"] == MAX_DEQUEUE_COUNT and "503" in record.values["last_error"]
    assert present(OrderRecords(clean_storage).get(order["id"])).reason_code == "TRANSIENT_EXHAUSTED"
    admin.fo_faults()
    queue_function(message(order, 1))  # the ops poison replay puts the message back verbatim
    assert present(ExceptionStore(clean_storage).get("order", str(order["id"]))).status == "resolved"
    assert present(OrderRecords(clean_storage).get(order["id"])).status == "created"
    assert len(admin.fo_rows("SalesOrderHeadersV2")) == 1


def test_replay_of_an_order_already_in_fo_also_resolves(queue_function, admin, clean_storage):
    order = admin.shop_order(good_order())
    queue_function(message(order, 1))
    # A later delivery of the order met an outage five times (the order is already in F&O):
    bootstrap.order_sync().transient_exhausted(
        str(order["id"]), "orders/updated", D365Transient(503, "down"), MAX_DEQUEUE_COUNT
    )
    assert present(ExceptionStore(clean_storage).get("order", str(order["id"]))).reason_code == "TRANSIENT_EXHAUSTED"
    queue_function(message(order, 1))  # nothing to do for F&O (fingerprint equal): still resolves
    assert present(ExceptionStore(clean_storage).get("order", str(order["id"]))).status == "resolved"
    assert present(OrderRecords(clean_storage).get(order["id"])).reason_code == ""
