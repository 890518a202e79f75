"""The CRM flow in the ops API (link view and confirmation, order view, crm-order retry) and in
``customers/redact``."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from integration import bootstrap
from integration.clients.dataverse import DataverseClient
from integration.compliance import handle as handle_compliance
from integration.crm.config import ENTITY_ORDER, CrmConfig
from integration.crm.records import CrmLinks
from integration.crm.service import CrmSync
from integration.ops.api import Request
from integration.ops.resync import request_resync
from integration.webhooks.envelope import Envelope
from shared import queues
from shared.storage import Storage
from tests.crm_fixtures import TOKEN, dv, dv_admin, dv_server, rows
from tests.integration.crm.test_crm_sync import order_body, seed_contact

__all__ = ["dv", "dv_admin", "dv_server"]


def call(storage: Storage, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    content = json.dumps(body).encode() if body is not None else b""
    return bootstrap.ops_router().dispatch(storage, Request(method, path, {}, content))


@pytest.fixture
def crm_env(app_env: dict, monkeypatch: pytest.MonkeyPatch, dv_server: Any, dv_admin: httpx.Client) -> Any:
    monkeypatch.setenv("DATAVERSE_URL", dv_server.url)
    monkeypatch.setenv("DATAVERSE_TOKEN", TOKEN)
    bootstrap.reset()
    yield
    bootstrap.reset()


def test_confirming_a_link_through_the_ops_api(
    crm_env: Any, storage: Storage, dv: DataverseClient, dv_admin: httpx.Client
) -> None:
    existing = seed_contact(dv_admin, emailaddress1="ada@example.com", firstname="Augusta")
    body = order_body()
    CrmSync(storage, dv, CrmConfig()).handle("orders/create", body)
    customer = str(body["customer"]["id"])
    status, link = call(storage, "GET", f"crm/contacts/{customer}")
    assert status == 200 and link == {"customer_id": customer, "contact_id": existing, "how": "email", "owned": False}
    assert call(storage, "POST", f"crm/contacts/{customer}/confirm", {"contact_id": "nope"})[0] == 400
    status, done = call(storage, "POST", f"crm/contacts/{customer}/confirm", {"contact_id": existing})
    assert status == 200 and done["owned"] is True
    assert rows(dv_admin, "contacts")[0]["shop_shopifycustomerid"] == customer
    status, order = call(storage, "GET", f"crm/orders/{body['id']}")
    assert status == 200 and order["order_id"] == str(body["id"])


def test_crm_order_retry_resyncs_from_shopify(
    crm_env: Any, storage: Storage, dv: DataverseClient, dv_admin: httpx.Client
) -> None:
    storage.queue(queues.CRM).clear_messages()
    body = order_body()
    assert "queued on crm" in request_resync(storage, ENTITY_ORDER, str(body["id"]), "test")
    [message] = list(storage.queue(queues.CRM).receive_messages(max_messages=5))
    envelope = Envelope.from_message(message.content)
    fetched: list[str] = []

    def fetch(order_id: str) -> dict[str, Any]:
        fetched.append(order_id)
        return body

    outcome = CrmSync(storage, dv, CrmConfig(), fetch).handle(envelope.topic, envelope.payload or {})
    assert fetched == [str(body["id"])] and outcome.action == "written"
    assert len(rows(dv_admin, "salesorders")) == 1


def test_customer_redaction_drops_crm_links(storage: Storage, dv: DataverseClient) -> None:
    body = order_body()
    CrmSync(storage, dv, CrmConfig()).handle("orders/create", body)
    customer = body["customer"]
    assert CrmLinks(storage).get("contact", str(customer["id"])) is not None
    envelope = Envelope(topic="customers/redact", webhook_id="w-redact", resource_id=str(customer["id"]))
    outcome = handle_compliance(
        storage, envelope, {"shop_id": 1, "customer": {"id": customer["id"], "email": customer["email"]}}
    )
    assert outcome["crm_links_dropped"] == 1
    assert CrmLinks(storage).get("contact", str(customer["id"])) is None


def test_cli_confirms_a_link(crm_env: Any, storage: Storage, dv: DataverseClient, dv_admin: httpx.Client) -> None:
    from typer.testing import CliRunner

    from integration.cli import app

    existing = seed_contact(dv_admin, emailaddress1="ada@example.com")
    body = order_body()
    CrmSync(storage, dv, CrmConfig()).handle("orders/create", body)
    customer = str(body["customer"]["id"])
    runner = CliRunner()
    assert runner.invoke(app, ["crm-confirm", customer, "not-a-guid"]).exit_code == 1
    result = runner.invoke(app, ["crm-confirm", customer, existing])
    assert result.exit_code == 0, result.output
    assert CrmLinks(storage).get("contact", customer) is not None
    assert CrmLinks(storage).get("contact", customer).owned  # type: ignore[union-attr]
