"""customers/create|update -> the linked F&O customer's contact fields; customers/redact drops the link."""

from __future__ import annotations

from typing import Any

import pytest

from integration import compliance
from integration.cases import ExceptionStore
from integration.orders.customer_match import CustomerLinks, email_key
from integration.webhooks.envelope import Envelope
from tests.conftest import present

pytestmark = pytest.mark.azurite


def shopify_customer(customer_id: int = 501, updated_at: str = "2026-01-02T10:00:00-05:00", **changes: Any) -> dict:
    """A REST Customer body as customers/create|update send it."""
    body = {
        "id": customer_id,
        "email": "jane.doe@example.com",
        "phone": "+12125550102",
        "first_name": "Jane",
        "last_name": "Doe",
        "created_at": "2026-01-01T10:00:00-05:00",
        "updated_at": updated_at,
        "state": "enabled",
        "tags": "",
        "currency": "USD",
        "default_address": {
            "id": 9,
            "customer_id": customer_id,
            "first_name": "Jane",
            "last_name": "Doe",
            "address1": "1 Main St",
            "address2": "",
            "city": "New York",
            "province": "New York",
            "province_code": "NY",
            "country": "United States",
            "country_code": "US",
            "zip": "10001",
            "phone": "",
            "default": True,
        },
    }
    body.update(changes)
    return body


def fo_customer(admin, account: str) -> dict[str, Any]:
    return next(c for c in admin.fo_rows("CustomersV3") if c["CustomerAccount"] == account)


def link(customers, customer_id: int = 501, account: str = "US-002", how: str = "confirmed") -> None:
    """A link customer sync may write to (a person confirmed it) unless ``how`` says otherwise."""
    CustomerLinks(customers.storage).put(f"customer:{customer_id}", account, how)


def test_update_of_a_linked_customer_patches_the_changed_contact_fields(customers, admin):
    link(customers)
    body = shopify_customer(email="Jane.New@Example.com", phone="(416) 555-0199", last_name="Doe-Smith")
    body["default_address"].update(
        address1="10 King St W",
        address2="Suite 5",
        city="Toronto",
        province_code="ON",
        country_code="CA",
        zip="M5H 1A1",
    )
    before = admin.fo_requests()
    outcome = customers.handle("customers/update", body)
    assert outcome.action == "updated" and admin.fo_requests() - before == 2  # GET + PATCH
    row = fo_customer(admin, "US-002")
    assert (row["PrimaryContactEmail"], row["PrimaryContactPhone"]) == ("jane.new@example.com", "+14165550199")
    assert (row["PersonFirstName"], row["PersonLastName"]) == ("Jane", "Doe-Smith")
    assert (
        row["AddressStreet"],
        row["AddressCity"],
        row["AddressState"],
        row["AddressZipCode"],
        row["AddressCountryRegionId"],
    ) == ("10 King St W\nSuite 5", "Toronto", "ON", "M5H 1A1", "CAN")
    assert set(outcome.fields) >= {"PrimaryContactEmail", "PrimaryContactPhone", "PersonLastName", "AddressCity"}
    assert "PersonFirstName" not in outcome.fields  # unchanged fields are not written
    # The same update again: nothing changed in Shopify, zero F&O requests.
    before = admin.fo_requests()
    assert customers.handle("customers/update", body).action == "unchanged" and admin.fo_requests() == before


def test_only_fields_shopify_changed_overwrite_fo(customers, admin):
    link(customers)
    customers.handle("customers/create", shopify_customer())  # the baseline
    # An F&O user corrects the street; Shopify then changes only the phone.
    changed = shopify_customer(updated_at="2026-01-03T10:00:00-05:00", phone="+12125550177")
    customers.d365.update("CustomersV3", {"CustomerAccount": "US-002"}, {"AddressStreet": "1 Main Street"})
    outcome = customers.handle("customers/update", changed)
    assert outcome.fields == ("PrimaryContactPhone",)
    row = fo_customer(admin, "US-002")
    assert row["PrimaryContactPhone"] == "+12125550177" and row["AddressStreet"] == "1 Main Street"


def test_create_only_records_and_unlinked_update_touches_nothing(customers, admin):
    before = admin.fo_requests()
    assert customers.handle("customers/create", shopify_customer(customer_id=9999)).action == "recorded"
    assert (
        customers.handle(
            "customers/update",
            shopify_customer(customer_id=9999, email="x@example.com", updated_at="2026-01-05T00:00:00Z"),
        ).action
        == "unlinked"
    )
    assert admin.fo_requests() == before


def test_older_update_is_ignored(customers, admin):
    link(customers)
    customers.handle("customers/update", shopify_customer(updated_at="2026-01-05T00:00:00Z", phone="+12125550155"))
    outcome = customers.handle(
        "customers/update", shopify_customer(updated_at="2026-01-04T00:00:00Z", phone="+12125550111")
    )
    assert outcome.action == "ignored"
    assert fo_customer(admin, "US-002")["PrimaryContactPhone"] == "+12125550155"


def test_deleted_fo_account_drops_the_link(customers, admin):
    link(customers, account="GONE-1")
    outcome = customers.handle("customers/update", shopify_customer(email="new@example.com"))
    assert outcome.action == "unlinked" and CustomerLinks(customers.storage).get("customer:501") is None


def test_fo_rejection_is_a_customer_exception(customers, admin):
    link(customers)
    body = shopify_customer(updated_at="2026-01-06T00:00:00Z")
    body["default_address"].update(country_code="IS", city="Reykjavik", province_code="", zip="101")  # not set up
    outcome = customers.handle("customers/update", body)
    assert outcome.action == "rejected"
    record = present(ExceptionStore(customers.storage).get("customer", "501"))
    assert record.reason_code == "FO_REJECTED" and "ISL" in record.message
    assert fo_customer(admin, "US-002")["AddressCity"] == "New York"


def test_customers_redact_forgets_the_links(customers):
    CustomerLinks(customers.storage).put("customer:191167", "SC191167", "created")
    CustomerLinks(customers.storage).put(f"email:{email_key('john@example.com')}", "SCGX", "created")
    envelope = Envelope(topic="customers/redact", webhook_id="w-redact-1")
    payload = {
        "shop_id": 954889,
        "customer": {"id": 191167, "email": "john@example.com", "phone": "555-625-1199"},
        "orders_to_redact": [],
    }
    outcome = compliance.handle(customers.storage, envelope, payload)
    assert outcome["customer_links_dropped"] == 2
    assert CustomerLinks(customers.storage).get("customer:191167") is None
    assert CustomerLinks(customers.storage).get(f"email:{email_key('john@example.com')}") is None


def test_queue_function_runs_the_flow_from_app_settings(customers, admin, fo_server, app_env, monkeypatch):
    import azure.functions as func

    from integration import bootstrap
    from integration.triggers import customer_queue

    for key, value in {"D365_URL": fo_server.url, "D365_LEGAL_ENTITY": "usmf", "D365_TOKEN": "local-dev-token"}.items():
        monkeypatch.setenv(key, value)
    bootstrap.reset()
    link(customers)
    envelope = Envelope(
        topic="customers/update",
        webhook_id="w-cust-1",
        resource_id="501",
        payload=shopify_customer(updated_at="2026-02-01T00:00:00Z", first_name="Janet"),
    )
    app = func.FunctionApp()
    app.register_functions(customer_queue.bp)
    [function] = app.get_functions()
    try:
        function.get_user_function()(func.QueueMessage(body=envelope.to_message().encode()))
    finally:
        bootstrap.reset()
    assert fo_customer(admin, "US-002")["PersonFirstName"] == "Janet"


@pytest.mark.parametrize("how", ["email", "phone"])
def test_an_account_matched_by_email_or_phone_is_never_written(customers, admin, how):
    # Order sync matched Shopify customer 501 to the existing US-002 (not the integration's account).
    link(customers, how=how)
    before = fo_customer(admin, "US-002")
    body = shopify_customer(updated_at="2026-01-07T00:00:00Z", phone="+12125550166")
    body["default_address"].update(address1="99 Elsewhere Rd", city="Albany")
    requests = admin.fo_requests()
    outcome = customers.handle("customers/update", body)
    assert outcome.action == "matched" and admin.fo_requests() == requests  # not even read
    after = fo_customer(admin, "US-002")
    assert {k: after[k] for k in ("PrimaryContactPhone", "AddressStreet", "AddressCity")} == {
        k: before[k] for k in ("PrimaryContactPhone", "AddressStreet", "AddressCity")
    }


def test_a_confirmed_link_is_written_after_the_ops_api_confirms_it(customers, admin):
    from integration import bootstrap
    from integration.ops.api import Request

    link(customers, how="email")
    body = shopify_customer(updated_at="2026-01-08T00:00:00Z", phone="+12125550144")
    assert customers.handle("customers/update", body).action == "matched"
    wrong = Request("POST", "customers/501/confirm-link", {}, b'{"account": "US-001"}')
    assert bootstrap.ops_router().dispatch(customers.storage, wrong)[0] == 409
    status, result = bootstrap.ops_router().dispatch(
        customers.storage, Request("POST", "customers/501/confirm-link", {}, b'{"account": "US-002"}')
    )
    assert status == 200 and result["how"] == "confirmed"
    later = shopify_customer(updated_at="2026-01-09T00:00:00Z", phone="+12125550144")
    assert customers.handle("customers/update", later).action == "updated"
    assert fo_customer(admin, "US-002")["PrimaryContactPhone"] == "+12125550144"


def test_the_setting_allows_writes_to_matched_accounts(customers, admin):
    from integration.customers.service import CustomerSync

    link(customers, how="email")
    allowed = CustomerSync(customers.storage, customers.d365, write_matched=True)
    outcome = allowed.handle(
        "customers/update", shopify_customer(updated_at="2026-01-10T00:00:00Z", phone="+12125550133")
    )
    assert outcome.action == "updated"
    assert fo_customer(admin, "US-002")["PrimaryContactPhone"] == "+12125550133"


def test_the_integrations_own_account_is_written(customers, admin):
    link(customers, how="created")
    outcome = customers.handle(
        "customers/update", shopify_customer(updated_at="2026-01-11T00:00:00Z", phone="+12125550122")
    )
    assert outcome.action == "updated"


def test_an_fo_edit_between_read_and_write_is_re_read_not_overwritten(customers, admin):
    # An F&O user edits the account after customer sync read it: the If-Match PATCH fails (412), the
    # sync re-reads and writes only what Shopify changed on top of the user's edit.
    link(customers, how="created")
    customers.handle("customers/create", shopify_customer())  # the baseline
    edited: list[str] = []

    def fo_user_edits(_key: str) -> None:
        if not edited:
            edited.append("street")
            customers.d365.update("CustomersV3", {"CustomerAccount": "US-002"}, {"AddressStreet": "1 Main Street"})

    customers.hooks.on("customer.read", fo_user_edits)
    outcome = customers.handle(
        "customers/update", shopify_customer(updated_at="2026-01-12T00:00:00Z", phone="+12125550188")
    )
    assert outcome.action == "updated" and outcome.fields == ("PrimaryContactPhone",)
    row = fo_customer(admin, "US-002")
    assert row["PrimaryContactPhone"] == "+12125550188" and row["AddressStreet"] == "1 Main Street"


def test_an_older_and_a_newer_update_at_once_end_with_the_newer(customers, admin):
    import threading

    from integration.customers.service import CustomerSync
    from shared.lease import LeaseBusy

    link(customers, how="created")
    older = shopify_customer(updated_at="2026-01-13T00:00:00Z", phone="+12125550101")
    newer = shopify_customer(updated_at="2026-01-14T00:00:00Z", phone="+12125550202")
    other = CustomerSync(customers.storage, customers.d365)
    reached, go = threading.Event(), threading.Event()

    def pause(_key: str) -> None:
        reached.set()
        assert go.wait(30)

    customers.hooks.on("customer.read", pause)
    worker = threading.Thread(target=customers.handle, args=("customers/update", older))
    worker.start()
    assert reached.wait(30)  # the older update has read F&O and not written yet
    with pytest.raises(LeaseBusy):
        other.handle("customers/update", newer)
    go.set()
    worker.join(30)
    assert other.handle("customers/update", newer).action == "updated"  # the queue's redelivery

    assert fo_customer(admin, "US-002")["PrimaryContactPhone"] == "+12125550202"
