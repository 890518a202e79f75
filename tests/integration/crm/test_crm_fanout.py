"""Webhook intake fans the CRM topics out to queue ``crm`` only when DATAVERSE_URL is set, and the ``crm``
queue's consumer works while F&O is unreachable (the two flows fail independently)."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from integration.clients.dataverse import DataverseClient
from integration.crm.config import CrmConfig
from integration.crm.entry import process
from integration.crm.service import CrmSync
from integration.webhooks.envelope import Envelope
from integration.webhooks.intake import WebhookIntake
from integration.webhooks.signature import sign
from shared import queues
from shared.settings import load_settings
from shared.storage import Storage
from tests.conftest import SHOP, WEBHOOK_SECRET
from tests.crm_fixtures import dv, dv_admin, dv_server, rows
from tests.integration.crm.test_crm_sync import order_body

__all__ = ["dv", "dv_admin", "dv_server"]


def deliver(intake: WebhookIntake, topic: str, payload: dict) -> None:
    body = json.dumps(payload).encode()
    headers = {
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": sign(body, WEBHOOK_SECRET),
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        "X-Shopify-Shop-Domain": SHOP,
        "Content-Type": "application/json",
    }
    assert intake.handle(headers, body).status == 200


def messages(storage: Storage, name: str) -> list[Envelope]:
    found = []
    queue = storage.queue(name)
    for message in queue.receive_messages(max_messages=32, visibility_timeout=30):
        found.append(Envelope.from_message(message.content))
        queue.delete_message(message)
    return found


def intake_for(storage: Storage, **extra: str) -> WebhookIntake:
    for name in queues.ALL:
        storage.queue(name).clear_messages()
    settings = load_settings({"SHOPIFY_API_SECRET": WEBHOOK_SECRET, "SHOPIFY_SHOP_DOMAIN": SHOP, **extra})
    return WebhookIntake(settings, storage)


def test_no_crm_messages_without_dataverse_url(storage: Storage) -> None:
    intake = intake_for(storage)
    deliver(intake, "orders/create", order_body())
    assert len(messages(storage, queues.ORDERS)) == 1
    assert messages(storage, queues.CRM) == []


@pytest.mark.parametrize(
    ("topic", "primary"),
    [("orders/create", queues.ORDERS), ("refunds/create", queues.REFUNDS), ("customers/update", queues.CUSTOMERS)],
)
def test_crm_topics_fan_out_when_dataverse_url_is_set(storage: Storage, topic: str, primary: str) -> None:
    intake = intake_for(storage, DATAVERSE_URL="https://contoso.crm.dynamics.com")
    payload = {"id": 1, "order_id": 2} if topic == "refunds/create" else {"id": 1}
    deliver(intake, topic, payload)
    assert [m.topic for m in messages(storage, primary)] == [topic]
    assert [m.topic for m in messages(storage, queues.CRM)] == [topic]


def test_compliance_topics_are_not_fanned_out(storage: Storage) -> None:
    intake = intake_for(storage, DATAVERSE_URL="https://contoso.crm.dynamics.com")
    deliver(intake, "customers/redact", {"shop_id": 1, "customer": {"id": 5}})
    assert messages(storage, queues.CRM) == []


def test_crm_works_while_fo_is_down(storage: Storage, dv: DataverseClient, dv_admin: httpx.Client) -> None:
    # D365_URL points at a closed port: the CRM consumer never talks to F&O, so it does not notice.
    intake = intake_for(storage, DATAVERSE_URL="https://contoso.crm.dynamics.com", D365_URL="http://127.0.0.1:9")
    body = order_body()
    deliver(intake, "orders/create", body)
    [envelope] = messages(storage, queues.CRM)
    outcome = process(CrmSync(storage, dv, CrmConfig()), envelope)
    assert outcome.action == "written"
    assert rows(dv_admin, "salesorders")[0]["shop_shopifyorderid"] == str(body["id"])


def test_a_dataverse_refusal_becomes_an_exception_not_a_retry(
    storage: Storage, dv: DataverseClient, dv_admin: httpx.Client
) -> None:
    intake = intake_for(storage, DATAVERSE_URL="https://contoso.crm.dynamics.com")
    deliver(intake, "orders/create", order_body())
    [envelope] = messages(storage, queues.CRM)
    # A CRM without the prerequisite columns refuses the write (400): permanent, so no redelivery.
    outcome = process(CrmSync(storage, dv, CrmConfig(prefix="missing_")), envelope)
    assert (outcome.action, outcome.detail) == ("blocked", "CRM_REJECTED")


def test_dataverse_down_means_waiting_not_blocking(storage: Storage) -> None:
    from integration.cases import ExceptionStore
    from integration.crm import entry
    from tests.crm_fixtures import fast_policy

    intake = intake_for(storage, DATAVERSE_URL="https://contoso.crm.dynamics.com")
    body = order_body()
    deliver(intake, "orders/create", body)
    [envelope] = messages(storage, queues.CRM)
    down = DataverseClient("http://127.0.0.1:9", lambda: "t", policy=fast_policy())
    sync = CrmSync(storage, down, CrmConfig())
    outcome = process(sync, envelope)
    assert outcome.action == "waiting" and "retry in 30 s" in outcome.detail
    # Sent again with a visibility timeout: not visible now.
    assert list(storage.queue(queues.CRM).receive_messages(max_messages=5)) == []
    for _ in range(entry.MAX_WAITS - 1):
        assert process(sync, envelope).action == "waiting"
    assert process(sync, envelope).detail == entry.UNAVAILABLE
    record = ExceptionStore(storage).get("crm-order", str(body["id"]))
    assert record is not None and record.reason_code == entry.UNAVAILABLE
    storage.queue(queues.CRM).clear_messages()
    down.close()
