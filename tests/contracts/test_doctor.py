"""The go-live preflight against the three emulators: a correct environment passes; injected
misconfigurations are reported line by line, each with its fix."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from typer.testing import CliRunner

from integration import bootstrap, cli
from integration.clients.shopify import ShopifyAdmin
from integration.doctor import Check, run_doctor, summary
from integration.doctor.usage import fo_usage
from integration.ops.api import Request
from sandbox.emulators.d365.app import create_app as create_d365
from sandbox.emulators.d365.config import D365EmulatorConfig
from sandbox.emulators.fedex import FedexEmulatorConfig
from sandbox.emulators.fedex import create_app as create_fedex
from sandbox.emulators.serve import RunningServer, start_in_thread
from sandbox.emulators.shopify.app import create_app as create_shopify
from sandbox.emulators.shopify.config import ShopifyEmulatorConfig
from shared.settings import Settings, load_settings
from shared.storage import Storage

APP = "https://app.example"
ALL_SCOPES = [
    "read_customers",
    "write_orders",
    "write_inventory",
    "read_locations",
    "write_merchant_managed_fulfillment_orders",
    "write_shipping",
]


@dataclass
class Systems:
    shopify: RunningServer
    fedex: RunningServer
    d365: RunningServer

    def settings(self, **overrides: str) -> Settings:
        values = {
            "SHOPIFY_ADMIN_URL": self.shopify.url,
            "SHOPIFY_SHOP_DOMAIN": "emulator.myshopify.com",
            "SHOPIFY_ADMIN_TOKEN": "shpat_local_dev",
            "FEDEX_URL": self.fedex.url,
            "FEDEX_CLIENT_ID": "local-fedex-client",
            "FEDEX_CLIENT_SECRET": "local-fedex-secret",
            "FEDEX_ACCOUNT_NUMBER": "740561073",
            "D365_URL": self.d365.url,
            "D365_LEGAL_ENTITY": "usmf",
            "D365_TOKEN": "local-dev-token",
            **overrides,
        }
        return load_settings(values)

    def register_app(self) -> None:
        admin = ShopifyAdmin(self.shopify.url, "shpat_local_dev", "2026-10")
        for topic in cli.WEBHOOK_TOPICS:
            admin.graphql(cli.WEBHOOK_SUBSCRIPTION_CREATE, {"topic": topic, "sub": cli.subscription_input(APP)})
        admin.graphql(cli.CARRIER_SERVICE_CREATE, {"input": cli.carrier_service_input(APP)})
        admin.close()


@pytest.fixture
def systems() -> Iterator[Systems]:
    servers = [
        start_in_thread(create_shopify(ShopifyEmulatorConfig(access_scopes=list(ALL_SCOPES))), name="doctor-shopify"),
        start_in_thread(create_fedex(FedexEmulatorConfig()), name="doctor-fedex"),
        start_in_thread(create_d365(D365EmulatorConfig()), name="doctor-d365"),
    ]
    yield Systems(*servers)
    for server in servers:
        server.stop()


def by_name(checks: list[Check]) -> dict[tuple[str, str], Check]:
    return {(c.system, c.name): c for c in checks}


def test_the_f_and_o_usage_list_is_generated_from_the_code() -> None:
    usage = fo_usage()
    assert {"SalesOrderHeadersV2", "CustomersV3", "CustPackingSlipTransBiEntities", "ReturnOrderHeadersV2"} <= set(
        usage
    )
    assert {"InventTransId", "ItemId", "Qty", "PackingSlipId", "SalesId"} <= usage["CustPackingSlipTransBiEntities"]


def test_a_correct_environment_passes(systems: Systems) -> None:
    systems.register_app()
    checks = run_doctor(systems.settings(), APP)
    failed = [c for c in checks if c.ok is False]
    assert failed == [], failed
    names = by_name(checks)
    assert names[("Shopify", "API version")].ok and names[("Shopify", "webhooks")].ok
    assert (
        names[("FedEx", "international rate")].ok and "INTERNATIONAL" in names[("FedEx", "international rate")].detail
    )
    assert names[("F&O", "entity CustPackingSlipTransBiEntities")].ok
    for data_type in ("SalesId", "ReturnItemNum", "CustAccount"):  # read from SequenceV2Tables
        assert names[("F&O", f"number sequence {data_type}")].ok is True
        assert "usmf" in names[("F&O", f"number sequence {data_type}")].detail.lower()
    assert summary(checks)["ok"] is True


def test_misconfigurations_are_reported_line_by_line(systems: Systems) -> None:
    # Nothing registered, a retired API version, wrong FedEx secret, a freight item F&O does not have,
    # customer accounts numbered automatically only.
    refused = httpx.put(f"{systems.d365.url}/_emulator/settings", json={"manual_numbers": {"CustomerAccount": False}})
    assert refused.status_code == 200
    settings = systems.settings(
        SHOPIFY_API_VERSION="2025-10", FEDEX_CLIENT_SECRET="wrong", D365_FREIGHT_ITEM="NO-SUCH-ITEM"
    )
    checks = by_name(run_doctor(settings, APP))
    version = checks[("Shopify", "API version")]
    assert version.ok is False and "served 2026-01" in version.detail and "SHOPIFY_API_VERSION" in version.fix
    assert checks[("Shopify", "webhooks")].ok is False and "ORDERS_CREATE" in checks[("Shopify", "webhooks")].detail
    assert "register" in checks[("Shopify", "webhooks")].fix
    assert checks[("Shopify", "carrier service")].ok is False
    assert checks[("FedEx", "OAuth")].ok is False and "FEDEX_CLIENT_SECRET" in checks[("FedEx", "OAuth")].fix
    assert checks[("F&O", "freight item NO-SUCH-ITEM")].ok is False
    assert checks[("F&O", "delivery mode STANDARD")].ok is True  # the others still run
    customers = checks[("F&O", "number sequence CustAccount")]
    assert customers.ok is False and "automatic only" in customers.detail and "Manual = Yes" in customers.fix
    assert checks[("F&O", "number sequence SalesId")].ok is True


def test_missing_scopes_and_a_bad_token(systems: Systems) -> None:
    narrow = start_in_thread(create_shopify(ShopifyEmulatorConfig(access_scopes=["read_orders"])), name="doctor-narrow")
    try:
        checks = by_name(run_doctor(systems.settings(SHOPIFY_ADMIN_URL=narrow.url), "", ("shopify",)))
    finally:
        narrow.stop()
    scopes = checks[("Shopify", "access scopes")]
    assert scopes.ok is False and "write_inventory" in scopes.detail and "write_shipping" in scopes.detail
    bad = by_name(run_doctor(systems.settings(SHOPIFY_ADMIN_TOKEN="shpat_wrong"), "", ("shopify",)))
    assert bad[("Shopify", "token")].ok is False and "SHOPIFY_ADMIN_TOKEN" in bad[("Shopify", "token")].fix


def test_the_ops_route_and_the_cli(systems: Systems, app_env: dict[str, str], storage: Storage, monkeypatch) -> None:
    monkeypatch.setenv("FEDEX_CLIENT_ID", "local-fedex-client")
    monkeypatch.setenv("FEDEX_ACCOUNT_NUMBER", "740561073")
    monkeypatch.setenv("SHOPIFY_ADMIN_TOKEN", "shpat_local_dev")
    monkeypatch.setenv("FEDEX_CLIENT_SECRET", "wrong")
    monkeypatch.setenv("D365_TOKEN", "local-dev-token")
    monkeypatch.setenv("SHOPIFY_ADMIN_URL", systems.shopify.url)
    monkeypatch.setenv("FEDEX_URL", systems.fedex.url)
    monkeypatch.setenv("D365_URL", systems.d365.url)
    bootstrap.reset()
    status, body = bootstrap.ops_router().dispatch(storage, Request("GET", "doctor", {"systems": "fedex"}, b""))
    assert status == 200 and body["ok"] is False and body["checks"][0]["status"] == "FAIL"
    assert bootstrap.ops_router().dispatch(storage, Request("GET", "doctor", {"systems": "mail"}, b""))[0] == 400
    result = CliRunner().invoke(cli.app, ["doctor", "--systems", "fedex"])
    assert result.exit_code == 1 and "OAuth" in result.output and "FAIL" in result.output
    bootstrap.reset()
