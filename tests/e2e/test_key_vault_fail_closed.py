"""An unresolved Key Vault reference fails closed: App Service passes the literal
``@Microsoft.KeyVault(...)`` text when it cannot resolve a reference, and that text is derivable from
the public host name. Signing with it must not get a webhook queued or a carrier callback served; the
anonymous health probe says ``unhealthy`` without naming anything, the authenticated one names it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import httpx
import pytest

from integration.webhooks.signature import sign
from sandbox.host.process import HostProcess, start_host
from shared import queues
from shared.storage import Storage
from tests.conftest import SHOP, sample_bytes
from tests.e2e.conftest import FAST_QUEUES

REFERENCE = "@Microsoft.KeyVault(SecretUri=https://kv-abc123.vault.azure.net/secrets/shopify-api-secret)"
ORDER = sample_bytes("shopify/itakastudio__orders_create__line_item_discount.json")
RATE = sample_bytes("shopify/shopify_dev__carrier_service_rate_request.json")
KEY = {"x-functions-key": "local-function-key"}


@pytest.fixture(scope="module")
def broken_host(azurite: str) -> Iterator[HostProcess]:
    env = {
        "AzureWebJobsStorage": azurite,
        "SHOPIFY_API_SECRET": REFERENCE,
        "SHOPIFY_API_SECRET_PREVIOUS": "previous-secret",  # never a fallback for a missing current secret
        "SHOPIFY_SHOP_DOMAIN": SHOP,
        "FEDEX_CLIENT_ID": "c",
        "FEDEX_CLIENT_SECRET": "@Microsoft.KeyVault(VaultName=kv-abc123;SecretName=fedex-client-secret)",
        "FEDEX_ACCOUNT_NUMBER": "1",
        "WEBHOOK_RETENTION_SCHEDULE": "0 0 3 * * *",
        "ORDER_RECONCILE_SCHEDULE": "0 0 0 1 1 *",
        "FULFILLMENT_SYNC_SCHEDULE": "0 0 0 1 1 *",
        "INVENTORY_SYNC_SCHEDULE": "0 0 0 1 1 *",
        **FAST_QUEUES,
    }
    host = start_host(env)
    yield host
    host.stop()


def _queued(storage: Storage, webhook_id: str) -> bool:
    for message in storage.queue(queues.ORDERS).peek_messages(max_messages=32):
        if webhook_id in str(message.content):
            return True
    return False


@pytest.mark.parametrize("secret", [REFERENCE, "previous-secret"])
def test_a_webhook_signed_with_the_reference_text_is_not_queued(
    broken_host: HostProcess, storage: Storage, secret: str
) -> None:
    webhook_id = f"kv-{uuid.uuid4()}"
    response = httpx.post(
        f"{broken_host.url}/api/shopify/webhooks",
        content=ORDER,
        headers={
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Hmac-Sha256": sign(ORDER, secret),
            "X-Shopify-Webhook-Id": webhook_id,
            "X-Shopify-Shop-Domain": SHOP,
            "Content-Type": "application/json",
        },
        timeout=15,
    )
    assert response.status_code == 503
    assert "SHOPIFY_API_SECRET" not in response.text  # an anonymous caller is not told which setting
    assert not _queued(storage, webhook_id)


def test_a_carrier_callback_signed_with_the_reference_text_is_refused(broken_host: HostProcess) -> None:
    response = httpx.post(
        f"{broken_host.url}/api/shopify/carrier-rates",
        content=RATE,
        headers={"Content-Type": "application/json", "X-Shopify-Hmac-Sha256": sign(RATE, REFERENCE)},
        timeout=15,
    )
    assert response.status_code == 503 and "SHOPIFY_API_SECRET" not in response.text


def test_health_is_unhealthy_and_names_the_setting_only_when_authenticated(broken_host: HostProcess) -> None:
    public = httpx.get(f"{broken_host.url}/api/health", timeout=15)
    assert public.status_code == 503 and public.json() == {"status": "unhealthy"}
    detailed = httpx.get(f"{broken_host.url}/api/ops/health", headers=KEY, timeout=15).json()
    assert detailed["status"] == "unhealthy"
    assert detailed["checks"]["settings"]["unresolved_key_vault_references"] == [
        "FEDEX_CLIENT_SECRET",
        "SHOPIFY_API_SECRET",
    ]
    assert "vault.azure.net" not in json.dumps(detailed)  # the reference itself (a value) is never shown
