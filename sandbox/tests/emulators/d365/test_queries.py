"""Reads: $metadata, query options, paging, $count, cross-company, $expand (SmartTalks sample shape)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx

from .conftest import inner_message, new_order, sample_json

EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
SERVED = {
    "SalesOrderHeadersV2",
    "SalesOrderLines",
    "CustomersV3",
    "CustomerGroups",
    "ReleasedProductsV2",
    "WarehousesOnHandV2",
    "SalesInvoiceHeadersV2",
    "SalesInvoiceV2Lines",
    "ReturnOrderHeaders",
    "ReturnOrderHeadersV2",
    "ReturnOrderLines",
    "ReturnOrderLinesV2",
    "ReturnDispositionCodes",
    "PackingSlipTrackingInformation",
    "CustPackingSlipJourBiEntities",
    "CustPackingSlipTransBiEntities",
    "DeliveryModesV2",
    "TaxGroups",
}


def test_metadata_is_parseable_edmx_with_real_names_and_keys(client: httpx.Client) -> None:
    r = client.get("/data/$metadata")
    assert r.status_code == 200
    root = ET.fromstring(r.content)
    schema = root.find(f".//{EDM}Schema")
    assert schema is not None and schema.get("Namespace") == "Microsoft.Dynamics.DataEntities"
    container = schema.find(f"{EDM}EntityContainer")
    assert container is not None and container.get("Name") == "Resources"
    sets = {e.get("Name"): e.get("EntityType") for e in container.findall(f"{EDM}EntitySet")}
    assert SERVED <= set(sets)
    types = {t.get("Name"): t for t in schema.findall(f"{EDM}EntityType")}
    line = types["SalesOrderLine"]
    assert [p.get("Name") for p in line.findall(f"{EDM}Key/{EDM}PropertyRef")] == ["dataAreaId", "InventoryLotId"]
    props = {p.get("Name"): p for p in line.findall(f"{EDM}Property")}
    assert props["LineAmount"].get("Type") == "Edm.Decimal" and props["LineAmount"].get("Nullable") == "false"
    assert props["SalesOrderLineStatus"].get("Type") == "Microsoft.Dynamics.DataEntities.SalesStatus"
    enums = {e.get("Name"): [m.get("Name") for m in e] for e in schema.findall(f"{EDM}EnumType")}
    assert enums["NoYes"] == ["No", "Yes"]
    header = types["SalesOrderHeaderV2"]
    assert {n.get("Name") for n in header.findall(f"{EDM}NavigationProperty")} == {"SalesOrderLines"}
    assert "MaxLength" not in r.text


def test_filter_select_orderby_top_skip_count(client: httpx.Client) -> None:
    params = {
        "$filter": "ItemNumber eq '*ipod*' and SalesPrice ge 100 and ProductType eq "
        "Microsoft.Dynamics.DataEntities.EcoResProductType'Item'",
        "$select": "ItemNumber,SalesPrice",
        "$orderby": "ItemNumber desc",
        "$top": "2",
        "$skip": "1",
        "$count": "true",
    }
    body = client.get("/data/ReleasedProductsV2", params=params).json()
    assert body["@odata.count"] == 3  # before $top/$skip
    assert [v["ItemNumber"] for v in body["value"]] == ["IPOD2008GREEN", "IPOD2008BLACK"]
    assert set(body["value"][0]) == {"@odata.etag", "ItemNumber", "SalesPrice"}
    assert body["@odata.context"].endswith("/data/$metadata#ReleasedProductsV2(ItemNumber,SalesPrice)")

    service = client.get(
        "/data/ReleasedProductsV2",
        params={"$filter": "not (ProductType ne Microsoft.Dynamics.DataEntities.EcoResProductType'Service')"},
    ).json()
    assert [v["ItemNumber"] for v in service["value"]] == ["FREIGHT"]
    assert client.get("/data/ReleasedProductsV2/$count", params={"$filter": "SalesPrice gt 200"}).text == "3"
    either = client.get(
        "/data/CustomersV3",
        params={
            "$filter": "(PrimaryContactEmail eq 'JANE.DOE@example.com' or CustomerAccount eq 'US-003')",
            "$select": "CustomerAccount",
        },
    ).json()
    assert sorted(v["CustomerAccount"] for v in either["value"]) == ["US-002", "US-003"]


def test_values_follow_fo_conventions(client: httpx.Client) -> None:
    customer = client.get("/data/CustomersV3(dataAreaId='usmf',CustomerAccount='US-003')").json()
    assert customer["@odata.context"].endswith("#CustomersV3/$entity")
    assert customer["OrganizationName"] == "" and customer["PartyType"] == "Person"
    assert customer["OnHoldStatus"] == "No" and customer["CreditLimit"] == 0
    assert customer["AddressValidTo"] == "1900-01-01T12:00:00Z"
    assert customer["@odata.etag"].startswith('W/"')


def test_filter_errors_look_like_the_odata_library(client: httpx.Client) -> None:
    enum_as_string = client.get("/data/CustomersV3", params={"$filter": "OnHoldStatus eq 'No'"})
    assert enum_as_string.status_code == 400
    assert "incompatible types" in enum_as_string.json()["error"]["message"]
    for bad, text in (
        ("CustomerAccount in ('US-001')", "'has' and 'in' are not supported"),
        ("contains(CustomerAccount,'US')", "unknown function"),
        ("Nope eq 1", "Could not find a property named 'Nope'"),
    ):
        r = client.get("/data/CustomersV3", params={"$filter": bad})
        assert r.status_code == 400 and text in r.json()["error"]["message"], r.text


def test_server_driven_paging_follows_next_link_to_the_end(client: httpx.Client) -> None:
    assert client.put("/_emulator/settings", json={"page_size": 3}).status_code == 200
    try:
        url: str | None = "/data/ReleasedProductsV2?$select=ItemNumber&$count=true"
        seen, pages = [], 0
        while url:
            body = client.get(url).json()
            pages += 1
            assert body["@odata.count"] == 10
            assert len(body["value"]) <= 3
            seen += [v["ItemNumber"] for v in body["value"]]
            url = body.get("@odata.nextLink")
        assert pages == 4 and len(seen) == 10 == len(set(seen))
        top = client.get("/data/ReleasedProductsV2", params={"$top": "5", "$select": "ItemNumber"}).json()
        second = client.get(top["@odata.nextLink"]).json()
        assert len(top["value"]) + len(second["value"]) == 5 and "@odata.nextLink" not in second
    finally:
        client.put("/_emulator/settings", json={"page_size": 10000})


def test_cross_company(client: httpx.Client) -> None:
    default = client.get("/data/CustomersV3", params={"$select": "CustomerAccount,dataAreaId"}).json()["value"]
    assert {v["dataAreaId"] for v in default} == {"usmf"}
    everywhere = client.get(
        "/data/CustomersV3",
        params={"$select": "CustomerAccount,dataAreaId", "$filter": "dataAreaId eq 'usrt'", "cross-company": "true"},
    ).json()["value"]
    assert [v["CustomerAccount"] for v in everywhere] == ["US-RT-001"]
    key = "/data/CustomersV3(dataAreaId='usrt',CustomerAccount='US-RT-001')"
    assert client.get(key).status_code == 404
    assert client.get(key, params={"cross-company": "true"}).status_code == 200
    r = client.patch(key, json={"PrimaryContactPhone": "+1 206 555 0100"})
    assert r.status_code == 400 and inner_message(r) == "No resources were found when selecting for update."
    assert client.patch(key + "?cross-company=true", json={"PrimaryContactPhone": "+1 206 555 0100"}).status_code == 204


def test_expand_with_nested_select_matches_the_public_sample(client: httpx.Client) -> None:
    order = new_order(client, "SH2001", lines=[{"ItemNumber": "D0001"}, {"ItemNumber": "L0001"}])
    expected = sample_json("smarttalks__salesorderheadersv2_select_expand_lines.json")
    r = client.get(
        "/data/SalesOrderHeadersV2",
        params={
            "$top": "1",
            "$select": "SalesOrderNumber",
            "$filter": "SalesOrderNumber eq 'SH2001'",
            "$expand": "SalesOrderLines($select=InventoryLotId,ItemNumber,SalesOrderNumber)",
        },
    )
    body = r.json()
    assert body["@odata.context"].split("#")[1] == expected["@odata.context"].split("#")[1]
    got, want = body["value"][0], expected["value"][0]
    assert list(got) == list(want)
    assert {tuple(line) for line in got["SalesOrderLines"]} == {tuple(line) for line in want["SalesOrderLines"]}
    assert [line["InventoryLotId"] for line in got["SalesOrderLines"]] == [
        line["InventoryLotId"] for line in order["lines"]
    ]
    nav = client.get(
        "/data/SalesOrderHeadersV2(dataAreaId='usmf',SalesOrderNumber='SH2001')/SalesOrderLines",
        params={"$select": "ItemNumber", "$orderby": "ItemNumber desc"},
    ).json()
    assert [v["ItemNumber"] for v in nav["value"]] == ["L0001", "D0001"]


def test_eq_with_wildcards_between_digits_matches_every_phone_spelling(client: httpx.Client) -> None:
    # F&O turns ``*`` inside an ``eq`` string literal into SQL LIKE: any run of characters, anywhere.
    spellings = ["206-555-0199", "(206) 555-0199", "+1 206 555 0199", "2065550199", "+1 425 555 0199"]
    for index, phone in enumerate(spellings):
        body = {
            "CustomerAccount": f"PH-{index}",
            "CustomerGroupId": "30",
            "PartyType": "Person",
            "PersonLastName": "Phone",
            "SalesCurrencyCode": "USD",
            "PrimaryContactPhone": phone,
        }
        assert client.post("/data/CustomersV3", json=body).status_code == 201
    found = client.get(
        "/data/CustomersV3",
        params={"$filter": "PrimaryContactPhone eq '*5*5*5*0*1*9*9'", "$select": "CustomerAccount"},
    ).json()["value"]
    assert sorted(row["CustomerAccount"] for row in found) == [f"PH-{i}" for i in range(5)]
    exact_tail = client.get(
        "/data/CustomersV3", params={"$filter": "PrimaryContactPhone eq '*5550199'", "$select": "CustomerAccount"}
    ).json()["value"]
    assert sorted(row["CustomerAccount"] for row in exact_tail) == ["PH-3"]
    none = client.get("/data/CustomersV3", params={"$filter": "PrimaryContactPhone eq '*5*5*5*0*1*9*8'"}).json()
    assert not [row for row in none["value"] if str(row["CustomerAccount"]).startswith("PH-")]
