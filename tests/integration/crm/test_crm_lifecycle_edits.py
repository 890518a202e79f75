"""CRM: the F&O invoice as a status change, order edits removing lines, the per-order lease under a
forced interleaving, and the retention of the wait counters. Real HTTP to the Dataverse emulator,
Azurite for storage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from integration.clients.dataverse import DataverseClient
from integration.crm import hooks
from integration.crm.entry import process, purge_waits
from integration.crm.service import CrmSync
from integration.webhooks.envelope import Envelope
from shared import queues, tables
from shared.lease import LeaseBusy
from shared.settings import reset_settings_cache
from shared.storage import Storage, safe_key
from tests.crm_fixtures import TOKEN, dv, dv_admin, dv_server, rows
from tests.integration.crm.test_crm_sync import crm, order_body
from tests.races import Paused

__all__ = ["crm", "dv", "dv_admin", "dv_server"]


def invoice_message(body: dict[str, Any], number: str) -> dict[str, str]:
    return {"order_id": str(body["id"]), "refund_id": "", "number": number}


def test_fo_invoice_sets_invoiced_once_with_a_note_per_invoice(crm: CrmSync, dv_admin: httpx.Client) -> None:
    body = order_body()
    crm.handle("orders/create", body)
    first = crm.handle(hooks.FO_INVOICE, invoice_message(body, "CIV-001"))
    assert first.events == ("invoice-note:CIV-001", "invoiced")
    [order] = rows(dv_admin, "salesorders")
    assert (order["statecode"], order["statuscode"]) == (4, 100003)
    again = crm.handle(hooks.FO_INVOICE, invoice_message(body, "CIV-001"))  # redelivery
    assert again.events == ("invoice-note:CIV-001",)  # the note rewritten, the state not set again
    [note] = rows(dv_admin, "annotations")
    assert note["subject"] == "Invoiced" and note["notetext"] == "F&O invoice CIV-001"
    # An invoiced order is closed: a later Shopify update leaves its content alone.
    assert crm.handle("orders/updated", {**body, "note": "later"}).action == "unchanged"


def test_fo_invoice_of_a_fulfilled_order_is_a_note_only(crm: CrmSync, dv_admin: httpx.Client) -> None:
    body = order_body()
    crm.handle("orders/create", {**body, "fulfillment_status": "fulfilled"})
    outcome = crm.handle(hooks.FO_INVOICE, invoice_message(body, "CIV-001, CIV-002"))
    assert outcome.events == ("invoice-note:CIV-001", "invoice-note:CIV-002")
    [order] = rows(dv_admin, "salesorders")
    assert order["statecode"] == 3  # stays Fulfilled: Dataverse refuses edits of a closed order
    assert sorted(n["notetext"] for n in rows(dv_admin, "annotations")) == [
        "F&O invoice CIV-001",
        "F&O invoice CIV-002",
    ]


def test_fo_invoice_before_the_order_waits(crm: CrmSync, dv_admin: httpx.Client, storage: Storage) -> None:
    body = order_body()
    envelope = Envelope(
        topic=hooks.FO_INVOICE,
        webhook_id=f"inv-{body['id']}",
        resource_id=str(body["id"]),
        payload=invoice_message(body, "CIV-9"),
    )
    assert process(crm, envelope).action == "waiting"  # CrmNotReady: back on the queue, later
    assert rows(dv_admin, "salesorders") == []


def test_invoice_hook_sends_only_new_numbers(app_env: dict, storage: Storage, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATAVERSE_URL", "https://contoso.crm.dynamics.com")
    reset_settings_cache()
    queue = storage.queue(queues.CRM)
    queue.clear_messages()
    from integration.crm.records import CrmOrders

    CrmOrders(storage).save("555001", Invoices="CIV-1")
    hooks.fo_invoiced(storage, "555001", ["CIV-1"])  # CRM has it: nothing sent
    assert list(queue.receive_messages(max_messages=32)) == []
    hooks.fo_invoiced(storage, "555001", ["CIV-2", "CIV-1"])
    [message] = [Envelope.from_message(m.content) for m in queue.receive_messages(max_messages=32)]
    assert message.topic == hooks.FO_INVOICE and (message.payload or {}).get("number") == "CIV-1, CIV-2"
    queue.clear_messages()


def test_a_line_removed_by_an_order_edit_is_removed_from_crm(crm: CrmSync, dv_admin: httpx.Client) -> None:
    body = order_body()
    crm.handle("orders/create", body)
    assert len(rows(dv_admin, "salesorderdetails")) == 3
    removed = body["line_items"][1]
    edited = {**body, "updated_at": "2026-12-05T10:00:00Z"}
    edited["line_items"] = [
        {**item, "current_quantity": 0 if item["id"] == removed["id"] else item["quantity"]}
        for item in body["line_items"]
    ]
    line_total = Decimal(removed["price"]) * removed["quantity"] - sum(
        (Decimal(a["amount"]) for a in removed.get("discount_allocations") or []), Decimal(0)
    )
    line_tax = sum((Decimal(t["price"]) for t in removed.get("tax_lines") or []), Decimal(0))
    current = Decimal(body["total_price"]) - line_total - line_tax
    edited["current_total_price"] = str(current)
    edited["current_total_tax"] = str(Decimal(body["total_tax"]) - line_tax)
    assert crm.handle("orders/updated", edited).action == "written"
    keys = {line["shop_shopifylineid"] for line in rows(dv_admin, "salesorderdetails")}
    assert str(removed["id"]) not in keys and len(keys) == 2
    [order] = rows(dv_admin, "salesorders")
    assert Decimal(str(order["totalamount"])) == current
    assert crm.handle("orders/updated", edited).action == "written"  # again: nothing left to delete
    assert len(rows(dv_admin, "salesorderdetails")) == 2


def test_emulator_refuses_deleting_a_line_of_a_closed_order(
    crm: CrmSync, dv: DataverseClient, dv_admin: httpx.Client
) -> None:
    body = order_body()
    crm.handle("orders/cancelled", {**body, "cancelled_at": "2026-12-01T10:00:00Z"})
    line = rows(dv_admin, "salesorderdetails")[0]
    response = dv.http.delete(
        f"{dv.root}/salesorderdetails({line['salesorderdetailid']})", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 400 and "closed" in response.json()["error"]["message"]


def test_two_updates_of_one_order_never_interleave(crm: CrmSync, dv_admin: httpx.Client, storage: Storage) -> None:
    """A (older) passed its staleness check and is paused before writing; B (newer) arrives. Without
    the lease B would write, then A would overwrite B's header with older values (a lost update)."""
    body = order_body()
    older = {**body, "updated_at": "2026-12-01T10:00:00Z"}
    older["shipping_address"] = {**body["shipping_address"], "city": "Older City"}
    newer = {**body, "updated_at": "2026-12-02T10:00:00Z"}
    newer["shipping_address"] = {**body["shipping_address"], "city": "Newer City"}
    a = Paused(crm, "crm.order.checked", lambda: crm.handle("orders/updated", older)).start()
    with pytest.raises(LeaseBusy):
        crm.handle("orders/updated", newer)  # B waits for A's lease
    assert a.finish().action == "written"
    assert crm.handle("orders/updated", newer).action == "written"  # B's redelivery, after A
    [order] = rows(dv_admin, "salesorders")
    assert order["shipto_city"] == "Newer City"


def test_a_busy_order_goes_back_on_the_queue_without_counting_a_wait(crm: CrmSync, storage: Storage) -> None:
    body = order_body()
    from shared.lease import holding

    envelope = Envelope(
        topic="orders/updated", webhook_id=f"busy-{body['id']}", resource_id=str(body["id"]), payload=body
    )
    with holding(storage, "crm-order", str(body["id"])):
        outcome = process(crm, envelope)
    assert outcome.action == "busy"
    table = storage.table(tables.CRM_RETRIES)
    key = safe_key(f"orders/updated|busy-{body['id']}")
    assert list(table.query_entities("PartitionKey eq @pk", parameters={"pk": key})) == []
    assert list(storage.queue(queues.CRM).peek_messages(max_messages=32)) == []  # invisible while the lease lasts


def test_wait_counters_are_purged_after_the_retention_period(storage: Storage) -> None:
    table = storage.table(tables.CRM_RETRIES)
    table.upsert_entity({"PartitionKey": "old-event", "RowKey": "retry", "Waits": 3})
    purge_waits(storage, 14)  # rows older than 14 days go; ours was just written
    assert table.get_entity("old-event", "retry")["Waits"] == 3
    assert purge_waits(storage, 14, now=datetime.now(UTC) + timedelta(days=15)) >= 1
    assert list(table.query_entities("PartitionKey eq 'old-event'")) == []


def test_customer_events_hold_the_customers_crm_lease(crm: CrmSync, storage: Storage) -> None:
    from shared.lease import holding

    customer = {**order_body()["customer"]}
    with holding(storage, "crm-contact", str(customer["id"])), pytest.raises(LeaseBusy):
        crm.handle("customers/update", customer)
    assert crm.handle("customers/update", customer).action == "linked"  # once the other delivery ended
