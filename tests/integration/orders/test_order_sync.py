"""Order sync against the F&O and Shopify emulators and Azurite: create, idempotency, faults."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from integration.cases import ExceptionStore
from integration.clients.d365 import D365Transient
from integration.mappings import MappingStore
from integration.orders.records import OrderRecords
from shared import queues
from shared.lease import LeaseBusy
from tests.conftest import present
from tests.integration.orders.conftest import good_order, make_sync

pytestmark = pytest.mark.azurite


def test_good_order_becomes_one_sales_order_with_equal_totals_and_a_tag(sync, admin):
    order = admin.shop_order(good_order())
    outcome = sync.handle("orders/create", order)
    assert (outcome.status, outcome.action, outcome.sales_order_number) == ("created", "created", "SH1001")
    [header] = admin.fo_rows("SalesOrderHeadersV2")
    assert Decimal(str(header["OrderTotalAmount"])) == Decimal(order["total_price"])
    assert header["CustomersOrderReference"] == "#1001" and header["CustomerRequisitionNumber"] == str(order["id"])
    assert header["DeliveryAddressCountryRegionId"] == "USA" and header["DeliveryModeCode"] == "STANDARD"
    lines = admin.fo_rows("SalesOrderLines")
    assert sorted(line["ItemNumber"] for line in lines) == ["FREIGHT", "IPOD2008GREEN", "IPOD2008RED"]
    record = present(OrderRecords(sync.storage).get(order["id"]))
    assert record.sales_order_number == "SH1001" and record.written_back
    assert set(record.line_lots) == {str(li["id"]) for li in order["line_items"]} | {"shipping:"}
    summary = admin.shop_summary(order["id"])
    assert "D365-synced" in summary["tags"] and "D365-SO-SH1001" in summary["tags"]
    assert summary["metafields"]["d365.sales_order_number"] == "SH1001"


def test_known_customer_costs_one_fo_request(sync, admin):
    sync.handle("orders/create", admin.shop_order(good_order()))  # links the customer, caches products
    second = admin.shop_order(good_order())
    before = admin.fo_requests()
    assert sync.handle("orders/create", second).status == "created"
    used = admin.fo_requests() - before
    print(f"\nF&O requests for a known customer's order: {used}")
    assert used == 1  # the $batch: changeset (header + lines) and the totals read-back in one request


def test_duplicate_delivery_and_own_writeback_echo_are_absorbed(sync, admin):
    order = admin.shop_order(good_order())
    sync.handle("orders/create", order)
    before = admin.fo_requests()
    assert sync.handle("orders/create", order).action == "ignored"
    echo = sync.shopify.get_order(order["id"])  # now carries our tags (the orders/updated echo)
    assert sync.handle("orders/updated", echo).action == "ignored"
    assert admin.fo_requests() == before
    assert len(admin.fo_rows("SalesOrderHeadersV2")) == 1


def test_concurrent_workers_create_one_sales_order(clean_storage, admin, fo_server, shop_server):
    order = admin.shop_order(good_order())
    syncs = [make_sync(clean_storage, fo_server.url, shop_server.url) for _ in range(4)]
    outcomes, errors = [], []

    def work(s):
        try:
            outcomes.append(s.handle("orders/create", order))
        except Exception as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(s,)) for s in syncs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    # One writer per order: the workers that met the held lease are redelivered by the queue.
    assert all(isinstance(e, LeaseBusy) for e in errors), errors
    redelivery = make_sync(clean_storage, fo_server.url, shop_server.url)
    outcomes += [redelivery.handle("orders/create", order) for _ in errors]
    assert {o.sales_order_number for o in outcomes} == {"SH1001"}
    assert len(admin.fo_rows("SalesOrderHeadersV2")) == 1
    assert len(admin.fo_rows("SalesOrderLines")) == 3
    assert [c["CustomerAccount"] for c in admin.fo_rows("CustomersV3") if c["CustomerAccount"].startswith("SC")] == [
        "SC501"
    ]  # exactly one new customer


def test_two_orders_of_one_new_customer_at_once_create_one_customer(clean_storage, admin, fo_server, shop_server):
    orders = [admin.shop_order(good_order(customer_id=777, email="new@example.com")) for _ in range(2)]
    syncs = [make_sync(clean_storage, fo_server.url, shop_server.url) for _ in orders]
    threads = [threading.Thread(target=s.handle, args=("orders/create", o)) for s, o in zip(syncs, orders, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    customers = [c for c in admin.fo_rows("CustomersV3") if c["CustomerAccount"].startswith("SC")]
    assert [c["CustomerAccount"] for c in customers] == ["SC777"]
    accounts = {h["OrderingCustomerAccountNumber"] for h in admin.fo_rows("SalesOrderHeadersV2")}
    assert accounts == {"SC777"}


def test_customer_matched_by_email_then_phone(sync, admin):
    jane = admin.shop_order(good_order(customer_id=9001, email="Jane.Doe@example.com", phone=""))
    assert sync.handle("orders/create", jane).status == "created"
    by_phone = admin.shop_order(good_order(customer_id=9002, email="other@example.com", phone="(619) 555-0101"))
    sync.handle("orders/create", by_phone)
    accounts = [h["OrderingCustomerAccountNumber"] for h in admin.fo_rows("SalesOrderHeadersV2")]
    assert accounts == ["US-002", "US-001"]


def test_created_but_response_lost_then_redelivery_finds_the_order(sync, admin):
    order = admin.shop_order(good_order())
    admin.fo_faults(rate_lost_response=1.0, paths=r"^/data/\$batch", seed=1)
    with pytest.raises(D365Transient):
        sync.handle("orders/create", order)
    admin.fo_faults()
    outcome = sync.handle("orders/create", order)  # the queue's redelivery
    assert outcome.status == "created" and outcome.action == "existing"
    assert len(admin.fo_rows("SalesOrderHeadersV2")) == 1 and len(admin.fo_rows("SalesOrderLines")) == 3


@pytest.mark.parametrize("fault", [{"rate_429": 0.5, "retry_after_s": 0}, {"rate_503": 0.5}, {"rate_500": 0.4}])
def test_429_and_5xx_are_retried_inside_the_invocation(clean_storage, admin, fo_server, shop_server, fault):
    sync = make_sync(clean_storage, fo_server.url, shop_server.url, attempts=8)
    order = admin.shop_order(good_order())
    admin.fo_faults(**fault, seed=7)
    assert sync.handle("orders/create", order).status == "created"
    admin.fo_faults()
    assert len(admin.fo_rows("SalesOrderHeadersV2")) == 1


def test_fo_validation_error_becomes_an_exception_not_a_retry(sync, admin):
    body = good_order()
    sync_mappings = MappingStore(sync.storage)
    sync_mappings.set("warehouses", "default", {"site": "1", "warehouse": "99"})  # unknown in F&O
    order = admin.shop_order(body)
    outcome = sync.handle("orders/create", order)
    assert outcome.status == "blocked" and outcome.detail == "FO_REJECTED"
    record = present(ExceptionStore(sync.storage).get("order", str(order["id"])))
    assert record.reason_code == "FO_REJECTED" and "99" in record.message
    assert admin.fo_rows("SalesOrderHeadersV2") == []
    sync_mappings.set("warehouses", "default", {"site": "1", "warehouse": "11"})
    assert sync.handle(queues.ORDER_RETRY, None, str(order["id"])).status == "created"
    assert present(ExceptionStore(sync.storage).get("order", str(order["id"]))).status == "resolved"
