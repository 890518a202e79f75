"""Writes: POST 201 + number sequences, manual numbers and duplicates, PATCH/DELETE, etags, the real
error body shape, validation rules, line amounts, tax and totals."""

from __future__ import annotations

from decimal import Decimal

import httpx

from .conftest import inner_message, new_order, sample_json

ORDER = "/data/SalesOrderHeadersV2(dataAreaId='usmf',SalesOrderNumber='{}')"


def test_post_returns_201_with_entity_etag_and_generated_numbers(client: httpx.Client) -> None:
    r = client.post(
        "/data/SalesOrderHeadersV2",
        json={"OrderingCustomerAccountNumber": "US-002", "CurrencyCode": "USD", "DefaultShippingWarehouseId": "11"},
    )
    assert r.status_code == 201
    header = r.json()
    assert header["@odata.context"].endswith("/data/$metadata#SalesOrderHeadersV2/$entity")
    assert header["@odata.etag"].startswith('W/"') and r.headers["ETag"] == header["@odata.etag"]
    assert header["SalesOrderNumber"] == "000001" and header["dataAreaId"] == "usmf"
    assert header["SalesOrderStatus"] == "Backorder" and header["InvoiceCustomerAccountNumber"] == "US-002"
    assert header["DeliveryAddressCountryRegionId"] == "USA" and header["SalesTaxGroupCode"] == "NY"
    assert header["DefaultShippingSiteId"] == "1"
    assert r.headers["Location"].endswith(ORDER.format("000001"))
    line = client.post("/data/SalesOrderLines", json={"SalesOrderNumber": "000001", "ItemNumber": "A0001"})
    assert line.status_code == 201
    assert line.json()["InventoryLotId"] == "000001" and line.json()["LineCreationSequenceNumber"] == 1
    second = client.post("/data/SalesOrderHeadersV2", json={"OrderingCustomerAccountNumber": "US-001"}).json()
    assert second["SalesOrderNumber"] == "000002"


def test_manual_number_then_duplicate_is_rejected_in_the_real_error_shape(client: httpx.Client) -> None:
    first = client.post(
        "/data/SalesOrderHeadersV2", json={"SalesOrderNumber": "SH1001", "OrderingCustomerAccountNumber": "US-002"}
    )
    assert first.status_code == 201 and first.json()["SalesOrderNumber"] == "SH1001"
    # A retry after a lost response, with a different reference: still refused (key is SalesOrderNumber).
    again = client.post(
        "/data/SalesOrderHeadersV2",
        json={
            "SalesOrderNumber": "SH1001",
            "OrderingCustomerAccountNumber": "US-002",
            "CustomersOrderReference": "other",
        },
    )
    assert again.status_code == 400
    real = sample_json("smarttalks__odata_write_error_in_batch.json")
    body = again.json()
    assert list(body) == list(real) and list(body["error"]) == list(real["error"])
    assert list(body["error"]["innererror"]) == list(real["error"]["innererror"])
    assert body["error"]["code"] == "" and body["error"]["message"] == "An error has occurred."
    assert body["error"]["innererror"]["type"] == real["error"]["innererror"]["type"]
    message = inner_message(again)
    assert message.startswith(
        "Write failed for table row of type 'SalesOrderHeaderV2Entity'. Infolog: Info: "
        "Cannot create a record in Sales orders (SalesTable)."
    )
    assert message.endswith("The record already exists..")
    # No uniqueness rule on CustomersOrderReference (real F&O has none).
    twin = client.post(
        "/data/SalesOrderHeadersV2",
        json={"OrderingCustomerAccountNumber": "US-002", "CustomersOrderReference": "other"},
    )
    assert twin.status_code == 201
    assert client.put("/_emulator/settings", json={"manual_numbers": {"SalesOrderNumber": False}}).status_code == 200
    refused = client.post(
        "/data/SalesOrderHeadersV2", json={"SalesOrderNumber": "SH1002", "OrderingCustomerAccountNumber": "US-002"}
    )
    assert refused.status_code == 400 and "does not allow manual entry" in inner_message(refused)


def test_patch_changes_etag_stale_if_match_412_and_missing_key_400(client: httpx.Client) -> None:
    order = new_order(client, "SH3001")
    url = ORDER.format("SH3001")
    old_etag = order["header"]["@odata.etag"]
    r = client.patch(url, json={"CustomerRequisitionNumber": "PO-1"}, headers={"If-Match": old_etag})
    assert r.status_code == 204 and r.content == b""
    fresh = client.get(url).json()
    assert fresh["CustomerRequisitionNumber"] == "PO-1" and fresh["@odata.etag"] != old_etag
    stale = client.patch(url, json={"CustomerRequisitionNumber": "PO-2"}, headers={"If-Match": old_etag})
    assert stale.status_code == 412
    assert client.get(url).json()["CustomerRequisitionNumber"] == "PO-1"
    for method in ("PATCH", "DELETE"):
        missing = client.request(method, ORDER.format("NOPE"), json={"CustomerRequisitionNumber": "x"})
        assert missing.status_code == 400
        assert inner_message(missing) == "No resources were found when selecting for update."
    assert client.get(ORDER.format("NOPE")).status_code == 404
    line_url = f"/data/SalesOrderLines(dataAreaId='usmf',InventoryLotId='{order['lines'][0]['InventoryLotId']}')"
    assert client.delete(line_url).status_code == 204
    assert client.get(line_url).status_code == 404
    assert client.delete(url).status_code == 204


def test_line_amount_tax_and_header_totals_are_exact(client: httpx.Client) -> None:
    order = new_order(
        client,
        "SH4001",
        lines=[
            # LineDiscountAmount is per unit in F&O: (19.99 - 1.50) x 3 = 55.47
            {"ItemNumber": "TSHIRT-1", "OrderedSalesQuantity": 3, "SalesPrice": 19.99, "LineDiscountAmount": 1.5},
            # a line amount sent by the client is kept as is
            {"ItemNumber": "IPOD2008RED", "OrderedSalesQuantity": 3, "SalesPrice": 199, "LineAmount": 587.01},
            # freight: a line on the non-stock service item FREIGHT
            {"ItemNumber": "FREIGHT", "SalesPrice": 12.34},
        ],
        DeliveryAddressCountryRegionISOCode="US",
    )
    amounts = [Decimal(str(line["LineAmount"])) for line in order["lines"]]
    assert amounts == [Decimal("55.47"), Decimal("587.01"), Decimal("12.34")]
    header = client.get(
        ORDER.format("SH4001"), params={"$select": "OrderTotalAmount,OrderTotalTaxAmount,OrderTotalDiscountAmount"}
    ).json()
    # NY 8.875 %: 4.92 + 52.10 + 1.10 (each line rounded half up)
    assert Decimal(str(header["OrderTotalTaxAmount"])) == Decimal("58.12")
    assert Decimal(str(header["OrderTotalAmount"])) == Decimal("654.82") + Decimal("58.12")
    assert Decimal(str(header["OrderTotalDiscountAmount"])) == Decimal("4.50") + Decimal("9.99")
    assert client.put("/_emulator/tax-groups", json={"TaxGroupCode": "NY", "Rate": 0}).status_code == 200
    client.patch(
        f"/data/SalesOrderLines(dataAreaId='usmf',InventoryLotId='{order['lines'][0]['InventoryLotId']}')",
        json={"OrderedSalesQuantity": 1},
    )
    header = client.get(ORDER.format("SH4001")).json()
    assert Decimal(str(header["OrderTotalAmount"])) == Decimal("18.49") + Decimal("587.01") + Decimal("12.34")


def test_validation_errors_use_infolog_messages(client: httpx.Client) -> None:
    def post(path: str, body: dict[str, object]) -> str:
        r = client.post(path, json=body)
        assert r.status_code == 400, r.text
        return inner_message(r)

    assert "The value 'NOBODY' in field 'Customer account' is not found in the relating table 'Customers'" in post(
        "/data/SalesOrderHeadersV2", {"OrderingCustomerAccountNumber": "NOBODY"}
    )
    assert "Field 'Customer account' must be filled in." in post("/data/SalesOrderHeadersV2", {})
    assert "'Mode of delivery'" in post(
        "/data/SalesOrderHeadersV2", {"OrderingCustomerAccountNumber": "US-001", "DeliveryModeCode": "TELEPORT"}
    )
    assert "'Warehouse'" in post(
        "/data/SalesOrderHeadersV2", {"OrderingCustomerAccountNumber": "US-001", "DefaultShippingWarehouseId": "99"}
    )
    new_order(client, "SH5001", lines=[])
    message = post("/data/SalesOrderLines", {"SalesOrderNumber": "SH5001", "ItemNumber": "NO-SUCH-SKU"})
    assert message == (
        "Write failed for table row of type 'SalesOrderLineV2Entity'. Infolog: Warning: The value "
        "'NO-SUCH-SKU' in field 'Item number' is not found in the relating table 'Released products'."
        "; Warning: validateWrite failed on data source 'SalesLine (SalesLine)'."
    )
    bare = client.post("/data/SalesOrderHeadersV2", json={"OrderingCustomerAccountNumber": "US-001"}).json()
    assert "Inventory dimension Site is mandatory" in post(
        "/data/SalesOrderLines", {"SalesOrderNumber": bare["SalesOrderNumber"], "ItemNumber": "A0001"}
    )
    # a non-stock service item needs no site
    assert (
        client.post(
            "/data/SalesOrderLines",
            json={"SalesOrderNumber": bare["SalesOrderNumber"], "ItemNumber": "FREIGHT", "SalesPrice": 5},
        ).status_code
        == 201
    )
    assert "Field 'Customer account' must be filled in." in post(
        "/data/CustomersV3", {"CustomerGroupId": "30", "SalesCurrencyCode": "USD", "OrganizationName": "X"}
    )
    assert "relating table 'Customer groups'" in post(
        "/data/CustomersV3",
        {"CustomerAccount": "C-1", "CustomerGroupId": "99", "SalesCurrencyCode": "USD", "OrganizationName": "X"},
    )
    hold = client.patch("/data/CustomersV3(dataAreaId='usmf',CustomerAccount='US-001')", json={"OnHoldStatus": "All"})
    assert hold.status_code == 204
    assert "on hold" in post("/data/SalesOrderHeadersV2", {"OrderingCustomerAccountNumber": "US-001"})
    unknown = client.post("/data/CustomersV3", json={"CustomerAccount": "C-1", "Nope": 1})
    assert unknown.status_code == 400 and "does not exist on type" in unknown.json()["error"]["message"]


def test_customer_create_with_iso_country_and_duplicate(client: httpx.Client) -> None:
    body = {
        "CustomerAccount": "SHOP-42",
        "PartyType": "Person",
        "PersonFirstName": "Steve",
        "PersonLastName": "Rogers",
        "CustomerGroupId": "30",
        "SalesCurrencyCode": "USD",
        "PrimaryContactEmail": "steve@example.com",
        "AddressStreet": "221B Olive Street",
        "AddressCity": "Mountain View",
        "AddressState": "CA",
        "AddressZipCode": "94086",
        "AddressCountryRegionISOCode": "US",
        "IsSalesTaxIncludedInPrices": "No",
    }
    created = client.post("/data/CustomersV3", json=body)
    assert created.status_code == 201
    assert created.json()["AddressCountryRegionId"] == "USA" and created.json()["NameAlias"] == "Steve Rogers"
    dup = client.post("/data/CustomersV3", json=body)
    assert dup.status_code == 400 and "The record already exists" in inner_message(dup)
    found = client.get(
        "/data/CustomersV3",
        params={"$filter": "PrimaryContactEmail eq 'Steve@Example.com'", "$select": "CustomerAccount"},
    ).json()["value"]
    assert found == [{"@odata.etag": found[0]["@odata.etag"], "CustomerAccount": "SHOP-42"}]


def test_hotwax_published_request_bodies_replay(client: httpx.Client) -> None:
    bodies = sample_json("hotwax__oms_to_d365_sample_requests.json")
    customer = client.post("/data/CustomersV3", json=bodies["CustomersV3_create"])
    assert customer.status_code == 201 and customer.json()["CustomerAccount"] == "HW-02"
    # Published for SalesOrderHeadersV4; every field exists on SalesOrderHeadersV2 too.
    header = client.post("/data/SalesOrderHeadersV2", json=bodies["SalesOrderHeadersV4_create"])
    assert header.status_code == 201, header.text
    created = header.json()
    assert created["DeliveryAddressCity"] == "Mountain View" and created["DeliveryAddressCountryRegionISOCode"] == "US"
    line = {k: v for k, v in bodies["SalesOrderLinesV3_create"].items() if k not in ("ProductSizeId", "ProductColorId")}
    line.update(SalesOrderNumber=created["SalesOrderNumber"], ItemNumber="A0001", ShippingWarehouseId="11")
    r = client.post("/data/SalesOrderLines", json=line)
    assert r.status_code == 201 and Decimal(str(r.json()["LineAmount"])) == Decimal(80)  # (100 - 20) x 1
    line.pop("ShippingWarehouseId")
    r = client.post("/data/SalesOrderLines", json=line)
    observed = bodies["observed_error_when_no_site_or_warehouse"]["message"]
    assert r.status_code == 400
    assert observed.split("Infolog: ")[1].split(";")[0] in inner_message(r)
