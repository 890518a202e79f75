"""The contact is the customer's document: orders of one customer, and customer updates, write it one at a
time (the ``crm-contact`` lease) and never with an older snapshot of the customer than the last written.
Interleavings are forced with the flow's hooks, never with sleeps."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from integration.crm.service import CrmSync
from shared.lease import LeaseBusy
from tests.crm_fixtures import rows
from tests.integration.crm.test_crm_sync import order_body
from tests.races import Paused

OLDER, NEWER = "2026-12-01T10:00:00Z", "2026-12-02T10:00:00Z"


def of_customer(customer_id: int, updated_at: str, city: str) -> dict[str, Any]:
    """An order of ``customer_id`` whose customer snapshot was taken at ``updated_at``."""
    body = order_body(customer_id=customer_id)
    address = {**(body["customer"].get("default_address") or body["billing_address"]), "city": city}
    body["customer"] = {**body["customer"], "updated_at": updated_at, "default_address": address}
    return body


def contact_city(dv_admin: httpx.Client) -> str:
    [contact] = rows(dv_admin, "contacts")
    return str(contact["address1_city"])


def test_two_orders_of_one_customer_write_the_contact_one_at_a_time(crm: CrmSync, dv_admin: httpx.Client) -> None:
    """A holds the customer's contact lease (paused inside it); B, another order of the same customer,
    must wait (LeaseBusy puts it back on the queue) instead of writing the contact alongside."""
    first = of_customer(910_000_001, OLDER, "Older City")
    crm.handle("orders/create", first)  # the contact exists and is owned
    a = of_customer(910_000_001, OLDER, "Older City")
    b = of_customer(910_000_001, NEWER, "Newer City")
    a_delivery = Paused(crm, "crm.contact.leased", lambda: crm.handle("orders/create", a)).start()
    with pytest.raises(LeaseBusy):
        crm.handle("orders/create", b)
    assert a_delivery.finish().action == "written"
    assert crm.handle("orders/create", b).action == "written"  # B's redelivery, after A
    assert contact_city(dv_admin) == "Newer City"
    assert len(rows(dv_admin, "salesorders")) == 3


def test_an_order_with_an_older_customer_snapshot_does_not_overwrite_the_contact(
    crm: CrmSync, dv_admin: httpx.Client
) -> None:
    """B (placed after the customer's change) is processed first; A (placed before it) arrives late: its
    order is filed under the contact, but the contact keeps B's newer values."""
    crm.handle("orders/create", of_customer(910_000_002, NEWER, "Newer City"))
    late = crm.handle("orders/create", of_customer(910_000_002, OLDER, "Older City"))
    assert late.action == "written"
    assert contact_city(dv_admin) == "Newer City"
    assert len(rows(dv_admin, "salesorders")) == 2


def test_a_customer_update_is_not_undone_by_an_older_order(crm: CrmSync, dv_admin: httpx.Client) -> None:
    body = of_customer(910_000_003, OLDER, "Older City")
    crm.handle("orders/create", body)
    update = {**body["customer"], "updated_at": NEWER}
    update["default_address"] = {**update["default_address"], "city": "Moved City"}
    crm.handle("customers/update", update)
    assert contact_city(dv_admin) == "Moved City"
    crm.handle("orders/updated", {**body, "updated_at": NEWER})  # the old order's snapshot, redelivered
    assert contact_city(dv_admin) == "Moved City"
    newer = of_customer(910_000_003, "2026-12-03T10:00:00Z", "Third City")
    crm.handle("orders/create", newer)  # a later snapshot still writes
    assert contact_city(dv_admin) == "Third City"
