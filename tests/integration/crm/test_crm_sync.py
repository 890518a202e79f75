"""CRM sync against the Dataverse emulator (real HTTP) and Azurite: order -> salesorder with lines under
the right contact, idempotent retries, contact matching and ownership, lifecycle transitions."""

from __future__ import annotations

import itertools
import time
from decimal import Decimal
from typing import Any

import httpx
import pytest

from integration.cases import ExceptionStore
from integration.clients.dataverse import DataverseClient
from integration.crm.config import ENTITY_ORDER, CrmConfig
from integration.crm.outcome import CrmNotReady
from integration.crm.service import CrmSync
from sandbox.harness.demo.sample_orders import erp_ready_order
from shared.storage import Storage
from tests.crm_fixtures import dv, dv_admin, dv_server, rows

__all__ = ["dv", "dv_admin", "dv_server"]
_ids = itertools.count(int(time.time() * 1000) % 10**9 * 1000)


def new_id() -> int:
    return next(_ids)


def order_body(customer_id: int | None = None, **kwargs: Any) -> dict[str, Any]:
    body = erp_ready_order(customer_id=customer_id or new_id(), **kwargs)
    order_id = new_id()
    body.update(id=order_id, name=f"#{order_id % 100000}")
    for index, item in enumerate(body["line_items"], 1):
        item["id"] = order_id * 10 + index
    return body


def sync_for(storage: Storage, client: DataverseClient, **config: Any) -> CrmSync:
    return CrmSync(storage, client, CrmConfig(**config))


@pytest.fixture
def crm(storage: Storage, dv: DataverseClient) -> CrmSync:
    return sync_for(storage, dv)


def seed_contact(admin: httpx.Client, **values: Any) -> str:
    """A contact a CRM user created (not through the integration)."""
    response = admin.post("/_emulator/rows/contacts", json={"lastname": "Existing", **values})
    return str(response.json()["contactid"])


def test_order_becomes_salesorder_with_lines_under_a_new_contact(crm: CrmSync, dv_admin: httpx.Client) -> None:
    body = order_body()
    outcome = crm.handle("orders/create", body)
    assert outcome.action == "written"
    [contact] = rows(dv_admin, "contacts")
    assert contact["shop_shopifycustomerid"] == str(body["customer"]["id"])
    assert contact["emailaddress1"] == "ada@example.com" and contact["telephone1"] == "+14155550100"
    [order] = rows(dv_admin, "salesorders")
    assert order["_customerid_value"] == contact["contactid"]
    assert order["shop_shopifyorderid"] == str(body["id"]) and order["shop_shopifyordername"] == body["name"]
    assert Decimal(str(order["totalamount"])) == Decimal(body["total_price"])
    assert Decimal(str(order["totaltax"])) == Decimal(body["total_tax"])
    usd = next(c for c in rows(dv_admin, "transactioncurrencies") if c["isocurrencycode"] == "USD")
    assert order["_transactioncurrencyid_value"] == usd["transactioncurrencyid"]
    lines = rows(dv_admin, "salesorderdetails")
    assert len(lines) == 3  # two products and the shipping tax
    assert {line["_salesorderid_value"] for line in lines} == {order["salesorderid"]}


def test_redelivery_and_lost_responses_create_nothing_twice(crm: CrmSync, dv_admin: httpx.Client) -> None:
    body = order_body()
    crm.handle("orders/create", body)
    crm.handle("orders/create", body)  # a redelivery
    dv_admin.put("/_emulator/faults", json={"rate_lost_response": 0.3, "seed": 3, "methods": ["PATCH", "POST"]})
    for _ in range(3):
        crm.handle("orders/updated", body)  # writes applied, some answers lost; the client resends them
    lost = dv_admin.get("/_emulator/faults").json()["stats"]["lost_responses"]
    dv_admin.put("/_emulator/faults", json={})
    assert lost > 0
    assert len(rows(dv_admin, "contacts")) == 1
    assert len(rows(dv_admin, "salesorders")) == 1
    assert len(rows(dv_admin, "salesorderdetails")) == 3


def test_an_unchanged_owned_contact_is_not_rewritten(crm: CrmSync, dv_admin: httpx.Client) -> None:
    body = order_body()
    crm.handle("orders/create", body)
    crm.handle("orders/updated", body)
    assert dv_admin.get("/_emulator/requests").json()["requests"]["PATCH contacts"] == 1
    crm.handle("orders/updated", {**body, "customer": {**body["customer"], "first_name": "Augusta"}})
    assert dv_admin.get("/_emulator/requests").json()["requests"]["PATCH contacts"] == 2
    assert rows(dv_admin, "contacts")[0]["firstname"] == "Augusta"


def test_an_older_update_does_not_overwrite_a_newer_one(crm: CrmSync, dv_admin: httpx.Client) -> None:
    body = order_body()
    newer = {**body, "updated_at": "2026-12-02T10:00:00Z", "note": "newer"}
    assert crm.handle("orders/updated", newer).action == "written"
    older = {**body, "updated_at": "2026-12-01T10:00:00Z", "fulfillment_status": "fulfilled"}
    assert crm.handle("orders/updated", older).action == "ignored"
    assert rows(dv_admin, "salesorders")[0]["statecode"] == 0


def test_matched_by_email_files_the_order_but_never_writes_the_contact(crm: CrmSync, dv_admin: httpx.Client) -> None:
    existing = seed_contact(dv_admin, emailaddress1="ADA@example.com", firstname="Augusta")
    crm.handle("orders/create", order_body())
    [contact] = rows(dv_admin, "contacts")
    assert contact["contactid"] == existing
    assert contact["firstname"] == "Augusta" and "shop_shopifycustomerid" not in contact  # untouched
    assert rows(dv_admin, "salesorders")[0]["_customerid_value"] == existing


def test_matched_by_phone_in_another_spelling(crm: CrmSync, dv_admin: httpx.Client) -> None:
    existing = seed_contact(dv_admin, mobilephone="+1 415-555-0100")
    crm.handle("orders/create", order_body(email="other@example.com", phone="(415) 555-0100"))
    assert [c["contactid"] for c in rows(dv_admin, "contacts")] == [existing]
    assert rows(dv_admin, "salesorders")[0]["_customerid_value"] == existing


def test_ambiguous_email_goes_to_review(crm: CrmSync, dv_admin: httpx.Client, storage: Storage) -> None:
    seed_contact(dv_admin, emailaddress1="ada@example.com")
    seed_contact(dv_admin, emailaddress1="ada@example.com")
    body = order_body()
    outcome = crm.handle("orders/create", body)
    assert outcome.action == "blocked" and outcome.detail == "CRM_AMBIGUOUS_CONTACT"
    assert rows(dv_admin, "salesorders") == []
    record = ExceptionStore(storage).get(ENTITY_ORDER, str(body["id"]))
    assert record is not None and record.reason_code == "CRM_AMBIGUOUS_CONTACT" and len(record.values["contacts"]) == 2


def test_conflict_modes_create_and_update(storage: Storage, dv: DataverseClient, dv_admin: httpx.Client) -> None:
    seed_contact(dv_admin, emailaddress1="ada@example.com")
    seed_contact(dv_admin, emailaddress1="ada@example.com")
    sync_for(storage, dv, conflict_mode="create").handle("orders/create", order_body())
    owned = [c for c in rows(dv_admin, "contacts") if c.get("shop_shopifycustomerid")]
    assert len(rows(dv_admin, "contacts")) == 3 and len(owned) == 1
    assert rows(dv_admin, "salesorders")[0]["_customerid_value"] == owned[0]["contactid"]

    dv_admin.post("/_emulator/reset")
    single = seed_contact(dv_admin, emailaddress1="grace@example.com", firstname="G")
    body = order_body(email="grace@example.com")
    sync_for(storage, dv, conflict_mode="update").handle("orders/create", body)
    [adopted] = rows(dv_admin, "contacts")
    assert adopted["contactid"] == single and adopted["shop_shopifycustomerid"] == str(body["customer"]["id"])
    assert adopted["firstname"] == "Ada"  # adopted by configuration, so kept up to date


def test_a_confirmed_link_makes_the_contact_owned(crm: CrmSync, dv_admin: httpx.Client) -> None:
    existing = seed_contact(dv_admin, emailaddress1="ada@example.com", firstname="Augusta")
    body = order_body()
    crm.handle("orders/create", body)
    crm.resolver.confirm(str(body["customer"]["id"]), existing)
    crm.handle("orders/updated", body)
    [contact] = rows(dv_admin, "contacts")
    assert contact["firstname"] == "Ada" and contact["shop_shopifycustomerid"] == str(body["customer"]["id"])


def test_cancellation_is_a_state_change_once(crm: CrmSync, dv_admin: httpx.Client) -> None:
    body = order_body()
    crm.handle("orders/create", body)
    cancelled = {**body, "cancelled_at": "2026-12-01T10:00:00Z", "cancel_reason": "customer"}
    assert crm.handle("orders/cancelled", cancelled).events == ("written", "cancelled")
    assert crm.handle("orders/cancelled", cancelled).action == "unchanged"  # redelivery: nothing to do
    [order] = rows(dv_admin, "salesorders")
    assert (order["statecode"], order["statuscode"]) == (2, 4)


def test_partial_then_full_fulfillment_with_tracking(crm: CrmSync, dv_admin: httpx.Client) -> None:
    body = order_body()
    crm.handle("orders/create", body)
    shipped = {"id": new_id(), "status": "success", "tracking_company": "FedEx", "tracking_numbers": ["794600000001"]}
    partial = {**body, "fulfillment_status": "partial", "fulfillments": [shipped]}
    assert "partially-fulfilled" in crm.handle("orders/updated", partial).events
    order = rows(dv_admin, "salesorders")[0]
    assert (order["statecode"], order["statuscode"]) == (1, 3)
    assert order["shop_trackingnumbers"] == "794600000001"
    second = {**shipped, "id": new_id(), "tracking_numbers": ["794600000002"]}
    full = {**body, "fulfillment_status": "fulfilled", "fulfillments": [shipped, second]}
    assert "fulfilled" in crm.handle("orders/updated", full).events
    assert crm.handle("orders/updated", full).action == "unchanged"
    order = rows(dv_admin, "salesorders")[0]
    assert (order["statecode"], order["statuscode"]) == (3, 100001)
    assert order["shop_trackingnumbers"] == "794600000001, 794600000002"
    notes = rows(dv_admin, "annotations")
    assert len(notes) == 2 and all(n["_objectid_value"] == order["salesorderid"] for n in notes)


def test_refund_records_amount_and_note_once(crm: CrmSync, dv_admin: httpx.Client) -> None:
    body = order_body()
    refund = {
        "id": new_id(),
        "order_id": body["id"],
        "refund_line_items": [
            {
                "quantity": 1,
                "line_item_id": body["line_items"][1]["id"],
                "line_item": body["line_items"][1],
                "subtotal": "199.00",
                "total_tax": "14.43",
            }
        ],
        "transactions": [],
    }
    with pytest.raises(CrmNotReady):
        crm.handle("refunds/create", refund)  # the order is not in CRM yet: the queue retries later
    crm.handle("orders/create", body)
    crm.handle("refunds/create", refund)
    crm.handle("refunds/create", refund)  # redelivery
    [order] = rows(dv_admin, "salesorders")
    assert Decimal(str(order["shop_refundedamount"])) == Decimal("213.43")
    [note] = rows(dv_admin, "annotations")
    assert "213.43" in note["notetext"] and "credit note pending" in note["notetext"]


def test_fo_sales_order_number_arrives_later(crm: CrmSync, dv_admin: httpx.Client) -> None:
    body = order_body()
    message = {"order_id": str(body["id"]), "number": "SH000123"}
    assert crm.handle("crm/fo-salesorder", message).action == "unchanged"  # not in CRM yet
    crm.handle("orders/create", body)
    crm.handle("crm/fo-salesorder", message)
    assert rows(dv_admin, "salesorders")[0]["shop_fosalesorderid"] == "SH000123"
    crm.handle("orders/cancelled", {**body, "cancelled_at": "2026-12-01T10:00:00Z"})
    crm.handle("crm/fo-salesorder", {**message, "number": "SH000124"})  # closed: a note instead
    [note] = rows(dv_admin, "annotations")
    assert note["notetext"] == "F&O sales order SH000124"


def test_credit_note_number_arrives_after_the_refund(crm: CrmSync, dv_admin: httpx.Client) -> None:
    body = order_body()
    crm.handle("orders/create", body)
    refund = {"id": new_id(), "order_id": body["id"], "refund_line_items": [], "transactions": []}
    refund["order_adjustments"] = [{"kind": "refund_discrepancy", "amount": "-5.00", "tax_amount": "0.00"}]
    crm.handle("refunds/create", refund)
    message = {"order_id": str(body["id"]), "refund_id": str(refund["id"]), "number": "RF000042"}
    for _ in range(2):
        assert crm.handle("crm/fo-creditnote", message).action == "written"
    [order] = rows(dv_admin, "salesorders")
    assert order["shop_creditnotes"] == "RF000042"
    [note] = rows(dv_admin, "annotations")
    assert "F&O credit note RF000042" in note["notetext"]
    crm.handle("refunds/create", refund)  # a late redelivery keeps the number
    assert "RF000042" in rows(dv_admin, "annotations")[0]["notetext"]


def test_b2b_company_becomes_the_account_of_the_order(crm: CrmSync, dv_admin: httpx.Client) -> None:
    body = order_body()
    body["company"] = {"id": new_id(), "location_id": 1}
    body["billing_address"] = {**body["billing_address"], "company": "Analytical Engines Ltd"}
    crm.handle("orders/create", body)
    crm.handle("orders/updated", body)
    [account] = rows(dv_admin, "accounts")
    [contact] = rows(dv_admin, "contacts")
    assert account["name"] == "Analytical Engines Ltd" and account["shop_shopifycompanyid"] == str(
        body["company"]["id"]
    )
    assert account["_primarycontactid_value"] == contact["contactid"]
    [order] = rows(dv_admin, "salesorders")
    assert order["_customerid_value"] == account["accountid"]
    assert order["_customerid_value@Microsoft.Dynamics.CRM.lookuplogicalname"] == "account"


def test_existing_products_by_sku(storage: Storage, dv: DataverseClient, dv_admin: httpx.Client) -> None:
    uom = dv_admin.post("/_emulator/rows/uoms", json={"name": "Each"}).json()["uomid"]
    product = dv_admin.post(
        "/_emulator/rows/products",
        json={"name": "iPod", "productnumber": "IPOD2008GREEN", "_defaultuomid_value": uom},
    ).json()["productid"]
    level = dv_admin.post("/_emulator/rows/pricelevels", json={"name": "Shopify"}).json()["pricelevelid"]
    sync = sync_for(storage, dv, product_mode="sku", price_list_id=level)
    body = order_body()
    sync.handle("orders/create", body)
    lines = {line["shop_shopifylineid"]: line for line in rows(dv_admin, "salesorderdetails")}
    green = lines[str(body["line_items"][0]["id"])]
    assert green["_productid_value"] == product and green["_uomid_value"] == uom and not green["isproductoverridden"]
    assert lines[str(body["line_items"][1]["id"])]["isproductoverridden"] is True  # not in CRM: write-in
    assert rows(dv_admin, "salesorders")[0]["_pricelevelid_value"] == level


def test_update_order_is_judged_in_utc(crm: CrmSync, dv_admin: httpx.Client) -> None:
    body = order_body()
    crm.handle("orders/updated", {**body, "updated_at": "2026-12-02T10:00:00-05:00"})  # 15:00 UTC
    # "14:30Z" sorts after "10:00-05:00" as text but is half an hour older.
    older = {**body, "updated_at": "2026-12-02T14:30:00Z", "fulfillment_status": "fulfilled"}
    assert crm.handle("orders/updated", older).action == "ignored"
    newer = {**older, "updated_at": "2026-12-02T15:30:00Z"}
    assert crm.handle("orders/updated", newer).action == "written"
