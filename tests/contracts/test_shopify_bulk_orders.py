"""Order listings over a large window run as a Shopify bulk query (bulkOperationRunQuery, polled by
id, JSONL downloaded and linked by ``__parentId``); a failed bulk operation falls back to paging.
Against the Shopify emulator, which validates every document against the published 2026-10 schema."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import httpx
import pytest
from graphql import parse, validate

from integration.clients import shopify_bulk, shopify_orders
from integration.clients.shopify import ShopifyAdmin
from sandbox.emulators.serve import RunningServer, start_in_thread
from sandbox.emulators.shopify.app import create_app
from sandbox.emulators.shopify.config import ShopifyEmulatorConfig
from sandbox.emulators.shopify.published import published_schema
from sandbox.tests.emulators.shopify.conftest import sample
from shared.http import RetryPolicy
from shared.settings import SHOPIFY_API_VERSION_DEFAULT

TOKEN = "shpat_local_dev"
WIDE = ("2000-01-01T00:00:00+00:00", "2999-01-01T00:00:00+00:00")


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    running = start_in_thread(create_app(ShopifyEmulatorConfig()), name="shopify-bulk")
    yield running
    running.stop()


@pytest.fixture
def operator(server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers={"X-Shopify-Access-Token": TOKEN}, timeout=10) as client:
        client.post("/_emulator/reset")
        yield client


def admin(server: RunningServer, bulk_range_hours: float = 24) -> ShopifyAdmin:
    return ShopifyAdmin(
        server.url,
        TOKEN,
        SHOPIFY_API_VERSION_DEFAULT,
        policy=RetryPolicy(attempts=2, base_delay=0.01),
        sleep=lambda _s: None,
        bulk_range_hours=bulk_range_hours,
    )


def orders(operator: httpx.Client, count: int) -> list[int]:
    base = sample("shopify_python_api__fixtures__order.json")
    base = base.get("order", base)
    ids = []
    for n in range(count):
        response = operator.post("/_emulator/orders", json={**base, "id": 9100 + n, "name": f"#B{n}"})
        assert response.status_code == 201, response.text
        ids.append(response.json()["order"]["id"])
    return ids


def test_the_bulk_documents_validate_against_the_published_schema() -> None:
    schema = published_schema(SHOPIFY_API_VERSION_DEFAULT)
    document = shopify_orders.bulk_query("2026-01-01T00:00:00+00:00", "2026-02-01T00:00:00+00:00")
    assert [e.message for e in validate(schema, parse(document))] == []
    for text in (shopify_bulk.RUN, shopify_bulk.POLL):
        assert [e.message for e in validate(schema, parse(text))] == []


def test_a_large_window_is_read_with_a_bulk_operation(server: RunningServer, operator: httpx.Client) -> None:
    ids = orders(operator, 7)
    client = admin(server)
    seen = list(client.list_orders(*WIDE))
    assert sorted(o["id"] for o in seen) == sorted(ids)
    assert {o["admin_graphql_api_id"] for o in seen} == {f"gid://shopify/Order/{i}" for i in ids}
    assert all(o["name"].startswith("#B") and o["updated_at"] for o in seen)
    assert client.stats.bulk_operations == 1 and client.stats.bulk_fallbacks == 0
    # A short window still pages (no new bulk operation).
    list(client.list_orders("2999-01-01T00:00:00+00:00", "2999-01-01T01:00:00+00:00"))
    assert client.stats.bulk_operations == 1
    # Nothing matched: COMPLETED without a file, so no orders.
    assert list(client.list_orders("2990-01-01T00:00:00+00:00", "2999-01-01T00:00:00+00:00")) == []
    assert client.stats.bulk_operations == 2
    client.close()


def test_child_lines_are_linked_to_their_parent_by_parent_id(server: RunningServer, operator: httpx.Client) -> None:
    ids = orders(operator, 2)
    client = admin(server)
    query = "{ orders { edges { node { id name lineItems { edges { node { __typename id sku quantity } } } } } } }"
    operation_id = shopify_bulk.start(client, query)
    operation = shopify_bulk.wait(client, operation_id)
    raw = httpx.get(operation["url"]).text.splitlines()
    assert any('"__parentId"' in line for line in raw)  # the file really is flat
    parents = list(shopify_bulk.link(shopify_bulk.lines(operation["url"])))
    assert sorted(int(p["id"].rsplit("/", 1)[-1]) for p in parents) == sorted(ids)
    for parent in parents:
        assert parent["__children"] and all(c["__typename"] == "LineItem" for c in parent["__children"])
        assert "lineItems" not in parent
    assert int(operation["objectCount"]) == len(raw) and int(operation["rootObjectCount"]) == 2
    client.close()


def test_a_bulk_query_shopify_refuses_is_refused(server: RunningServer, operator: httpx.Client) -> None:
    client = admin(server)
    for query in ("{ shop { name } }", "{ orders { edges { node { id nope } } } }"):
        with pytest.raises(shopify_bulk.BulkOperationFailed, match="INVALID"):
            shopify_bulk.start(client, query)
    client.close()


def test_a_failed_bulk_operation_falls_back_to_paging(
    server: RunningServer, operator: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    ids = orders(operator, 4)
    assert operator.put("/_emulator/bulk", json={"fail_next": "TIMEOUT"}).status_code == 200
    client = admin(server)
    with caplog.at_level(logging.WARNING, logger="integration.clients.shopify"):
        seen = list(client.list_orders(*WIDE, page_size=2))
    assert sorted(o["id"] for o in seen) == sorted(ids)
    assert client.stats.bulk_fallbacks == 1 and client.stats.bulk_operations == 0
    messages = [r.getMessage() for r in caplog.records if "shopify.bulk_fallback" in r.getMessage()]
    assert messages and "FAILED TIMEOUT" in messages[0]
    assert "#B" not in messages[0]  # no shop data in the log line
    # The failure is the emulator's final status, as Shopify reports it.
    with pytest.raises(shopify_bulk.BulkOperationFailed) as failed:
        operator.put("/_emulator/bulk", json={"fail_next": "ACCESS_DENIED"})
        shopify_bulk.wait(client, shopify_bulk.start(client, shopify_orders.bulk_query(*WIDE)))
    assert failed.value.error_code == "ACCESS_DENIED"
    client.close()


def test_paging_only_when_bulk_is_switched_off(server: RunningServer, operator: httpx.Client) -> None:
    ids = orders(operator, 3)
    client = admin(server, bulk_range_hours=0)
    assert sorted(o["id"] for o in client.list_orders(*WIDE)) == sorted(ids)
    assert client.stats.bulk_operations == 0 and client.stats.bulk_fallbacks == 0
    assert json.loads(operator.get("/_emulator/bulk").text)["operations"] == 0
    client.close()
