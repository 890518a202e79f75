"""Every GraphQL document the app can send validates against Shopify's *published* Admin schema of
the target version (the introspection result shipped in @shopify/dev-mcp), not against our
emulator's subset: the module-level documents, the ones built at run time, and their variables
as the app's own builders make them. (The emulator checks the same schema on every request, so
every integration and end-to-end test validates the documents and variables it really sends.)"""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from graphql import GraphQLSchema, OperationDefinitionNode, parse, validate

import integration
from integration import cli
from integration.clients import shopify_orders
from integration.clients.shopify import ShopifyAdmin
from integration.inventory.publish import MUTATION, Quantity, levels_query, variables
from integration.inventory.quantities import Change
from integration.orders.writeback import write_back
from sandbox.emulators.serve import RunningServer, start_in_thread
from sandbox.emulators.shopify.app import create_app
from sandbox.emulators.shopify.config import ShopifyEmulatorConfig
from sandbox.emulators.shopify.published import check, published_schema, published_versions
from shared.settings import SHOPIFY_API_VERSION_DEFAULT

TARGET = SHOPIFY_API_VERSION_DEFAULT


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return published_schema(TARGET)


def module_documents() -> dict[str, str]:
    """Module-level strings of the integration package that are GraphQL operations."""
    found: dict[str, str] = {}
    for info in pkgutil.walk_packages(integration.__path__, "integration."):
        if ".triggers." in info.name or info.name.endswith(".triggers"):
            continue  # Functions blueprints: no GraphQL there (and importing them needs the host)
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if isinstance(value, str) and value.lstrip().startswith(("query ", "mutation ", "query{", "mutation{")):
                found[f"{info.name}.{name}"] = value
    return found


def test_the_target_version_is_published_and_is_2026_10() -> None:
    assert TARGET == "2026-10" and TARGET in published_versions()


def test_the_scan_finds_the_documents() -> None:
    names = set(module_documents())
    expected = {
        "integration.clients.shopify.TAGS_ADD",
        "integration.clients.shopify_orders.ORDER",
        "integration.clients.shopify_orders.ORDERS_UPDATED",
        "integration.clients.shopify_orders.REFUND",
        "integration.inventory.publish.MUTATION",
        "integration.inventory.sources.LOCATIONS",
        "integration.clients.shopify.TAGS_AND_METAFIELDS",
        "integration.fulfillment.shopify_side.FULFILLMENT_CREATE",
        "integration.cli.WEBHOOK_SUBSCRIPTION_CREATE",
        "integration.cli.CARRIER_SERVICE_CREATE",
    }
    assert expected <= names, expected - names


@pytest.mark.parametrize("name", sorted(module_documents()))
def test_every_module_document_validates(schema: GraphQLSchema, name: str) -> None:
    # The document alone (its variables are checked below, as the app's builders make them).
    assert [e.message for e in validate(schema, parse(module_documents()[name]))] == []


def test_a_document_with_a_field_shopify_does_not_have_is_refused(schema: GraphQLSchema) -> None:
    assert validate(schema, parse("query { shop { name inventoryNotAField } }"))


@pytest.mark.parametrize("count", [1, 2, 100])
def test_run_time_inventory_level_reads_validate(schema: GraphQLSchema, count: int) -> None:
    query = levels_query(count, 'on_"hand')  # a quantity name that needs escaping stays valid
    values = {k: f"gid://shopify/InventoryItem/{n}" for n in range(count) for k in (f"i{n}", f"l{n}")}
    assert [e.message for e in check(schema, parse(query), values)] == []


def _quantity(compare: int | None) -> Quantity:
    change = Change("gid://shopify/Location/1", "SKU", 5, compare)
    return Quantity(change, "gid://shopify/InventoryItem/9", compare)


def test_inventory_mutation_and_its_variables_validate(schema: GraphQLSchema) -> None:
    sent = variables([_quantity(3), _quantity(None)], name="on_hand", reason="correction", uri="gid://x/1", key="k")
    assert [e.message for e in check(schema, parse(MUTATION), sent)] == []
    legacy = json.loads(json.dumps(sent))
    legacy["input"]["quantities"][0]["compareQuantity"] = 3  # removed in 2026-04
    assert check(schema, parse(MUTATION), legacy), "the published schema must refuse compareQuantity"


def test_registration_inputs_validate(schema: GraphQLSchema) -> None:
    base = "https://app.example"
    sub = {"topic": "ORDERS_CREATE", "sub": cli.subscription_input(base)}
    assert "uri" in sub["sub"] and "callbackUrl" not in sub["sub"]
    assert [e.message for e in check(schema, parse(cli.WEBHOOK_SUBSCRIPTION_CREATE), sub)] == []
    carrier = {"input": cli.carrier_service_input(base)}
    assert [e.message for e in check(schema, parse(cli.CARRIER_SERVICE_CREATE), carrier)] == []


def test_order_read_variables_validate(schema: GraphQLSchema) -> None:
    docs = shopify_orders.DOCUMENTS
    cases: dict[str, dict[str, Any]] = {
        "orderById": {"id": "gid://shopify/Order/1", "lines": shopify_orders.LINES_PAGE},
        "orderLineItems": {"id": "gid://shopify/Order/1", "lines": shopify_orders.LINES_PAGE, "after": "c"},
        "refundById": {"id": "gid://shopify/Refund/1"},
        "ordersUpdated": {"query": "updated_at:>='2026-11-01T00:00:00Z'", "first": 100, "after": None},
    }
    for name, values in cases.items():
        assert [e.message for e in check(schema, parse(docs[name]), values)] == [], name


class Recorder(httpx.BaseTransport):
    """Real HTTP to the emulator, keeping a copy of every GraphQL request body."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.sent: list[dict[str, Any]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/graphql.json"):
            self.sent.append(json.loads(request.content))
        return self.inner.handle_request(request)


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    running = start_in_thread(create_app(ShopifyEmulatorConfig()), name="shopify-documents")
    yield running
    running.stop()


def test_documents_and_variables_the_app_really_sends_validate(schema: GraphQLSchema, server: RunningServer) -> None:
    from sandbox.tests.emulators.shopify.conftest import sample

    recorder = Recorder()
    admin = ShopifyAdmin(server.url, "shpat_local_dev", TARGET, transport=recorder)
    created = httpx.post(
        f"{server.url}/_emulator/orders",
        json=sample("itakastudio__orders_create__line_item_discount.json"),
        headers={"X-Shopify-Access-Token": "shpat_local_dev"},
    ).json()["order"]
    write_back(admin, f"gid://shopify/Order/{created['id']}", "SO-1", "created")
    assert admin.get_order(created["id"]) is not None
    list(admin.list_orders("2000-01-01T00:00:00Z"))
    admin.close()
    assert len(recorder.sent) >= 3
    for body in recorder.sent:
        operation = next(d for d in parse(body["query"]).definitions if isinstance(d, OperationDefinitionNode))
        assert [e.message for e in check(schema, parse(body["query"]), body["variables"])] == [], operation.name
