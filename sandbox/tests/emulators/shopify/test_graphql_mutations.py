"""Admin GraphQL writes: tags, metafields, inventory CAS + idempotency, fulfillments, registrations."""

from __future__ import annotations

import uuid

from .conftest import sample

ORDER = "gid://shopify/Order/450789469"

TAGS_ADD = """mutation($id: ID!, $tags: [String!]!) { tagsAdd(id: $id, tags: $tags) {
  node { id ... on Order { tags } } userErrors { field message } } }"""


def _order(shop, **changes):
    order = sample("shopify_python_api__fixtures__order.json")["order"]
    order.update(changes)
    return shop.create_order(order)["order"]


def test_tags_add_never_removes_existing_tags(shop) -> None:
    _order(shop, tags="vip, Wholesale")
    result = shop.data(TAGS_ADD, {"id": ORDER, "tags": ["erp-synced", "vip"]})["tagsAdd"]
    assert result["userErrors"] == []
    assert result["node"]["tags"] == ["erp-synced", "vip", "Wholesale"]
    again = shop.data(TAGS_ADD, {"id": ORDER, "tags": "erp:SO-1, erp-synced"})["tagsAdd"]  # comma string works
    assert again["node"]["tags"] == ["erp-synced", "erp:SO-1", "vip", "Wholesale"]
    rest = shop.client.get("/admin/api/2025-10/orders/450789469.json").json()["order"]
    assert rest["tags"] == "erp-synced, erp:SO-1, vip, Wholesale"


def test_tags_add_unknown_order_is_a_user_error(shop) -> None:
    result = shop.data(TAGS_ADD, {"id": "gid://shopify/Order/1", "tags": ["x"]})["tagsAdd"]
    assert result["node"] is None and result["userErrors"][0]["field"] == ["id"]


def test_order_update_overwrites_tags_unlike_tags_add(shop) -> None:
    _order(shop, tags="merchant-tag")
    data = shop.data(
        """mutation($input: OrderInput!) { orderUpdate(input: $input) { order { tags
        metafield(namespace: "erp", key: "so") { value } } userErrors { message } } }""",
        {
            "input": {
                "id": ORDER,
                "tags": ["only"],
                "metafields": [{"namespace": "erp", "key": "so", "value": "SO-9", "type": "single_line_text_field"}],
            }
        },
    )
    assert data["orderUpdate"]["order"] == {"tags": ["only"], "metafield": {"value": "SO-9"}}


METAFIELDS_SET = """mutation($m: [MetafieldsSetInput!]!) { metafieldsSet(metafields: $m) {
  metafields { id namespace key value type compareDigest } userErrors { field message code elementIndex } } }"""


def test_metafields_set_creates_then_updates_and_is_readable_on_the_order(shop) -> None:
    _order(shop)
    first = {
        "ownerId": ORDER,
        "namespace": "erp",
        "key": "sales_order",
        "value": "SO-000123",
        "type": "single_line_text_field",
    }
    created = shop.data(METAFIELDS_SET, {"m": [first]})["metafieldsSet"]
    assert created["userErrors"] == []
    (metafield,) = created["metafields"]
    assert metafield["id"].startswith("gid://shopify/Metafield/")
    updated = shop.data(
        METAFIELDS_SET, {"m": [{**first, "value": "SO-000124", "compareDigest": metafield["compareDigest"]}]}
    )["metafieldsSet"]
    assert updated["metafields"][0]["id"] == metafield["id"]
    stale = shop.data(METAFIELDS_SET, {"m": [{**first, "value": "SO-X", "compareDigest": metafield["compareDigest"]}]})
    assert stale["metafieldsSet"]["userErrors"][0]["code"] == "STALE_OBJECT"
    order = shop.data(
        f'{{ order(id: "{ORDER}") {{ metafield(namespace: "erp", key: "sales_order") {{ value }} '
        f"metafields(first: 5) {{ nodes {{ key value }} }} }} }}"
    )["order"]
    assert order["metafield"] == {"value": "SO-000124"}
    assert order["metafields"]["nodes"] == [{"key": "sales_order", "value": "SO-000124"}]


def test_metafields_set_validates_everything_before_writing(shop) -> None:
    _order(shop)
    good = {"ownerId": ORDER, "namespace": "erp", "key": "a", "value": "1", "type": "number_integer"}
    bad = {"ownerId": ORDER, "namespace": "erp", "key": "b", "value": "abc", "type": "number_integer"}
    result = shop.data(METAFIELDS_SET, {"m": [good, bad]})["metafieldsSet"]
    assert result["metafields"] is None
    assert result["userErrors"][0]["code"] == "INVALID_VALUE" and result["userErrors"][0]["elementIndex"] == 1
    too_many = shop.data(METAFIELDS_SET, {"m": [{**good, "key": f"k{n}"} for n in range(26)]})["metafieldsSet"]
    assert too_many["userErrors"][0]["code"] == "LESS_THAN_OR_EQUAL_TO"
    missing = shop.data(METAFIELDS_SET, {"m": [{**good, "ownerId": "gid://shopify/Order/1"}]})["metafieldsSet"]
    assert missing["userErrors"][0]["field"] == ["metafields", "0", "ownerId"]
    assert (
        shop.data(f'{{ order(id: "{ORDER}") {{ metafields(first: 5) {{ nodes {{ key }} }} }} }}')["order"][
            "metafields"
        ]["nodes"]
        == []
    )


def _level(shop, sku: str = "IPOD2008RED") -> tuple[str, str, dict[str, int]]:
    item = shop.data(
        f'{{ inventoryItems(first: 1, query: "sku:{sku}") {{ nodes {{ id inventoryLevels(first: 1) '
        '{ nodes { location { id } quantities(names: ["available", "on_hand", "committed"]) '
        "{ name quantity } } } } } }"
    )["inventoryItems"]["nodes"][0]
    level = item["inventoryLevels"]["nodes"][0]
    return item["id"], level["location"]["id"], {q["name"]: q["quantity"] for q in level["quantities"]}


# compareQuantity/ignoreCompareQuantity exist up to 2026-01 (removed in 2026-04).
LAST_WITH_COMPARE = "2026-01"

SET_LEGACY = """mutation($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) {
  inventoryAdjustmentGroup { id reason referenceDocumentUri changes { name delta quantityAfterChange } }
  userErrors { field code message } } }"""


def _set_input(item: str, location: str, quantity: int, **cas) -> dict:
    return {
        "name": "available",
        "reason": "correction",
        "referenceDocumentUri": "gid://erp/SyncJob/1",
        "quantities": [{"inventoryItemId": item, "locationId": location, "quantity": quantity, **cas}],
    }


def test_inventory_set_quantities_legacy_compare_quantity(shop) -> None:
    _order(shop)
    item, location, before = _level(shop)
    assert before == {"available": 99, "on_hand": 100, "committed": 1}
    required = shop.data(
        version=LAST_WITH_COMPARE, query=SET_LEGACY, variables={"input": _set_input(item, location, 40)}
    )["inventorySetQuantities"]
    assert required["userErrors"][0]["code"] == "COMPARE_QUANTITY_REQUIRED"
    stale = shop.data(
        version=LAST_WITH_COMPARE,
        query=SET_LEGACY,
        variables={"input": _set_input(item, location, 40, compareQuantity=5)},
    )
    assert stale["inventorySetQuantities"]["userErrors"] == [
        {
            "field": ["input", "quantities", "0", "compareQuantity"],
            "code": "COMPARE_QUANTITY_STALE",
            "message": "The compareQuantity value does not match persisted value.",
        }
    ]
    assert _level(shop)[2] == before  # nothing applied
    ok = shop.data(
        version=LAST_WITH_COMPARE,
        query=SET_LEGACY,
        variables={"input": _set_input(item, location, 40, compareQuantity=99)},
    )["inventorySetQuantities"]
    assert ok["userErrors"] == []
    assert {c["name"]: (c["delta"], c["quantityAfterChange"]) for c in ok["inventoryAdjustmentGroup"]["changes"]} == {
        "available": (-59, 40),
        "on_hand": (-59, 41),
    }
    assert _level(shop)[2] == {"available": 40, "on_hand": 41, "committed": 1}
    ignored = shop.data(
        version=LAST_WITH_COMPARE,
        query=SET_LEGACY,
        variables={"input": {**_set_input(item, location, 7), "ignoreCompareQuantity": True}},
    )
    assert ignored["inventorySetQuantities"]["userErrors"] == []


SET_2026 = """mutation($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
  inventoryAdjustmentGroup { id changes(quantityNames: ["available"]) { delta quantityAfterChange } }
  userErrors { field code message } } }"""


def test_compare_quantity_is_refused_from_2026_04_as_the_published_schema_says(shop) -> None:
    _order(shop)
    item, location, before = _level(shop)
    body = shop.gql(
        SET_2026, {"input": _set_input(item, location, 1, compareQuantity=99), "key": "k"}, version="2026-10"
    )
    assert body["errors"][0]["extensions"]["code"] == "INVALID_VARIABLE"
    assert "compareQuantity" in body["errors"][0]["message"] and "data" not in body
    unknown_field = shop.gql("{ shop { name notAField } }", version="2026-10")
    assert unknown_field["errors"][0]["extensions"]["code"] == "undefinedField"
    assert _level(shop)[2] == before


def test_change_from_quantity_stale_and_idempotent_replay_2026_01(shop) -> None:
    _order(shop)
    item, location, _ = _level(shop)
    stale = shop.data(
        SET_2026, {"input": _set_input(item, location, 50, changeFromQuantity=3), "key": "k0"}, version="2026-01"
    )["inventorySetQuantities"]
    assert stale["userErrors"][0]["code"] == "CHANGE_FROM_QUANTITY_STALE"
    key = str(uuid.uuid4())
    variables = {"input": _set_input(item, location, 50, changeFromQuantity=99), "key": key}
    first = shop.data(SET_2026, variables, version="2026-01")["inventorySetQuantities"]
    replay = shop.data(SET_2026, variables, version="2026-01")["inventorySetQuantities"]
    assert first == replay  # same adjustment group id, same deltas
    assert first["inventoryAdjustmentGroup"]["changes"] == [{"delta": -49, "quantityAfterChange": 50}]
    assert _level(shop)[2]["available"] == 50  # applied once
    other = shop.data(
        SET_2026, {"input": _set_input(item, location, 60, changeFromQuantity=50), "key": key}, version="2026-01"
    )["inventorySetQuantities"]
    assert other["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"
    opt_out = shop.data(
        SET_2026, {"input": _set_input(item, location, 8, changeFromQuantity=None), "key": "k2"}, version="2026-01"
    )["inventorySetQuantities"]
    assert opt_out["userErrors"] == [] and _level(shop)[2]["available"] == 8


def test_2026_04_requires_change_from_quantity_and_idempotency_key(shop) -> None:
    _order(shop)
    item, location, _ = _level(shop)
    missing_cas = shop.gql(SET_2026, {"input": _set_input(item, location, 5), "key": "a"}, version="2026-04")
    assert "changeFromQuantity" in missing_cas["errors"][0]["message"]
    no_key = shop.gql(SET_LEGACY, {"input": _set_input(item, location, 5, changeFromQuantity=99)}, version="2026-04")
    assert "@idempotent" in no_key["errors"][0]["message"]
    removed = shop.gql(
        SET_2026, {"input": _set_input(item, location, 5, compareQuantity=99), "key": "b"}, version="2026-04"
    )
    assert removed["errors"][0]["extensions"]["code"] == "INVALID_VARIABLE"
    assert _level(shop)[2]["available"] == 99


def test_inventory_set_quantities_limits_and_validation(shop) -> None:
    _order(shop)
    item, location, _ = _level(shop)
    too_many = {
        "name": "available",
        "reason": "correction",
        "ignoreCompareQuantity": True,
        "quantities": [{"inventoryItemId": item, "locationId": location, "quantity": n} for n in range(251)],
    }
    assert (
        shop.gql(version=LAST_WITH_COMPARE, query=SET_LEGACY, variables={"input": too_many})["errors"][0]["extensions"][
            "code"
        ]
        == "MAX_INPUT_SIZE_EXCEEDED"
    )
    bad = {
        **_set_input("gid://shopify/InventoryItem/1", location, 1),
        "ignoreCompareQuantity": True,
        "reason": "because",
        "name": "committed",
    }
    codes = {
        e["code"]
        for e in shop.data(version=LAST_WITH_COMPARE, query=SET_LEGACY, variables={"input": bad})[
            "inventorySetQuantities"
        ]["userErrors"]
    }
    assert codes == {"INVALID_REASON", "INVALID_NAME", "INVALID_INVENTORY_ITEM"}


FULFILLMENT_ORDER = """{ order(id: "gid://shopify/Order/450789469") { displayFulfillmentStatus
  fulfillmentOrders(first: 5) { nodes { id status lineItems(first: 5) { nodes { id remainingQuantity
  lineItem { sku } } } } } } }"""

FULFILL = """mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) {
  fulfillment { id name status totalQuantity trackingInfo { company number url }
    fulfillmentLineItems(first: 5) { nodes { quantity lineItem { sku } } } }
  userErrors { field message } } }"""


def test_fulfillment_partial_then_full_updates_statuses_and_stock(shop) -> None:
    order = {**sample("shopify_python_api__fixtures__order.json")["order"]}
    order["line_items"][0] = {**order["line_items"][0], "quantity": 3}
    shop.create_order(order)
    fo = shop.data(FULFILLMENT_ORDER)["order"]["fulfillmentOrders"]["nodes"][0]
    green = fo["lineItems"]["nodes"][0]
    partial = shop.data(
        FULFILL,
        {
            "f": {
                "lineItemsByFulfillmentOrder": [
                    {"fulfillmentOrderId": fo["id"], "fulfillmentOrderLineItems": [{"id": green["id"], "quantity": 2}]}
                ],
                "trackingInfo": {"company": "FedEx", "number": "794612345678"},
                "notifyCustomer": False,
            }
        },
    )
    created = partial["fulfillmentCreate"]
    assert created["userErrors"] == []
    assert created["fulfillment"]["name"] == "#1001.1" and created["fulfillment"]["status"] == "SUCCESS"
    assert created["fulfillment"]["trackingInfo"] == [
        {"company": "FedEx", "number": "794612345678", "url": "https://www.fedex.com/fedextrack/?trknbr=794612345678"}
    ]
    state = shop.data(FULFILLMENT_ORDER)["order"]
    assert state["displayFulfillmentStatus"] == "PARTIALLY_FULFILLED"
    assert state["fulfillmentOrders"]["nodes"][0]["status"] == "IN_PROGRESS"
    assert [li["remainingQuantity"] for li in state["fulfillmentOrders"]["nodes"][0]["lineItems"]["nodes"]] == [1, 1, 1]
    assert _level(shop, "IPOD2008GREEN")[2] == {"available": 97, "on_hand": 98, "committed": 1}
    rest = shop.client.get("/admin/api/2025-10/orders/450789469.json").json()["order"]
    assert rest["fulfillment_status"] == "partial"
    assert rest["fulfillments"][-1]["tracking_number"] == "794612345678"
    rest_line = next(li for li in rest["line_items"] if li["sku"] == "IPOD2008GREEN")
    assert rest_line["fulfillable_quantity"] == 1 and rest_line["fulfillment_status"] == "partial"

    rest_of_it = shop.data(FULFILL, {"f": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo["id"]}]}})
    assert rest_of_it["fulfillmentCreate"]["fulfillment"]["totalQuantity"] == 3
    final = shop.data(FULFILLMENT_ORDER)["order"]
    assert final["displayFulfillmentStatus"] == "FULFILLED"
    assert final["fulfillmentOrders"]["nodes"][0]["status"] == "CLOSED"
    assert (
        shop.client.get("/admin/api/2025-10/orders/450789469.json").json()["order"]["fulfillment_status"] == "fulfilled"
    )


def test_over_fulfilment_and_closed_fulfillment_order_are_user_errors(shop) -> None:
    _order(shop)
    fo = shop.data(FULFILLMENT_ORDER)["order"]["fulfillmentOrders"]["nodes"][0]
    line = fo["lineItems"]["nodes"][0]
    over = shop.data(
        FULFILL,
        {
            "f": {
                "lineItemsByFulfillmentOrder": [
                    {"fulfillmentOrderId": fo["id"], "fulfillmentOrderLineItems": [{"id": line["id"], "quantity": 2}]}
                ]
            }
        },
    )["fulfillmentCreate"]
    assert over["fulfillment"] is None
    assert over["userErrors"] == [
        {"field": ["fulfillment"], "message": "Invalid fulfillment order line item quantity requested."}
    ]
    assert shop.data(FULFILLMENT_ORDER)["order"]["displayFulfillmentStatus"] == "UNFULFILLED"
    shop.data(FULFILL, {"f": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo["id"]}]}})
    closed = shop.data(FULFILL, {"f": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo["id"]}]}})
    assert "unfulfillable status= closed" in closed["fulfillmentCreate"]["userErrors"][0]["message"]


def test_tracking_info_update(shop) -> None:
    _order(shop)
    fo = shop.data(FULFILLMENT_ORDER)["order"]["fulfillmentOrders"]["nodes"][0]
    fulfillment = shop.data(FULFILL, {"f": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo["id"]}]}})[
        "fulfillmentCreate"
    ]["fulfillment"]
    updated = shop.data(
        """mutation($id: ID!, $t: FulfillmentTrackingInput!) {
        fulfillmentTrackingInfoUpdate(fulfillmentId: $id, trackingInfoInput: $t, notifyCustomer: false) {
        fulfillment { trackingInfo { company number url } } userErrors { message } } }""",
        {
            "id": fulfillment["id"],
            "t": {"company": "UPS", "numbers": ["1Z1", "1Z2"], "urls": ["https://t/1", "https://t/2"]},
        },
    )
    assert updated["fulfillmentTrackingInfoUpdate"]["fulfillment"]["trackingInfo"] == [
        {"company": "UPS", "number": "1Z1", "url": "https://t/1"},
        {"company": "UPS", "number": "1Z2", "url": "https://t/2"},
    ]
    rest = shop.client.get("/admin/api/2025-10/orders/450789469.json").json()["order"]["fulfillments"][-1]
    assert rest["tracking_numbers"] == ["1Z1", "1Z2"] and rest["tracking_company"] == "UPS"


def test_carrier_service_and_webhook_subscription_registration(shop, receiver) -> None:
    carrier = shop.data("""mutation { carrierServiceCreate(input: {name: "FedEx live rates",
        callbackUrl: "https://example.test/api/shopify/carrier-rates", supportsServiceDiscovery: true, active: true}) {
        carrierService { id name callbackUrl active } userErrors { message } } }""")["carrierServiceCreate"]
    assert carrier["carrierService"]["id"].startswith("gid://shopify/DeliveryCarrierService/")
    duplicate = shop.data("""mutation { carrierServiceCreate(input: {name: "FedEx live rates",
        callbackUrl: "https://x.test", supportsServiceDiscovery: true, active: true}) { userErrors { message } } }""")
    assert duplicate["carrierServiceCreate"]["userErrors"]
    sub = shop.data(
        """mutation($url: URL!) { webhookSubscriptionCreate(topic: ORDERS_CREATE,
        webhookSubscription: {callbackUrl: $url, format: JSON}) { webhookSubscription { id topic uri format }
        userErrors { message } } }""",
        {"url": receiver.url},
        version="2026-01",
    )["webhookSubscriptionCreate"]
    assert sub["webhookSubscription"]["topic"] == "ORDERS_CREATE" and sub["webhookSubscription"]["uri"] == receiver.url
    created = shop.create_order()
    assert [d["status"] for d in created["deliveries"]] == [200]
    ((headers, _body),) = receiver.received
    assert headers["x-shopify-api-version"] == "2026-01"  # payload version = version that created it
    listed = shop.data(
        "{ webhookSubscriptions(first: 5) { nodes { topic } } carrierServices(first: 5) { nodes { name } } }"
    )
    assert listed == {
        "webhookSubscriptions": {"nodes": [{"topic": "ORDERS_CREATE"}]},
        "carrierServices": {"nodes": [{"name": "FedEx live rates"}]},
    }


def test_inventory_adjust_quantities_applies_deltas_with_change_from_quantity(shop) -> None:
    _order(shop)
    item, location, _ = _level(shop)
    adjust = """mutation($input: InventoryAdjustQuantitiesInput!) {
      inventoryAdjustQuantities(input: $input) @idempotent(key: "adj-1") {
      inventoryAdjustmentGroup { reason changes { name delta quantityAfterChange } } userErrors { code } } }"""
    change = {"inventoryItemId": item, "locationId": location, "delta": 5}
    stale = shop.data(
        adjust.replace("adj-1", "adj-0"),
        {"input": {"name": "available", "reason": "received", "changes": [{**change, "changeFromQuantity": 1}]}},
        version="2026-01",
    )
    assert stale["inventoryAdjustQuantities"]["userErrors"] == [{"code": "CHANGE_FROM_QUANTITY_STALE"}]
    changes = [{**change, "changeFromQuantity": 99}]
    variables = {"input": {"name": "available", "reason": "received", "changes": changes}}
    for _ in range(2):  # replayed key: applied once
        result = shop.data(adjust, variables, version="2026-01")["inventoryAdjustQuantities"]
        assert result["inventoryAdjustmentGroup"]["changes"][0] == {
            "name": "available",
            "delta": 5,
            "quantityAfterChange": 104,
        }
    assert _level(shop)[2] == {"available": 104, "on_hand": 105, "committed": 1}
