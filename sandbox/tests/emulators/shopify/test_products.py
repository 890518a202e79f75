"""The emulator's productSet, price lists and bulk mutations refuse what Shopify refuses."""

from __future__ import annotations

import json
from typing import Any

import httpx

from sandbox.tests.emulators.shopify.conftest import Shop

VERSION = "2026-04"
SET = """mutation set($input: ProductSetInput!, $identifier: ProductSetIdentifiers) {
  productSet(input: $input, identifier: $identifier) {
    product { id title status variants(first: 10) { nodes { id sku price selectedOptions { name value } } } }
    userErrors { field message code } } }"""


def product(options: list[tuple[str, list[str]]], variants: list[list[tuple[str, str]]], **more: Any) -> dict[str, Any]:
    return {
        "title": "Shirt",
        "productOptions": [{"name": n, "values": [{"name": v} for v in values]} for n, values in options],
        "variants": [
            {
                "optionValues": [{"optionName": n, "name": v} for n, v in combo],
                "price": "10.00",
                "inventoryItem": {"sku": "-".join(v for _, v in combo)},
            }
            for combo in variants
        ],
        **more,
    }


def codes(shop: Shop, input: dict[str, Any], identifier: dict[str, Any] | None = None) -> list[str]:
    result = shop.data(SET, {"input": input, "identifier": identifier}, VERSION)["productSet"]
    return [e["code"] for e in result["userErrors"]]


def test_product_set_creates_and_updates_by_custom_id(shop: Shop) -> None:
    ident = {"customId": {"namespace": "d365", "key": "product_number", "value": "P1"}}
    first = shop.data(
        SET,
        {"input": product([("Size", ["S", "M"])], [[("Size", "S")], [("Size", "M")]]), "identifier": ident},
        VERSION,
    )
    created = first["productSet"]["product"]
    assert [v["sku"] for v in created["variants"]["nodes"]] == ["S", "M"]
    again = shop.data(
        SET, {"input": product([("Size", ["S"])], [[("Size", "S")]], title="Shirt 2"), "identifier": ident}, VERSION
    )
    updated = again["productSet"]["product"]
    assert updated["id"] == created["id"] and updated["title"] == "Shirt 2"
    assert [v["id"] for v in updated["variants"]["nodes"]] == [
        created["variants"]["nodes"][0]["id"]
    ]  # M deleted, S kept


def test_product_set_refusals(shop: Shop) -> None:
    four = [(f"O{i}", ["a"]) for i in range(4)]
    assert codes(shop, product(four, [[(n, "a") for n, _ in four]])) == ["OPTIONS_OVER_LIMIT"]
    assert "OPTION_VALUE_DOES_NOT_EXIST" in codes(shop, product([("Size", ["S"])], [[("Size", "XL")]]))
    assert "MISSING_FIELD_REQUIRED" in codes(shop, product([("Size", ["S"])], [[("Size", "S")]], title=""))
    assert codes(shop, {"title": "x", "productOptions": [{"name": "Size", "values": [{"name": "S"}]}]}) == [
        "VARIANTS_INPUT_MISSING"
    ]
    assert codes(shop, {"title": "x"}, {"id": "gid://shopify/Product/42"}) == ["PRODUCT_DOES_NOT_EXIST"]
    many = product(
        [("A", [str(i) for i in range(50)]), ("B", [str(i) for i in range(41)])],
        [[("A", str(a)), ("B", str(b))] for a in range(50) for b in range(41)],
    )
    assert codes(shop, many) == ["VARIANTS_OVER_LIMIT"]
    assert shop.data("query { products(first: 5) { nodes { id } } }", None, VERSION)["products"]["nodes"] == []


def test_fixed_prices_need_the_price_list_currency(shop: Shop) -> None:
    pl = shop.client.post("/_emulator/price-lists", json={"name": "EU", "currency": "EUR"}).json()["id"]
    variant = shop.data(SET, {"input": product([("Size", ["S"])], [[("Size", "S")]])}, VERSION)["productSet"][
        "product"
    ]["variants"]["nodes"][0]["id"]
    add = """mutation add($id: ID!, $prices: [PriceListPriceInput!]!) {
      priceListFixedPricesAdd(priceListId: $id, prices: $prices) {
        prices { price { amount currencyCode } } userErrors { code } } }"""
    wrong = shop.data(
        add, {"id": pl, "prices": [{"variantId": variant, "price": {"amount": "9", "currencyCode": "USD"}}]}, VERSION
    )
    assert [e["code"] for e in wrong["priceListFixedPricesAdd"]["userErrors"]] == ["PRICE_LIST_CURRENCY_MISMATCH"]
    right = shop.data(
        add, {"id": pl, "prices": [{"variantId": variant, "price": {"amount": "9", "currencyCode": "EUR"}}]}, VERSION
    )
    assert right["priceListFixedPricesAdd"]["prices"][0]["price"]["currencyCode"] == "EUR"
    delete = """mutation del($id: ID!, $ids: [ID!]!) { priceListFixedPricesDelete(priceListId: $id, variantIds: $ids) {
      deletedFixedPriceVariantIds userErrors { code } } }"""
    assert shop.data(delete, {"id": pl, "ids": [variant]}, VERSION)["priceListFixedPricesDelete"][
        "deletedFixedPriceVariantIds"
    ] == [variant]


STAGE = """mutation stage($input: [StagedUploadInput!]!) { stagedUploadsCreate(input: $input) {
  stagedTargets { url parameters { name value } } userErrors { message } } }"""
RUN = """mutation run($m: String!, $p: String!) { bulkOperationRunMutation(mutation: $m, stagedUploadPath: $p) {
  bulkOperation { id status } userErrors { code } } }"""
CURRENT = "query { currentBulkOperation(type: MUTATION) { id status url objectCount } }"


def stage(shop: Shop, lines: list[dict[str, Any]], file_last: bool = True) -> tuple[str, int]:
    target = shop.data(
        STAGE,
        {"input": [{"resource": "BULK_MUTATION_VARIABLES", "filename": "v.jsonl", "mimeType": "text/jsonl"}]},
        VERSION,
    )
    [t] = target["stagedUploadsCreate"]["stagedTargets"]
    params = {p["name"]: p["value"] for p in t["parameters"]}
    body = "".join(json.dumps(line) + "\n" for line in lines).encode()
    if file_last:
        response = httpx.post(t["url"], data=params, files={"file": ("v.jsonl", body)})
    else:  # the file before the form fields: the storage service refuses it
        boundary = "XyZ"
        parts = [("file", body)] + [(k, v.encode()) for k, v in params.items()]
        raw = b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n'.encode() + v + b"\r\n"
            for k, v in parts
        )
        response = httpx.post(
            t["url"],
            content=raw + f"--{boundary}--\r\n".encode(),
            headers={"content-type": f"multipart/form-data; boundary={boundary}"},
        )
    return params["key"], response.status_code


def test_a_bulk_mutation_runs_every_line_and_reports_when_it_is_done(shop: Shop) -> None:
    lines = [{"input": product([("Size", ["S"])], [[("Size", "S")]], title=f"P{i}")} for i in range(3)]
    lines.append({"input": {"title": ""}})  # refused line: its userErrors are in the result file
    key, status = stage(shop, lines)
    assert status == 201
    started = shop.data(RUN, {"m": SET, "p": key}, VERSION)["bulkOperationRunMutation"]
    assert started["userErrors"] == []
    assert shop.data(RUN, {"m": SET, "p": key}, VERSION)["bulkOperationRunMutation"]["userErrors"] == [
        {"code": "OPERATION_IN_PROGRESS"}
    ]
    first = shop.data(CURRENT, None, VERSION)["currentBulkOperation"]
    assert first["status"] == "RUNNING" and first["url"] is None
    done = shop.data(CURRENT, None, VERSION)["currentBulkOperation"]
    assert done["status"] == "COMPLETED" and done["objectCount"] == "4"
    rows = [json.loads(line) for line in httpx.get(done["url"]).text.splitlines()]
    assert [r["__lineNumber"] for r in rows] == [0, 1, 2, 3]
    assert rows[3]["data"]["productSet"]["userErrors"][0]["code"] == "MISSING_FIELD_REQUIRED"
    assert rows[0]["data"]["productSet"]["product"]["title"] == "P0"


def test_bulk_refusals(shop: Shop) -> None:
    assert stage(shop, [{"input": {}}], file_last=False)[1] == 400
    missing = shop.data(RUN, {"m": SET, "p": "tmp/none"}, VERSION)["bulkOperationRunMutation"]["userErrors"]
    assert missing == [{"code": "NO_SUCH_FILE"}]
    key, _ = stage(shop, [{"input": {}}])
    query = "query q { shop { name } }"
    assert shop.data(RUN, {"m": query, "p": key}, VERSION)["bulkOperationRunMutation"]["userErrors"] == [
        {"code": "INVALID_MUTATION"}
    ]
