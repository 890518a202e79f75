"""CRM delta reconciliation of customers: the Shopify emulator lists the customers updated in a window
(GraphQL ``customers`` with an ``updated_at`` search), compared with the Dataverse emulator's contacts
and the CRM links; dry run, then apply; the resync of a contact re-reads the customer from Shopify.
Also the ops route and the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from integration.clients.dataverse import DataverseClient
from integration.clients.shopify import ShopifyAdmin
from integration.crm.config import ENTITY_CONTACT, CrmConfig
from integration.crm.customer_reconcile import (
    CHECKPOINT_ROW,
    fetch_customer,
    reconcile_customers,
    updated_customers,
)
from integration.crm.reconcile import checkpoint
from integration.crm.records import CrmLinks
from integration.crm.service import CrmSync
from integration.webhooks.envelope import Envelope
from sandbox.emulators.serve import RunningServer, start_in_thread
from sandbox.emulators.shopify.app import create_app as create_shopify
from shared import queues
from shared.settings import SHOPIFY_API_VERSION_DEFAULT
from shared.storage import Storage
from tests.crm_fixtures import TOKEN, dv, dv_admin, dv_server, rows
from tests.integration.crm.test_crm_sync import order_body

__all__ = ["dv", "dv_admin", "dv_server"]
SINCE, UNTIL = datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def shop_server() -> Iterator[RunningServer]:
    server = start_in_thread(create_shopify(), name="crm-shopify")
    yield server
    server.stop()


@pytest.fixture
def shopify(shop_server: RunningServer) -> Iterator[ShopifyAdmin]:
    httpx.post(f"{shop_server.url}/_emulator/reset")
    admin = ShopifyAdmin(shop_server.url, "shpat_local_dev", SHOPIFY_API_VERSION_DEFAULT)
    yield admin
    admin.close()


def distinct_customer() -> dict[str, Any]:
    body = order_body()
    email = f"c{body['customer']['id']}@example.com"  # each its own contact (not matched by e-mail)
    body["customer"] = {**body["customer"], "email": email, "phone": None}
    body.update(email=email, phone=None)
    for part in ("billing_address", "shipping_address"):
        if body.get(part):
            body[part] = {**body[part], "phone": None}
    if body["customer"].get("default_address"):
        body["customer"]["default_address"] = {**body["customer"]["default_address"], "phone": None}
    return body


def shop_order(server: RunningServer, body: dict[str, Any]) -> None:
    response = httpx.post(f"{server.url}/_emulator/orders", params={"webhook": "false"}, json={"order": body})
    assert response.status_code in (200, 201), response.text


def test_customers_are_listed_by_update_time_and_read_back(shop_server: RunningServer, shopify: ShopifyAdmin) -> None:
    inside, outside = order_body(), order_body()
    inside["customer"]["updated_at"] = "2026-12-01T10:00:00Z"
    outside["customer"]["updated_at"] = "2026-11-20T10:00:00Z"
    for body in (inside, outside):
        shop_order(shop_server, body)
    ids = list(updated_customers(shopify, SINCE.isoformat(), UNTIL.isoformat()))
    assert ids == [str(inside["customer"]["id"])]
    customer = fetch_customer(shopify, ids[0])
    assert customer is not None and customer["id"] == inside["customer"]["id"]
    assert customer["email"] == inside["customer"]["email"]
    assert fetch_customer(shopify, "1") is None


def test_dry_run_reports_and_apply_queues_and_resyncs(
    storage: Storage, dv: DataverseClient, dv_admin: httpx.Client, shop_server: RunningServer, shopify: ShopifyAdmin
) -> None:
    sync = CrmSync(storage, dv, CrmConfig(), fetch_customer=lambda i: fetch_customer(shopify, i))
    in_sync, gone, never = distinct_customer(), distinct_customer(), distinct_customer()
    for body in (in_sync, gone):
        sync.handle("orders/create", body)
    for body in (in_sync, gone, never):
        shop_order(shop_server, body)
    gone_id = str(gone["customer"]["id"])
    contact = next(c for c in rows(dv_admin, "contacts") if c["shop_shopifycustomerid"] == gone_id)
    deleted = dv.http.delete(
        f"{dv.root}/contacts({contact['contactid']})", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert deleted.status_code == 204
    ids = [str(b["customer"]["id"]) for b in (in_sync, gone, never)]
    storage.queue(queues.CRM).clear_messages()

    dry = reconcile_customers(storage, dv, CrmConfig(), ids, SINCE, UNTIL, apply=False)
    assert (dry.checked, dry.in_sync, dry.queued) == (3, 1, [])
    assert {d["customer_id"]: d["why"] for d in dry.differences} == {
        gone_id: "link-gone",
        str(never["customer"]["id"]): "missing",
    }
    applied = reconcile_customers(storage, dv, CrmConfig(), ids, SINCE, UNTIL, apply=True)
    assert sorted(applied.queued) == sorted(d["customer_id"] for d in dry.differences)
    assert CrmLinks(storage).get("contact", gone_id) is None  # the stale link is dropped
    assert checkpoint(storage, CHECKPOINT_ROW) == UNTIL.isoformat()
    messages = [Envelope.from_message(m.content) for m in storage.queue(queues.CRM).receive_messages(max_messages=32)]
    storage.queue(queues.CRM).clear_messages()
    assert {(m.payload or {}).get("entity") for m in messages} == {ENTITY_CONTACT}
    for message in messages:  # the CRM flow handles the resyncs: the customers reach CRM again
        assert sync.handle(message.topic, message.payload or {}).action == "linked"
    keys = {c["shop_shopifycustomerid"] for c in rows(dv_admin, "contacts")}
    assert {gone_id, str(never["customer"]["id"])} <= keys
    again = reconcile_customers(storage, dv, CrmConfig(), ids, SINCE, UNTIL, apply=False)
    assert again.differences == []
