"""Phone matching finds an F&O customer whatever spelling F&O holds: candidates by the last digits
(F&O's ``*`` wildcard inside ``eq``), then E.164 equality in Python."""

from __future__ import annotations

import pytest

from integration.orders.customer_match import phone_pattern
from tests.integration.orders.conftest import good_order

pytestmark = pytest.mark.azurite

SPELLINGS = ["206-555-0199", "(206) 555-0199", "+1 206 555 0199", "2065550199", "+1 (206) 555-0199", "206.555.0199"]


def test_the_pattern_is_the_last_digits_with_any_separators() -> None:
    assert phone_pattern("+12065550199") == "*5*5*5*0*1*9*9"


@pytest.mark.parametrize("stored", SPELLINGS)
def test_customer_is_found_by_phone_in_the_usual_fo_spellings(sync, admin, stored):
    response = admin.fo.post(
        "/_emulator/customers",
        json={
            "CustomerAccount": "US-PHONE",
            "CustomerGroupId": "30",
            "PartyType": "Person",
            "PersonFirstName": "Pat",
            "PersonLastName": "Phone",
            "SalesCurrencyCode": "USD",
            "PrimaryContactPhone": stored,
        },
    )
    assert response.status_code == 201, response.text
    order = admin.shop_order(good_order(customer_id=9301, email="nobody-in-fo@example.com", phone="+12065550199"))

    assert sync.handle("orders/create", order).status == "created"

    [header] = admin.fo_rows("SalesOrderHeadersV2")
    assert header["OrderingCustomerAccountNumber"] == "US-PHONE"
    assert not [c for c in admin.fo_rows("CustomersV3") if c["CustomerAccount"] == "SC9301"]  # no duplicate


def test_a_number_with_the_same_last_digits_elsewhere_is_not_a_match(sync, admin):
    # Same last seven digits, another area code: a candidate, but not E.164-equal.
    response = admin.fo.post(
        "/_emulator/customers",
        json={
            "CustomerAccount": "US-OTHER",
            "CustomerGroupId": "30",
            "PartyType": "Person",
            "PersonFirstName": "Other",
            "PersonLastName": "Area",
            "SalesCurrencyCode": "USD",
            "PrimaryContactPhone": "(425) 555-0199",
        },
    )
    assert response.status_code == 201, response.text
    order = admin.shop_order(good_order(customer_id=9302, email="nobody-in-fo@example.com", phone="+12065550199"))

    assert sync.handle("orders/create", order).status == "created"

    [header] = admin.fo_rows("SalesOrderHeadersV2")
    assert header["OrderingCustomerAccountNumber"] == "SC9302"
