"""Admin GraphQL reads: auth, versions, every supported query shape, Shopify-style errors."""

from __future__ import annotations

import httpx

from .conftest import TOKEN, sample

ORDER_GID = "gid://shopify/Order/450789469"

ORDER_QUERY = """
query Order($id: ID!) {
  order(id: $id) {
    id legacyResourceId name tags updatedAt displayFulfillmentStatus displayFinancialStatus
    totalPriceSet { shopMoney { amount currencyCode } }
    lineItems(first: 10) { nodes { id sku quantity fulfillableQuantity } }
    fulfillmentOrders(first: 5) {
      nodes {
        id status assignedLocation { location { id } }
        lineItems(first: 10) { nodes { id lineItem { id } totalQuantity remainingQuantity } }
      }
    }
  }
}"""


def test_missing_or_wrong_token_is_401_with_shopify_body(shop) -> None:
    for headers in ({}, {"X-Shopify-Access-Token": "shpat_wrong"}):
        response = httpx.post(
            f"{shop.url}/admin/api/2025-10/graphql.json", json={"query": "{ shop { name } }"}, headers=headers
        )
        assert response.status_code == 401
        assert response.json() == {
            "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
        }


def test_token_is_configurable(make_shop) -> None:
    custom = make_shop(access_token="shpat_custom")
    assert custom.client.post("/admin/api/2025-10/graphql.json", json={"query": "{ shop { name } }"}).status_code == 401
    ok = custom.client.post(
        "/admin/api/2025-10/graphql.json",
        json={"query": "{ shop { name } }"},
        headers={"X-Shopify-Access-Token": "shpat_custom"},
    )
    assert ok.status_code == 200


def test_bad_version_404_and_old_version_falls_forward(shop) -> None:
    assert shop.client.post("/admin/api/latest/graphql.json", json={"query": "{ shop { name } }"}).status_code == 404
    response = shop.client.post("/admin/api/2023-04/graphql.json", json={"query": "{ shop { name } }"})
    assert response.headers["x-shopify-api-version"] == "2026-01"  # the oldest supported version


def test_missing_query_is_400(shop) -> None:
    response = shop.client.post(
        "/admin/api/2025-10/graphql.json", content=b"not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400


def test_shop_and_locations(shop) -> None:
    data = shop.data("{ shop { name currencyCode myshopifyDomain } locations(first: 5) { nodes { id name } } }")
    assert data["shop"] == {
        "name": "Local Dev Store",
        "currencyCode": "USD",
        "myshopifyDomain": "emulator.myshopify.com",
    }
    assert [n["name"] for n in data["locations"]["nodes"]] == ["Main Warehouse", "East Warehouse"]
    assert all(n["id"].startswith("gid://shopify/Location/") for n in data["locations"]["nodes"])


def test_order_shape_with_line_items_and_fulfillment_orders(shop) -> None:
    shop.create_order()
    order = shop.data(ORDER_QUERY, {"id": ORDER_GID})["order"]
    assert order["id"] == ORDER_GID and order["legacyResourceId"] == "450789469"
    assert order["name"] == "#1001" and order["tags"] == []
    assert order["updatedAt"] == "2008-01-10T16:00:00Z"
    assert order["displayFulfillmentStatus"] == "UNFULFILLED"
    assert order["displayFinancialStatus"] == "AUTHORIZED"
    assert order["totalPriceSet"]["shopMoney"] == {"amount": "409.94", "currencyCode": "USD"}
    assert [li["sku"] for li in order["lineItems"]["nodes"]] == ["IPOD2008GREEN", "IPOD2008RED", "IPOD2008BLACK"]
    (fo,) = order["fulfillmentOrders"]["nodes"]
    assert fo["status"] == "OPEN"
    assert [li["lineItem"]["id"] for li in fo["lineItems"]["nodes"]] == [
        "gid://shopify/LineItem/466157049",
        "gid://shopify/LineItem/518995019",
        "gid://shopify/LineItem/703073504",
    ]
    assert all(li["remainingQuantity"] == li["totalQuantity"] == 1 for li in fo["lineItems"]["nodes"])


def test_split_locations_makes_one_fulfillment_order_per_location(make_shop) -> None:
    split = make_shop(split_locations=True)
    split.create_order()
    fos = split.data(ORDER_QUERY, {"id": ORDER_GID})["order"]["fulfillmentOrders"]["nodes"]
    assert len(fos) == 2
    assert {fo["assignedLocation"]["location"]["id"] for fo in fos} == {
        n["id"] for n in split.data("{ locations(first: 2) { nodes { id } } }")["locations"]["nodes"]
    }
    assert sorted(len(fo["lineItems"]["nodes"]) for fo in fos) == [1, 2]


def test_unknown_order_is_null_and_bad_gid_is_an_error(shop) -> None:
    assert shop.data('{ order(id: "gid://shopify/Order/1") { id } }') == {"order": None}
    body = shop.gql('{ order(id: "12345") { id } }')
    assert body["errors"][0]["message"] == "Invalid global id '12345'"


def test_invalid_field_fails_like_shopify(shop) -> None:
    body = shop.gql('{ order(id: "gid://shopify/Order/1") { id nope } }')
    (error,) = body["errors"]
    assert error["message"] == "Field 'nope' doesn't exist on type 'Order'"
    assert error["locations"] == [{"line": 1, "column": 43}]
    assert error["extensions"] == {"code": "undefinedField", "typeName": "Order", "fieldName": "nope"}
    assert "data" not in body


def test_missing_argument_and_syntax_error(shop) -> None:
    body = shop.gql("{ order { id } }")
    assert body["errors"][0]["extensions"]["code"] == "missingRequiredArguments"
    body = shop.gql("{ order(id: ) { id }")
    assert body["errors"][0]["locations"]


def test_connection_requires_first_or_last(shop) -> None:
    body = shop.gql("{ orders { nodes { id } } }")
    assert body["errors"][0]["message"] == "you must provide one of first or last"


def test_orders_cursor_pagination_with_updated_at_query_and_sort(shop) -> None:
    base = sample("shopify_python_api__fixtures__order.json")["order"]
    for n in range(5):
        order = {
            **base,
            "id": 1000 + n,
            "name": f"#{2000 + n}",
            "order_number": 2000 + n,
            "updated_at": f"2025-02-0{n + 1}T10:00:00-05:00",
        }
        shop.create_order(order)
    query = """query($after: String) { orders(first: 2, after: $after, sortKey: UPDATED_AT,
                 query: "updated_at:>='2025-02-02T00:00:00Z'") {
                 edges { cursor node { legacyResourceId updatedAt } } pageInfo { hasNextPage endCursor } } }"""
    seen, after = [], None
    for _ in range(5):
        page = shop.data(query, {"after": after})["orders"]
        seen += [e["node"]["legacyResourceId"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["1001", "1002", "1003", "1004"]
    newest = shop.data("{ orders(first: 1, sortKey: UPDATED_AT, reverse: true) { nodes { name } } }")
    assert newest["orders"]["nodes"] == [{"name": "#2004"}]


def test_orders_query_by_name_status_and_tag(shop) -> None:
    shop.create_order()
    assert shop.data('{ orders(first: 5, query: "name:#1001 status:open") { nodes { id } } }')["orders"]["nodes"]
    assert not shop.data('{ orders(first: 5, query: "tag:erp-synced") { nodes { id } } }')["orders"]["nodes"]


def test_inventory_items_by_sku_and_levels_with_quantities(shop) -> None:
    shop.create_order()
    data = shop.data("""{ inventoryItems(first: 5, query: "sku:IPOD2008RED") { nodes { id sku
        inventoryLevels(first: 5) { nodes { id location { id }
          quantities(names: ["available", "on_hand", "committed"]) { name quantity } } } } } }""")
    (item,) = data["inventoryItems"]["nodes"]
    assert item["sku"] == "IPOD2008RED"
    main, east = item["inventoryLevels"]["nodes"]
    assert {q["name"]: q["quantity"] for q in main["quantities"]} == {"available": 99, "on_hand": 100, "committed": 1}
    assert {q["name"]: q["quantity"] for q in east["quantities"]} == {"available": 100, "on_hand": 100, "committed": 0}
    level = shop.data("query($id: ID!) { inventoryLevel(id: $id) { item { sku } } }", {"id": main["id"]})
    assert level["inventoryLevel"]["item"]["sku"] == "IPOD2008RED"
    item_level = shop.data(
        "query($i: ID!, $l: ID!) { inventoryItem(id: $i) { inventoryLevel(locationId: $l) { "
        'quantities(names: ["available"]) { quantity } } } }',
        {"i": item["id"], "l": main["location"]["id"]},
    )
    assert item_level["inventoryItem"]["inventoryLevel"]["quantities"] == [{"quantity": 99}]


def test_several_skus_with_or(shop) -> None:
    shop.create_order()
    data = shop.data('{ inventoryItems(first: 5, query: "sku:IPOD2008RED OR sku:IPOD2008BLACK") { nodes { sku } } }')
    assert sorted(n["sku"] for n in data["inventoryItems"]["nodes"]) == ["IPOD2008BLACK", "IPOD2008RED"]


def test_application_graphql_body_is_accepted(shop) -> None:
    response = shop.client.post(
        "/admin/api/2025-10/graphql.json",
        content=b"{ shop { name } }",
        headers={"Content-Type": "application/graphql", "X-Shopify-Access-Token": TOKEN},
    )
    assert response.json()["data"]["shop"]["name"] == "Local Dev Store"
