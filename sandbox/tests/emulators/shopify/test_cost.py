"""Calculated query cost, the GraphQL leaky bucket (THROTTLED) and MAX_COST_EXCEEDED.

Time only moves through the fake clock, so restore is checked by comparing
``currentlyAvailable`` values, never by timing anything."""

from __future__ import annotations

from graphql import OperationDefinitionNode, parse

from sandbox.emulators.shopify.cost import CostCalculator
from sandbox.emulators.shopify.schema import TIER_LEGACY, schema_for_tier

TAGS_ADD = 'mutation { tagsAdd(id: "gid://shopify/Order/1", tags: ["x"]) { userErrors { message } } }'


def requested(query: str, variables: dict | None = None) -> int:
    schema = schema_for_tier(TIER_LEGACY)
    document = parse(query)
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    return CostCalculator(schema, {}, variables or {}).operation(operation)


def test_cost_rules() -> None:
    assert requested("{ shop { name currencyCode } }") == 1  # object 1, scalars 0
    assert requested("{ orders(first: 10) { nodes { id name } } }") == 2 + 10
    assert requested("{ orders(first: 10) { nodes { id lineItems(first: 5) { nodes { sku } } } } }") == 2 + 10 * (1 + 7)
    assert requested("query($n: Int) { locations(first: $n) { edges { node { id } } } }", {"n": 25}) == 27
    assert requested(TAGS_ADD) == 10
    money = '{ shop { name } order(id: "gid://shopify/Order/1") { id totalPriceSet { shopMoney { amount } } } }'
    assert requested(money) == 1 + 3


def test_every_response_reports_cost_and_actual_uses_returned_nodes(shop) -> None:
    body = shop.gql("{ orders(first: 50) { nodes { id } } }")
    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 52
    assert cost["actualQueryCost"] == 2  # no orders returned
    assert cost["throttleStatus"] == {"maximumAvailable": 2000.0, "currentlyAvailable": 1998.0, "restoreRate": 100.0}
    shop.create_order()
    body = shop.gql("{ orders(first: 50) { nodes { id } } }")
    assert body["extensions"]["cost"]["actualQueryCost"] == 3


def test_bucket_drains_throttles_and_restores_with_the_clock(make_shop) -> None:
    small = make_shop(bucket_max=50, restore_rate=1)
    available = []
    for _ in range(5):
        body = small.gql(TAGS_ADD)
        assert "errors" not in body
        available.append(body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"])
    assert available == [40, 30, 20, 10, 0]
    throttled = small.gql(TAGS_ADD)
    assert throttled["errors"] == [
        {
            "message": "Throttled",
            "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"},
        }
    ]
    assert throttled["extensions"]["cost"]["requestedQueryCost"] == 10
    assert throttled["extensions"]["cost"]["actualQueryCost"] is None
    assert "data" not in throttled
    small.clock.advance(4)
    assert small.gql(TAGS_ADD)["errors"][0]["extensions"]["code"] == "THROTTLED"
    small.clock.advance(6)
    restored = small.gql(TAGS_ADD)
    assert "errors" not in restored
    assert restored["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 0
    small.clock.advance(1000)
    assert small.gql("{ shop { name } }")["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 49
    log = small.client.get("/_emulator/requests").json()
    assert log["throttled"] == 2 and log["counts"]["graphql tagsAdd"] == 8


def test_single_query_over_1000_points_is_rejected_without_charging(shop) -> None:
    body = shop.gql("{ orders(first: 250) { nodes { lineItems(first: 250) { nodes { id } } } } }")
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert error["extensions"]["maxCost"] == 1000
    assert error["message"].startswith(f"Query cost is {error['extensions']['cost']}, which exceeds")
    assert body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 2000


def test_bucket_is_configurable_at_run_time(shop) -> None:
    response = shop.client.put(
        "/_emulator/bucket", json={"maximum_available": 15, "restore_rate": 2, "currently_available": 12}
    )
    assert response.json()["graphql"] == {"maximumAvailable": 15.0, "currentlyAvailable": 12.0, "restoreRate": 2.0}
    assert "errors" not in shop.gql(TAGS_ADD)
    assert shop.gql(TAGS_ADD)["errors"][0]["extensions"]["code"] == "THROTTLED"
