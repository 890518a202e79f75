"""Session fixtures for the product's tests: app settings over the session's Azurite, samples.

The ``azurite`` fixture itself (npm or Docker) is the sandbox's pytest plugin,
``sandbox/harness/stack/pytest_azurite.py``, loaded by the repository's top-level ``conftest.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from integration import bootstrap
from sandbox import SAMPLES
from shared.storage import Storage

ROOT = Path(__file__).resolve().parent.parent

WEBHOOK_SECRET = "test-webhook-secret"
SHOP = "test-shop.myshopify.com"


def sample(relative: str) -> dict:
    return json.loads((SAMPLES / relative).read_text())


def sample_bytes(relative: str) -> bytes:
    return (SAMPLES / relative).read_bytes()


def present[T](value: T | None) -> T:
    """The value a test expects to be there: fails the test (not a type check) when it is None."""
    assert value is not None, "expected a value, got None"
    return value


@pytest.fixture
def app_env(azurite: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """App settings for code under test, with the composition root (clients, flows, settings, storage)
    reset before and after."""
    values = {
        "AzureWebJobsStorage": azurite,
        "SHOPIFY_API_SECRET": WEBHOOK_SECRET,
        "SHOPIFY_SHOP_DOMAIN": SHOP,
        "WEBHOOK_RETENTION_SCHEDULE": "0 15 3 * * *",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    bootstrap.reset()
    yield values
    bootstrap.reset()


@pytest.fixture
def storage(azurite: str) -> Storage:
    return Storage.from_setting("S", {"S": azurite})
