"""Session fixtures: a real Azurite (started here, stopped at the end) and app settings."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox import SAMPLES
from sandbox import azurite as azurite_mod
from shared.settings import reset_settings_cache
from shared.storage import Storage, reset_storage

ROOT = Path(__file__).resolve().parent.parent

WEBHOOK_SECRET = "test-webhook-secret"
SHOP = "test-shop.myshopify.com"


def sample(relative: str) -> dict:
    return json.loads((SAMPLES / relative).read_text())


def sample_bytes(relative: str) -> bytes:
    return (SAMPLES / relative).read_bytes()


@pytest.fixture(scope="session")
def azurite() -> Iterator[str]:
    """A fresh Azurite for the session, on free loopback ports; yields its connection string."""
    instance = azurite_mod.start()
    try:
        yield instance.connection_string
    finally:
        instance.stop()


@pytest.fixture
def app_env(azurite: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """App settings for code under test, with the settings and storage singletons reset."""
    values = {
        "AzureWebJobsStorage": azurite,
        "SHOPIFY_API_SECRET": WEBHOOK_SECRET,
        "SHOPIFY_SHOP_DOMAIN": SHOP,
        "WEBHOOK_RETENTION_SCHEDULE": "0 15 3 * * *",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    reset_settings_cache()
    reset_storage()
    yield values
    reset_settings_cache()
    reset_storage()


@pytest.fixture
def storage(azurite: str) -> Storage:
    return Storage.from_setting("S", {"S": azurite})


def pytest_report_header() -> list[str]:
    return [f"samples: {SAMPLES}", f"python: {os.sys.version.split()[0]}"]
