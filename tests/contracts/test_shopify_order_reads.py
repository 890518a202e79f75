"""Order reads over GraphQL (no REST left): an order by id with lines, refunds and transactions
mapped to the webhook body's shape, and orders updated in a window, paginated by cursor. Against
the Shopify emulator, which validates every document against Shopify's published 2026-10 schema."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from integration.clients.shopify import ShopifyAdmin
from integration.orders.model import parse_order
from integration.refunds.model import parse_refund
from sandbox.emulators.serve import RunningServer, start_in_thread
from sandbox.emulators.shopify.app import create_app
from sandbox.emulators.shopify.config import ShopifyEmulatorConfig
from sandbox.tests.emulators.shopify.conftest import sample
from shared.http import RetryPolicy
from shared.settings import SHOPIFY_API_VERSION_DEFAULT
from tests.conftest import present

TOKEN = "shpat_local_dev"


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    running = start_in_thread(create_app(ShopifyEmulatorConfig()), name="shopify-contracts")
    yield running
    running.stop()


@pytest.fixture
def operator(server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers={"X-Shopify-Access-Token": TOKEN}, timeout=10) as client:
        client.post("/_emulator/reset")
        yield client


def admin(server: RunningServer, version: str = SHOPIFY_API_VERSION_DEFAULT) -> ShopifyAdmin:
    return ShopifyAdmin(server.url, TOKEN, version, policy=RetryPolicy(attempts=2, base_delay=0.01))


def create(operator: httpx.Client, body: dict) -> dict:
    response = operator.post("/_emulator/orders", json=body)
    assert response.status_code == 201, response.text
    return response.json()["order"]


def test_an_order_read_over_graphql_parses_like_its_webhook_body(server: RunningServer, operator) -> None:
    webhook = sample("itakastudio__orders_create__line_item_discount.json")
    stored = create(operator, webhook)
    client = admin(server)
    fetched = present(client.get_order(stored["id"]))
    assert fetched is not None
    expected, got = parse_order(stored), parse_order(fetched)
    assert got.id == expected.id and got.name == expected.name and got.gid == expected.gid
    assert (got.currency, got.presentment_currency) == (expected.currency, expected.presentment_currency)
    for name in ("total_price", "total_tax", "total_discounts", "total_shipping"):
        assert getattr(got, name) == getattr(expected, name), name
        assert isinstance(getattr(got, name).shop, Decimal)
    assert [(li.id, li.sku, li.quantity, li.price, li.discount) for li in got.lines] == [
        (li.id, li.sku, li.quantity, li.price, li.discount) for li in expected.lines
    ]
    assert [(s.title, s.code, s.price) for s in got.shipping_lines] == [
        (s.title, s.code, s.price) for s in expected.shipping_lines
    ]
    assert got.shipping_address == expected.shipping_address
    assert [t.price for li in got.lines for t in li.tax_lines] == [
        t.price for li in expected.lines for t in li.tax_lines
    ]
    assert client.get_order(999999999) is None
    client.close()
    # The legacy REST read is not served: an app still calling it would fail here.
    assert operator.get(f"/admin/api/{SHOPIFY_API_VERSION_DEFAULT}/orders/{stored['id']}.json").status_code == 404


def test_many_line_items_are_read_page_by_page(server: RunningServer, operator) -> None:
    body = sample("shopify_python_api__fixtures__order.json")
    body = body.get("order", body)
    line = body["line_items"][0]
    body["line_items"] = [{**line, "id": 5000 + n, "sku": f"SKU-{n}"} for n in range(65)]
    stored = create(operator, body)
    client = admin(server)
    fetched = present(client.get_order(stored["id"]))
    assert [li["sku"] for li in fetched["line_items"]] == [f"SKU-{n}" for n in range(65)]
    client.close()


def test_refunds_come_with_lines_and_transactions(server: RunningServer, operator) -> None:
    body = sample("shopify_python_api__fixtures__order.json")
    stored = create(operator, body.get("order", body))
    line = stored["line_items"][0]
    refund = operator.post(
        f"/_emulator/orders/{stored['id']}/refunds",
        json={"refund_line_items": [{"line_item_id": line["id"], "quantity": 1, "restock_type": "return"}]},
    )
    assert refund.status_code in (200, 201), refund.text
    client = admin(server)
    fetched = present(client.get_order(stored["id"]))
    assert fetched is not None and len(fetched["refunds"]) == 1
    parsed = parse_refund({"order_id": stored["id"], **fetched["refunds"][0]})
    assert parsed.order_id == str(stored["id"])
    assert [(r.line_item_id, r.quantity, r.restock_type) for r in parsed.lines] == [(str(line["id"]), 1, "return")]
    assert parsed.lines[0].subtotal.shop > 0 and isinstance(parsed.lines[0].subtotal.shop, Decimal)
    created = refund.json()
    created = created.get("refund", created)
    webhook = parse_refund({"order_id": stored["id"], **created})
    assert [(r.subtotal.shop, r.tax.shop) for r in parsed.lines] == [
        (r.subtotal.shop, r.tax.shop) for r in webhook.lines
    ]
    assert [(t.kind, t.amount) for t in parsed.transactions] == [(t.kind, t.amount) for t in webhook.transactions]
    assert parse_order(fetched).refunded_quantities == {line["id"]: 1}
    client.close()


def test_orders_updated_since_are_paginated_by_cursor(server: RunningServer, operator) -> None:
    base = sample("shopify_python_api__fixtures__order.json")
    base = base.get("order", base)
    ids = [create(operator, {**base, "id": 8000 + n, "name": f"#X{n}"})["id"] for n in range(7)]
    client = admin(server)
    seen = list(client.list_orders("2000-01-01T00:00:00Z", page_size=3))
    assert [o["id"] for o in seen if o["id"] in ids] == ids or sorted(o["id"] for o in seen if o["id"] in ids) == ids
    assert client.stats.requests >= 3  # three pages of three
    # The summaries carry what a reconciliation compares (the CRM flow's) in the webhook's spelling.
    mine = [o for o in seen if o["id"] in ids]
    assert {o["total_price"] for o in mine} == {str(base["total_price"])}
    assert all(o["fulfillment_status"] in ("unfulfilled", "fulfilled", "partially_fulfilled") for o in mine)
    assert list(client.list_orders("2999-01-01T00:00:00Z")) == []
    client.close()


def test_the_reported_version_wins_and_a_mismatch_is_a_warning(server: RunningServer, caplog) -> None:
    client = admin(server, "2025-10")  # retired: Shopify serves the oldest supported version instead
    with caplog.at_level(logging.WARNING, logger="integration.clients.shopify"):
        client.graphql("{ shop { name } }")
    assert client.api_version == "2026-01" and client.configured_version == "2025-10"
    assert any("shopify.api_version_mismatch" in r.getMessage() for r in caplog.records)
    current = admin(server)
    current.graphql("{ shop { name } }")
    assert (
        current.api_version == SHOPIFY_API_VERSION_DEFAULT and current.require_version() == SHOPIFY_API_VERSION_DEFAULT
    )
    client.close()
    current.close()
