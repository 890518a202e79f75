"""The composition root: one client of each system per worker, shared by every flow; reset() for tests;
the ops router is a literal list (every route reachable, none twice, nothing added by an import)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from integration import bootstrap
from integration.clients.shopify_bucket import Priority
from integration.ops import flows as ops_flows
from integration.ops.api import Request, Route, Router
from shared.settings import SettingsError

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = {
    "SHOPIFY_ADMIN_URL": "http://127.0.0.1:9",
    "SHOPIFY_ADMIN_TOKEN": "shpat_test",
    "D365_URL": "http://127.0.0.1:9",
    "D365_LEGAL_ENTITY": "usmf",
    "D365_TOKEN": "test-token",
}


@pytest.fixture
def env(app_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Settings pointing at nothing that answers: building clients and flows opens no connection
    (flows that keep state in Tables reach Azurite)."""
    for key, value in SETTINGS.items():
        monkeypatch.setenv(key, value)
    bootstrap.reset()
    yield
    bootstrap.reset()


def test_every_flow_shares_the_workers_clients(env: None) -> None:
    orders, refunds, fulfillment = bootstrap.order_sync(), bootstrap.refund_service(), bootstrap.fulfillment_sync()
    customers, inventory, catalog = bootstrap.customer_sync(), bootstrap.inventory_sync(), bootstrap.catalog_sync()
    payments, freight = bootstrap.payment_sync(), bootstrap.freight_audit()
    d365 = bootstrap.d365()
    assert orders.d365 is d365 and refunds.d365 is d365 and fulfillment.source.d365 is d365
    assert customers.d365 is d365 and inventory.d365 is d365 and catalog.d365 is d365
    assert payments.d365 is d365 and freight.d365 is d365
    shopify = bootstrap.shopify()
    assert orders.shopify is shopify and refunds.shopify is shopify
    assert payments.shopify is shopify and freight.shopify is shopify
    # Inventory and catalog send at bulk priority through a view of the same client and cost bucket.
    for bulk in (inventory.shopify, catalog.shopify):
        assert bulk.priority is Priority.BULK and bulk.bucket is shopify.bucket and bulk.http is shopify.http
    assert shopify.priority is Priority.URGENT
    assert inventory.shopify.stats is not catalog.shopify.stats  # a run's summary counts its own calls
    assert bootstrap.order_sync() is orders and bootstrap.storage() is orders.storage


def test_reset_closes_the_clients_and_builds_new_ones(env: None) -> None:
    d365, shopify, orders = bootstrap.d365(), bootstrap.shopify(), bootstrap.order_sync()
    bootstrap.reset()
    assert d365.http.is_closed and shopify.http.is_closed
    assert bootstrap.d365() is not d365 and bootstrap.order_sync() is not orders
    assert bootstrap.order_sync().d365 is bootstrap.d365()


def test_a_view_shares_what_shopify_reported(env: None) -> None:
    bootstrap.shopify().reported_version = "2026-10"
    assert bootstrap.shopify_bulk().reported_version == "2026-10"


def test_the_router_lists_every_route_once_and_reaches_each() -> None:
    router = bootstrap.ops_router()  # building it reads no setting and opens no connection
    keys = [(r.method, r.template) for r in router.routes]
    assert len(keys) == len(set(keys))
    for route in router.routes:
        path = re.sub(r"\{(\w+)\}", lambda m: f"x-{m.group(1)}", route.template)
        matched = next(r for r in router.routes if r.method == route.method and r.pattern.match(path))
        assert matched is route, f"{route.method} {route.template} is shadowed by {matched.template}"
    paths = router.openapi()["paths"]
    assert sum(len(methods) for methods in paths.values()) == len(keys)
    for expected in (
        ("POST", "exceptions/{entity}/{id}/retry"),
        ("POST", "reconcile/orders"),
        ("POST", "inventory/resync"),
        ("POST", "customers/{customer_id}/confirm-link"),
        ("GET", "refunds/{refund_id}"),
        ("POST", "catalog/sync"),
        ("POST", "crm/reconcile"),
        ("POST", "payments/sync/{id}"),
        ("POST", "freight/invoices"),
        ("GET", "doctor"),
        ("GET", "mappings"),
    ):
        assert expected in keys
    assert not any("parked" in template for _, template in keys)


def test_a_route_listed_twice_is_refused() -> None:
    def handler(*_: object) -> None:
        return None

    with pytest.raises(ValueError, match="GET a is listed twice"):
        Router([Route("GET", "a", handler, ""), Route("GET", "a", handler, "")])


def test_the_packing_slip_retry_is_handed_its_flow(env: None) -> None:
    handlers = ops_flows.retry_handlers(bootstrap.fulfillment_sync)
    with pytest.raises(ValueError, match="sales order"):
        handlers["packing_slip"](bootstrap.storage(), "no-colon")


def test_triggers_reach_flows_only_through_bootstrap() -> None:
    """No trigger builds a client or a flow, or reads settings or storage, itself; no module adds ops
    routes or retry handlers as an import side effect."""
    forbidden = re.compile(
        r"from_settings\(|get_settings\(|get_storage\(|ShopifyAdmin\(|D365Client\(|FedexClient\(|"
        r"register\(\)|RETRY_HANDLERS|extend\(Route|os\.environ"
    )
    for trigger in sorted((ROOT / "integration" / "triggers").glob("*.py")):
        text = trigger.read_text(encoding="utf-8")
        assert not forbidden.search(text), f"{trigger.name} wires something itself"
    for module in sorted((ROOT / "integration").rglob("*.py")):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        names = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
        assert "register" not in names, f"{module} still has register()"


def test_a_run_route_without_its_settings_names_them_before_any_thread_starts(app_env: dict[str, str]) -> None:
    """The ops trigger answers a SettingsError with 503 and the setting's name (not "running")."""
    for path in ("catalog/sync", "inventory/resync"):
        with pytest.raises(SettingsError, match="D365_URL"):
            bootstrap.ops_router().dispatch(bootstrap.storage(), Request("POST", path, {}, b""))
