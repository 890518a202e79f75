from __future__ import annotations

import httpx
import pytest

from integration.clients.shopify import ShopifyAdmin, ShopifyGraphQLError, ShopifyUserErrors, gid, legacy_id
from shared.http import RetryPolicy
from shared.settings import SHOPIFY_API_VERSION_DEFAULT


def admin(handler, sleeps: list[float]) -> ShopifyAdmin:
    return ShopifyAdmin(
        "https://shop.example",
        "tok",
        SHOPIFY_API_VERSION_DEFAULT,
        transport=httpx.MockTransport(handler),
        policy=RetryPolicy(attempts=3, sleep=sleeps.append),
        sleep=sleeps.append,
    )


def cost(available: float, requested: float = 10, maximum: float = 2000, rate: float = 100) -> dict:
    return {
        "cost": {
            "requestedQueryCost": requested,
            "actualQueryCost": requested,
            "throttleStatus": {"maximumAvailable": maximum, "currentlyAvailable": available, "restoreRate": rate},
        }
    }


def test_gids() -> None:
    assert gid("Order", 5) == "gid://shopify/Order/5"
    assert gid("Order", "gid://shopify/Order/5") == "gid://shopify/Order/5"
    assert legacy_id("gid://shopify/Order/5") == "5"


def test_throttled_then_paced_retry() -> None:
    sleeps: list[float] = []
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        assert request.headers["x-shopify-access-token"] == "tok"
        if len(calls) == 1:
            return httpx.Response(
                200,
                json={
                    "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                    "extensions": cost(available=0, requested=50),
                },
            )
        return httpx.Response(200, json={"data": {"shop": {"name": "x"}}, "extensions": cost(1900)})

    client = admin(handler, sleeps)
    assert client.graphql("{ shop { name } }") == {"shop": {"name": "x"}}
    assert len(calls) == 2 and client.stats.throttled == 1
    assert sleeps and 0.4 <= sleeps[0] <= 0.51  # 50 points at 100/s


def test_graphql_errors_and_user_errors() -> None:
    client = admin(lambda r: httpx.Response(200, json={"errors": [{"message": "Field 'x' doesn't exist"}]}), [])
    with pytest.raises(ShopifyGraphQLError, match="doesn't exist"):
        client.graphql("{ x }")
    body = {"data": {"tagsAdd": {"node": None, "userErrors": [{"field": ["id"], "message": "Order not found"}]}}}
    client = admin(lambda r: httpx.Response(200, json=body), [])
    with pytest.raises(ShopifyUserErrors, match="Order not found"):
        client.tags_add(gid("Order", 1), ["synced"])


def test_429_retry_after_is_honoured() -> None:
    sleeps: list[float] = []
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            return httpx.Response(429, headers={"Retry-After": "2.0"})
        return httpx.Response(200, json={"data": {"shop": {"name": "x"}}})

    assert admin(handler, sleeps).graphql("{ shop { name } }") == {"shop": {"name": "x"}}
    assert sleeps == [2.0]


def test_no_rest_endpoint_is_called() -> None:
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        return httpx.Response(200, json={"data": {"order": None, "orders": {"nodes": [], "pageInfo": {}}}})

    client = admin(handler, [])
    assert client.get_order(9) is None
    assert list(client.list_orders("2026-11-01T00:00:00Z")) == []
    assert paths and all(p.endswith("/graphql.json") for p in paths)


def test_non_idempotent_write_is_not_resent_after_a_5xx() -> None:
    from integration.clients.shopify import ShopifyTransient

    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(502)

    with pytest.raises(ShopifyTransient, match="outcome is unknown"):
        admin(handler, []).graphql("mutation { x }", idempotent=False)
    assert len(calls) == 1
    calls.clear()
    with pytest.raises(ShopifyTransient):
        admin(handler, []).graphql("{ shop { name } }")
    assert len(calls) == 3  # reads are retried


def test_internal_errors_in_graphql_are_transient() -> None:
    from integration.clients.shopify import ShopifyTransient

    body = {"errors": [{"message": "Internal error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]}
    with pytest.raises(ShopifyTransient):
        admin(lambda r: httpx.Response(200, json=body), []).graphql("{ shop { name } }")
