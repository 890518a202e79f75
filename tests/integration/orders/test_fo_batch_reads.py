"""``D365Client.batch`` with GET parts after the changeset, against the F&O emulator's ``$batch``."""

from __future__ import annotations

from decimal import Decimal

import pytest

from integration.clients.d365 import BatchOp, BatchRead, D365Client, D365NotFound, D365ValidationError
from tests.integration.orders.conftest import Admin


@pytest.fixture
def d365(admin: Admin, fo_server) -> D365Client:
    return D365Client(fo_server.url, "usmf", lambda: "local-dev-token")


HEADER = {"SalesOrderNumber": "BR1", "OrderingCustomerAccountNumber": "US-001", "CurrencyCode": "USD"}
LINE = {
    "SalesOrderNumber": "BR1",
    "ItemNumber": "IPOD2008GREEN",
    "OrderedSalesQuantity": 2,
    "SalesPrice": Decimal("10.00"),
    "ShippingSiteId": "1",
    "ShippingWarehouseId": "11",
}


def test_create_and_read_back_in_one_request(d365, admin):
    before = admin.fo_requests()
    read = BatchRead(
        "SalesOrderHeadersV2",
        {"SalesOrderNumber": "BR1"},
        select=["SalesOrderNumber", "OrderTotalAmount", "OrderTotalTaxAmount"],
        expand="SalesOrderLines($select=InventoryLotId,ItemNumber)",
    )
    lookup = BatchRead(
        "CustomersV3", filter="PrimaryContactEmail eq 'jane.doe@example.com'", select=["CustomerAccount"], top=1
    )
    *written, header, customers = d365.batch(
        [BatchOp("POST", "SalesOrderHeadersV2", HEADER), BatchOp("POST", "SalesOrderLines", LINE)], reads=[read, lookup]
    )
    assert [w.status for w in written] == [201, 201]
    assert admin.fo_requests() - before == 1
    # The GET ran after the changeset committed: it sees the lines and F&O's computed totals.
    assert header.status == 200 and header.body["OrderTotalAmount"] == Decimal("21.45")  # CA 7.25 %
    assert [ln["ItemNumber"] for ln in header.body["SalesOrderLines"]] == ["IPOD2008GREEN"]
    assert [c["CustomerAccount"] for c in customers.body["value"]] == ["US-002"]


def test_failed_changeset_raises_and_writes_nothing(d365, admin):
    bad = dict(LINE, ItemNumber="NOPE")
    with pytest.raises(D365ValidationError) as failure:
        d365.batch(
            [BatchOp("POST", "SalesOrderHeadersV2", HEADER), BatchOp("POST", "SalesOrderLines", bad)],
            reads=[BatchRead("SalesOrderHeadersV2", {"SalesOrderNumber": "BR1"})],
        )
    assert "NOPE" in failure.value.message
    assert admin.fo_rows("SalesOrderHeadersV2") == []


def test_a_read_that_fails_is_returned_with_its_error(d365, admin):
    [result] = d365.batch([], reads=[BatchRead("SalesOrderHeadersV2", {"SalesOrderNumber": "NONE"})])
    assert isinstance(result.error("SalesOrderHeadersV2"), D365NotFound)
