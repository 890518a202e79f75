"""The Dataverse client against the Dataverse emulator over real HTTP: upsert by alternate key with
its conditional headers, refusals, a $batch changeset that rolls back, the close actions, 429s."""

from __future__ import annotations

import time
from decimal import Decimal

import httpx
import pytest

from integration.clients.dataverse import (
    DataverseClient,
    DataverseNotFound,
    DataversePreconditionFailed,
    DataverseTransient,
    DataverseValidationError,
    Op,
    bind,
    path,
)
from sandbox.emulators.serve import RunningServer
from shared.http import RetryPolicy
from tests.crm_fixtures import TOKEN, dv, dv_admin, dv_server, fast_policy, rows

__all__ = ["dv", "dv_admin", "dv_server"]
KEY = "shop_shopifycustomerid"


def test_upsert_by_alternate_key_creates_once_then_updates(dv: DataverseClient, dv_admin: httpx.Client) -> None:
    first = dv.upsert("contacts", {KEY: "42"}, {"lastname": "Lovelace", "emailaddress1": "ada@example.com"})
    second = dv.upsert("contacts", {KEY: "42"}, {"firstname": "Ada"})
    assert first and first == second
    [row] = rows(dv_admin, "contacts")
    assert (row[KEY], row["firstname"], row["lastname"]) == ("42", "Ada", "Lovelace")
    assert dv.get("contacts", {KEY: "42"}, select=["contactid"]) == {"contactid": first}


def test_conditional_upserts(dv: DataverseClient, dv_admin: httpx.Client) -> None:
    with pytest.raises(DataverseNotFound):
        dv.upsert("contacts", {KEY: "7"}, {"lastname": "X"}, update_only=True)  # If-Match: * never creates
    assert rows(dv_admin, "contacts") == []
    dv.upsert("contacts", {KEY: "7"}, {"lastname": "X"}, create_only=True)
    with pytest.raises(DataversePreconditionFailed):
        dv.upsert("contacts", {KEY: "7"}, {"lastname": "Y"}, create_only=True)  # If-None-Match: * never updates
    assert [r["lastname"] for r in rows(dv_admin, "contacts")] == ["X"]


def test_refuses_unknown_columns_undefined_keys_and_bad_types(dv: DataverseClient) -> None:
    with pytest.raises(DataverseValidationError, match="Invalid property 'emailaddress'"):
        dv.upsert("contacts", {KEY: "1"}, {"emailaddress": "a@b.c", "lastname": "A"})
    with pytest.raises(DataverseValidationError, match="not a key"):
        dv.upsert("contacts", {"emailaddress1": "a@b.c"}, {"lastname": "A"})
    with pytest.raises(DataverseValidationError, match=r"Edm\.Decimal"):
        dv.upsert("salesorders", {"shop_shopifyorderid": "1"}, {"name": "x", "freightamount": "10.00"})
    with pytest.raises(DataverseValidationError, match="undeclared property 'customerid'"):
        dv.upsert("salesorders", {"shop_shopifyorderid": "1"}, {"name": "x", "customerid@odata.bind": "/contacts(1)"})


def _order_ops(customer: str, bad_line: bool = False) -> list[Op]:
    order = {"shop_shopifyorderid": "1001"}
    currency = "/transactioncurrencies(isocurrencycode='USD')"
    del currency
    line = {
        "salesorderid@odata.bind": bind("salesorders", order),
        "isproductoverridden": True,
        "productdescription": "Widget",
        "ispriceoverridden": True,
        "priceperunit": Decimal("10.00"),
        "quantity": Decimal(2),
        "manualdiscountamount": Decimal("1.00"),
        "tax": Decimal("1.52"),
    }
    bad = {**line, "productdescrption": "typo"} if bad_line else line
    return [
        Op("PATCH", path("salesorders", order), {"name": "Shopify #1001", "customerid_contact@odata.bind": customer}),
        Op("PATCH", path("salesorderdetails", {"shop_shopifylineid": "1"}), line),
        Op("PATCH", path("salesorderdetails", {"shop_shopifylineid": "2"}), bad),
    ]


def test_changeset_is_all_or_nothing(dv: DataverseClient, dv_admin: httpx.Client) -> None:
    contact = dv.upsert("contacts", {KEY: "9"}, {"lastname": "Hopper"})
    with pytest.raises(DataverseValidationError, match="productdescrption"):
        dv.changeset(_order_ops(bind("contacts", contact), bad_line=True))
    assert rows(dv_admin, "salesorders") == [] and rows(dv_admin, "salesorderdetails") == []
    assert dv.changeset(_order_ops(bind("contacts", contact))) == [204, 204, 204]
    [order] = rows(dv_admin, "salesorders")
    assert Decimal(str(order["totalamount"])) == Decimal("41.04")  # 2 x (20 - 1 + 1.52)
    assert order["_customerid_value"] == contact
    assert dv.changeset(_order_ops(bind("contacts", contact))) == [204, 204, 204]  # a retry duplicates nothing
    assert len(rows(dv_admin, "salesorders")) == 1 and len(rows(dv_admin, "salesorderdetails")) == 2


def test_close_actions_and_closed_orders(dv: DataverseClient, dv_admin: httpx.Client) -> None:
    contact = dv.upsert("contacts", {KEY: "9"}, {"lastname": "Hopper"})
    dv.changeset(_order_ops(bind("contacts", contact)))
    order_id = rows(dv_admin, "salesorders")[0]["salesorderid"]
    with pytest.raises(DataverseValidationError, match="FulfillSalesOrder or CancelSalesOrder"):
        dv.upsert("salesorders", order_id, {"statecode": 3, "statuscode": 100001}, update_only=True)
    with pytest.raises(DataverseValidationError, match="not a valid status code"):
        dv.action(
            "FulfillSalesOrder", {"OrderClose": {"salesorderid@odata.bind": bind("salesorders", order_id)}, "Status": 4}
        )
    dv.action(
        "FulfillSalesOrder",
        {"OrderClose": {"subject": "done", "salesorderid@odata.bind": bind("salesorders", order_id)}, "Status": 100001},
    )
    assert dv.get("salesorders", order_id, ["statecode", "statuscode"]) == {
        "salesorderid": order_id,
        "statecode": 3,
        "statuscode": 100001,
    }
    with pytest.raises(DataverseValidationError, match="closed"):
        dv.upsert("salesorders", order_id, {"description": "late edit"}, update_only=True)
    with pytest.raises(DataverseValidationError, match="closed"):
        dv.changeset(_order_ops(bind("contacts", contact)))


def test_service_protection_429_honours_retry_after(dv_server: RunningServer, dv_admin: httpx.Client) -> None:
    dv_admin.put("/_emulator/throttle", json={"max_requests": 1, "window_s": 0.5, "retry_after_s": 1})
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    client = DataverseClient(dv_server.url, lambda: TOKEN, policy=RetryPolicy(attempts=3, sleep=sleep))
    client.upsert("contacts", {KEY: "1"}, {"lastname": "A"})
    client.upsert("contacts", {KEY: "2"}, {"lastname": "B"})  # throttled once, retried after Retry-After
    assert waits == [1.0] and client.stats.throttled == 1
    assert dv_admin.get("/_emulator/requests").json()["throttled"] == 1
    client.close()


def test_exhausted_throttling_is_transient(dv_server: RunningServer, dv_admin: httpx.Client) -> None:
    dv_admin.put("/_emulator/throttle", json={"max_requests": 1, "window_s": 300, "retry_after_s": 1})
    client = DataverseClient(dv_server.url, lambda: TOKEN, policy=fast_policy([]))
    client.upsert("contacts", {KEY: "1"}, {"lastname": "A"})
    with pytest.raises(DataverseTransient) as caught:
        client.upsert("contacts", {KEY: "2"}, {"lastname": "B"})
    assert caught.value.status == 429 and caught.value.code == "0x80072322"
    client.close()


def test_lost_response_on_upsert_is_retried_without_duplicate(dv: DataverseClient, dv_admin: httpx.Client) -> None:
    dv_admin.put("/_emulator/faults", json={"rate_lost_response": 1.0, "methods": ["PATCH"]})
    with pytest.raises(DataverseTransient):
        dv.upsert("contacts", {KEY: "5"}, {"lastname": "Lost"})  # applied every time, answered never
    dv_admin.put("/_emulator/faults", json={})
    dv.upsert("contacts", {KEY: "5"}, {"lastname": "Lost"})
    assert len(rows(dv_admin, "contacts")) == 1


def test_token_endpoint_and_unauthorized(dv_server: RunningServer, dv_admin: httpx.Client) -> None:
    with httpx.Client(base_url=dv_server.url) as http:
        assert http.get("/api/data/v9.2/contacts").status_code == 401
        token = http.post(
            "/tenant/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "local-client-id",
                "client_secret": "local-client-secret",
                "scope": f"{dv_server.url}/.default",
            },
        ).json()["access_token"]
        answer = http.get("/api/data/v9.2/contacts", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200 and answer.json() == {"value": []}


def test_private_query_keeps_the_filter_out_of_the_url(dv: DataverseClient, dv_admin: httpx.Client) -> None:
    dv.upsert("contacts", {KEY: "3"}, {"lastname": "O'Brien", "emailaddress1": "o.brien+x@example.com"})
    urls: list[str] = []
    dv.http.event_hooks["request"] = [lambda request: urls.append(str(request.url))]
    clause = "emailaddress1 eq 'o.brien+x@example.com' and statecode eq 0"
    private = dv.query("contacts", clause, ["contactid", "lastname"], private=True)
    assert [r["lastname"] for r in private] == ["O'Brien"]
    assert urls == [f"{dv.root}/$batch"]  # the e-mail travelled in the body only
    assert dv.query("contacts", clause, ["contactid", "lastname"]) == private
