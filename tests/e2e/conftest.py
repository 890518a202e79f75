from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from sandbox.emulators.d365.app import create_app as create_d365
from sandbox.emulators.serve import start_in_thread
from sandbox.emulators.shopify.app import create_app as create_shopify
from sandbox.emulators.shopify.webhooks import build_headers
from sandbox.host.process import HostProcess, start_host
from tests.conftest import SHOP, WEBHOOK_SECRET

if TYPE_CHECKING:
    from playwright.sync_api import Browser

FAST_QUEUES = {
    # The real host reads these overrides too; they make retries immediate for the tests.
    "AzureFunctionsJobHost__extensions__queues__visibilityTimeout": "00:00:00",
    "AzureFunctionsJobHost__extensions__queues__maxPollingInterval": "00:00:00.500",
}


@pytest.fixture(scope="module")
def product_host(azurite: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostProcess]:
    env = {
        "AzureWebJobsStorage": azurite,
        "SHOPIFY_API_SECRET": WEBHOOK_SECRET,
        "SHOPIFY_SHOP_DOMAIN": SHOP,
        "WEBHOOK_RETENTION_SCHEDULE": "*/2 * * * * *",
        "ORDER_RECONCILE_SCHEDULE": "0 0 0 1 1 *",
        **FAST_QUEUES,
    }
    host = start_host(env, log_file=tmp_path_factory.mktemp("host") / "host.log")
    yield host
    host.stop()


@contextmanager
def flows_stack(azurite: str, log_dir: Path, **settings: str) -> Iterator[tuple[HostProcess, str, str]]:
    """The F&O and Shopify emulators in this process and the app on the local host pointed at them;
    yields (host, F&O url, Shopify url)."""
    fo, shop = start_in_thread(create_d365()), start_in_thread(create_shopify())
    env = {
        "AzureWebJobsStorage": azurite,
        "SHOPIFY_API_SECRET": WEBHOOK_SECRET,
        "SHOPIFY_SHOP_DOMAIN": SHOP,
        "SHOPIFY_ADMIN_URL": shop.url,
        "SHOPIFY_ADMIN_TOKEN": "shpat_local_dev",
        "D365_URL": fo.url,
        "D365_LEGAL_ENTITY": "usmf",
        "D365_TOKEN": "local-dev-token",
        "WEBHOOK_RETENTION_SCHEDULE": "0 0 0 1 1 *",
        "ORDER_RECONCILE_SCHEDULE": "0 0 0 1 1 *",
        **FAST_QUEUES,
        **settings,
    }
    host = start_host(env, log_file=log_dir / "host.log")
    try:
        yield host, fo.url, shop.url
    finally:
        host.stop()
        fo.stop()
        shop.stop()


def deliver(
    host: HostProcess, topic: str, payload: dict[str, Any], copies: int = 1, api_version: str | None = "2026-10"
) -> None:
    """A signed Shopify webhook delivery (``copies`` times with the same ids: a redelivery), accepted with 200."""
    body = json.dumps(payload).encode()
    headers = build_headers(body, topic, WEBHOOK_SECRET, shop_domain=SHOP, api_version=api_version or "")
    if not api_version:
        del headers["X-Shopify-API-Version"]
    for _ in range(copies):
        response = httpx.post(f"{host.url}/api/shopify/webhooks", content=body, headers=headers, timeout=10)
        assert response.status_code == 200, response.text


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium for one test module (tests/e2e/chromium.py; imported here only when a test asks)."""
    from tests.e2e.chromium import launched

    yield from launched()
