"""A stored customer link to an account F&O no longer has: dropped, matching re-run once, order created."""

from __future__ import annotations

import pytest

from integration.cases import ExceptionStore
from integration.mappings import MappingStore
from integration.orders.customer_match import CustomerLinks
from tests.integration.orders.conftest import good_order

pytestmark = pytest.mark.azurite


def test_stale_link_is_dropped_and_the_customer_matched_again(sync, admin):
    CustomerLinks(sync.storage).put("customer:501", "GONE-1", "created")  # deleted in F&O since
    order = admin.shop_order(good_order())
    outcome = sync.handle("orders/create", order)
    assert (outcome.status, outcome.action) == ("created", "created")
    [header] = admin.fo_rows("SalesOrderHeadersV2")
    assert header["OrderingCustomerAccountNumber"] == "SC501"  # no e-mail/phone match: created
    assert CustomerLinks(sync.storage).get("customer:501") == "SC501"
    assert ExceptionStore(sync.storage).get("order", str(order["id"])) is None


def test_stale_link_rematched_by_email(sync, admin):
    CustomerLinks(sync.storage).put("customer:9001", "GONE-2", "email")
    order = admin.shop_order(good_order(customer_id=9001, email="jane.doe@example.com", phone=""))
    assert sync.handle("orders/create", order).status == "created"
    assert admin.fo_rows("SalesOrderHeadersV2")[0]["OrderingCustomerAccountNumber"] == "US-002"


def test_refusal_for_another_reason_keeps_the_link_and_is_fo_rejected(sync, admin):
    CustomerLinks(sync.storage).put("customer:501", "US-001", "email")
    MappingStore(sync.storage).set("warehouses", "default", {"site": "1", "warehouse": "99"})
    order = admin.shop_order(good_order())
    assert sync.handle("orders/create", order).detail == "FO_REJECTED"
    assert CustomerLinks(sync.storage).get("customer:501") == "US-001"
