"""Operator API (invoice, packing slip + tracking, on-hand, cancel) and return orders / credit notes."""

from __future__ import annotations

from decimal import Decimal

import httpx

from .conftest import inner_message, new_order

ORDER = "/data/SalesOrderHeadersV2(dataAreaId='usmf',SalesOrderNumber='{}')"
LINES = [
    {"ItemNumber": "IPOD2008GREEN", "OrderedSalesQuantity": 3, "SalesPrice": 10.00},
    {"ItemNumber": "FREIGHT", "SalesPrice": 7.5},
]


def _d(value: object) -> Decimal:
    return Decimal(str(value))


def _on_hand(client: httpx.Client, item: str) -> Decimal:
    rows = client.get(
        "/data/WarehousesOnHandV2",
        params={
            "$filter": f"ItemNumber eq '{item}' and InventoryWarehouseId eq '11'",
            "$select": "ItemNumber,InventorySiteId,OnHandQuantity,AvailableOnHandQuantity",
        },
    ).json()["value"]
    assert len(rows) == 1 and rows[0]["InventorySiteId"] == "1"
    return _d(rows[0]["AvailableOnHandQuantity"])


def test_on_hand_can_be_set_and_is_queried_through_odata(client: httpx.Client) -> None:
    r = client.put(
        "/_emulator/on-hand",
        json=[{"ItemNumber": "A0001", "InventoryWarehouseId": "11", "OnHandQuantity": 40, "ReservedOnHandQuantity": 5}],
    )
    assert r.status_code == 200 and r.json()["value"][0]["AvailableOnHandQuantity"] == 35
    assert _on_hand(client, "A0001") == 35
    assert client.put("/_emulator/on-hand", json={"ItemNumber": "NOPE", "OnHandQuantity": 1}).status_code == 404


def test_partial_packing_slip_with_tracking_then_rest(client: httpx.Client) -> None:
    order = new_order(client, "SH8001", lines=LINES)
    lot = order["lines"][0]["InventoryLotId"]
    before = _on_hand(client, "IPOD2008GREEN")
    r = client.post(
        "/_emulator/sales-orders/SH8001/packing-slip",
        json={"lines": [{"InventoryLotId": lot, "Quantity": 1}], "tracking_numbers": ["794600000001"]},
    )
    assert r.status_code == 201
    slip = r.json()["PackingSlipId"]
    header = client.get(ORDER.format("SH8001")).json()
    assert (header["SalesOrderStatus"], header["SalesOrderProcessingStatus"]) == ("Backorder", "PartiallyDelivered")
    tracking = client.get(
        "/data/PackingSlipTrackingInformation", params={"$filter": "SalesOrderNumber eq 'SH8001'"}
    ).json()["value"]
    assert [(t["PackingSlipNumber"], t["TrackingNumber"]) for t in tracking] == [(slip, "794600000001")]
    shipped = client.get(
        "/data/CustPackingSlipTransBiEntities",
        params={"$filter": "SalesId eq 'SH8001'", "$select": "PackingSlipId,InventTransId,ItemId,Qty,Remain"},
    ).json()["value"]
    assert [(s["InventTransId"], s["Qty"], s["Remain"]) for s in shipped] == [(lot, 1, 2)]
    assert _on_hand(client, "IPOD2008GREEN") == before - 1
    rest = client.post(
        "/_emulator/sales-orders/SH8001/packing-slip", json={"tracking_numbers": ["794600000002", "794600000003"]}
    )
    assert rest.status_code == 201
    header = client.get(ORDER.format("SH8001")).json()
    assert (header["SalesOrderStatus"], header["SalesOrderProcessingStatus"]) == ("Delivered", "Delivered")
    assert client.get("/data/PackingSlipTrackingInformation/$count").text == "3"
    again = client.post("/_emulator/sales-orders/SH8001/packing-slip", json={})
    assert again.status_code == 409


def test_invoice_credit_note_and_return_limits(client: httpx.Client) -> None:
    order = new_order(client, "SH9001", lines=LINES)
    lot, freight_lot = (line["InventoryLotId"] for line in order["lines"])
    # Nothing invoiced yet: a return against the line is refused.
    ret = client.post(
        "/data/ReturnOrderHeadersV2",
        json={"ReturnOrderNumber": "RF9001", "RMANumber": "RMA-SH9001", "CustomerAccountNumber": "US-002"},
    )
    assert ret.status_code == 201 and ret.json()["ReturnStatus"] == "Created"
    early = client.post(
        "/data/ReturnOrderLinesV2",
        json={"ReturnOrderNumber": "RF9001", "ReturningInventoryLotId": lot, "ReturnSalesQuantity": -1},
    )
    assert early.status_code == 400 and "does not refer to an invoiced sales order line" in inner_message(early)

    partial = client.post(
        "/_emulator/sales-orders/SH9001/invoice", json={"lines": [{"InventoryLotId": lot, "Quantity": 2}]}
    )
    assert partial.status_code == 201
    assert _d(partial.json()["TotalInvoiceAmount"]) == Decimal("21.78")  # 20.00 + 8.875 % tax (1.78)
    full = client.post("/_emulator/sales-orders/SH9001/invoice", json={})
    assert full.status_code == 201
    header = client.get(ORDER.format("SH9001")).json()
    assert header["SalesOrderStatus"] == "Invoiced"
    invoices = client.get(
        "/data/SalesInvoiceHeadersV2",
        params={"$filter": "SalesOrderNumber eq 'SH9001'", "$expand": "SalesInvoiceLinesV2"},
    ).json()["value"]
    assert len(invoices) == 2
    assert _d(header["OrderTotalAmount"]) == Decimal("30.00") + Decimal("7.50") + Decimal("3.33")
    # Tax is rounded per invoice line, so two partial invoices can differ from the order by a cent
    # (1.78 + 0.89 on the split line versus 2.66 on the order), as in F&O.
    assert sum(_d(i["TotalInvoiceAmount"]) for i in invoices) == Decimal("40.84")
    assert sum(_d(i["TotalInvoiceAmount"]) - _d(i["TotalTaxAmount"]) for i in invoices) == Decimal("37.50")
    assert {line["LineCreationSequenceNumber"] for i in invoices for line in i["SalesInvoiceLinesV2"]} == {1, 2}

    too_many = client.post(
        "/data/ReturnOrderLinesV2",
        json={"ReturnOrderNumber": "RF9001", "ReturningInventoryLotId": lot, "ReturnSalesQuantity": -4},
    )
    assert too_many.status_code == 400 and "exceeds the quantity that can be returned" in inner_message(too_many)
    first = client.post(
        "/data/ReturnOrderLinesV2",
        json={
            "ReturnOrderNumber": "RF9001",
            "ReturningInventoryLotId": lot,
            "ReturnSalesQuantity": -2,
            "ReturnDispositionCode": "Credit",
        },
    )
    assert first.status_code == 201
    assert first.json()["ItemNumber"] == "IPOD2008GREEN" and _d(first.json()["LineAmount"]) == Decimal("-20")
    assert _d(first.json()["TotalTaxAmount"]) == Decimal("-1.78")
    over = client.post(
        "/data/ReturnOrderLinesV2",
        json={"ReturnOrderNumber": "RF9001", "ReturningInventoryLotId": lot, "ReturnSalesQuantity": -2},
    )
    assert over.status_code == 400  # only 1 left to return
    shipping = client.post(
        "/data/ReturnOrderLinesV2",
        json={"ReturnOrderNumber": "RF9001", "ReturningInventoryLotId": freight_lot, "ReturnSalesQuantity": -1},
    )
    assert shipping.status_code == 201 and _d(shipping.json()["LineAmount"]) == Decimal("-7.5")
    dup = client.post("/data/ReturnOrderHeadersV2", json={"RMANumber": "RMA-SH9001", "CustomerAccountNumber": "US-002"})
    assert dup.status_code == 400 and "The record already exists" in inner_message(dup)

    stock = _on_hand(client, "IPOD2008GREEN")
    credit = client.post("/_emulator/return-orders/RF9001/invoice", json={})
    assert credit.status_code == 201
    assert _on_hand(client, "IPOD2008GREEN") == stock + 2  # disposition Credit: back in warehouse 11
    note = credit.json()
    assert note["InvoiceNumber"].startswith("CCN-") and note["SalesOrderNumber"] == "RF9001"
    assert _d(note["TotalInvoiceAmount"]) == -(Decimal("20") + Decimal("1.78") + Decimal("7.5") + Decimal("0.67"))
    header = client.get("/data/ReturnOrderHeadersV2(dataAreaId='usmf',ReturnOrderNumber='RF9001')").json()
    assert (header["ReturnStatus"], header["ReturnOrderStatus"]) == ("Closed", "Invoiced")
    v1 = client.get("/data/ReturnOrderHeaders", params={"$expand": "ReturnOrderLines($select=ReturnStatus)"}).json()
    assert [line["ReturnStatus"] for line in v1["value"][0]["ReturnOrderLines"]] == ["Invoiced", "Invoiced"]


def test_cancel_only_before_delivery(client: httpx.Client) -> None:
    new_order(client, "SH9101", lines=LINES[:1])
    r = client.post("/_emulator/sales-orders/SH9101/cancel", json={})
    assert r.status_code == 200 and r.json()["SalesOrderStatus"] == "Canceled"
    new_order(client, "SH9102", lines=LINES[:1])
    client.post("/_emulator/sales-orders/SH9102/packing-slip", json={"tracking_numbers": ["1"]})
    assert client.post("/_emulator/sales-orders/SH9102/cancel", json={}).status_code == 409
    patch = client.patch(ORDER.format("SH9101"), json={"CustomerRequisitionNumber": "x"})
    assert patch.status_code == 400 and "cannot be changed" in inner_message(patch)
