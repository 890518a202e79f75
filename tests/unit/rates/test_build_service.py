"""Wiring the rate service from settings (``integration.bootstrap.rate_service``): named errors for
missing settings, Redis only when set, the worker's one FedEx client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from integration import bootstrap
from shared.settings import SettingsError

FEDEX = {
    "FEDEX_URL": "http://127.0.0.1:7103",
    "FEDEX_CLIENT_ID": "local-fedex-client",
    "FEDEX_CLIENT_SECRET": "local-fedex-secret",
    "FEDEX_ACCOUNT_NUMBER": "740561073",
}


@pytest.fixture
def fedex_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    for key, value in FEDEX.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("REDIS_URL", raising=False)
    bootstrap.reset()
    yield monkeypatch
    bootstrap.reset()


async def test_builds_from_settings_without_redis(fedex_env: pytest.MonkeyPatch) -> None:
    service = bootstrap.rate_service()
    assert service.shared is None and service.client.account_number == "740561073"
    assert str(service.client.http.base_url) == "http://127.0.0.1:7103"
    assert service.client is bootstrap.fedex() and bootstrap.rate_service() is service
    await service.client.aclose()


async def test_redis_url_enables_the_shared_cache(fedex_env: pytest.MonkeyPatch) -> None:
    fedex_env.setenv("REDIS_URL", "redis://127.0.0.1:6399/0")
    service = bootstrap.rate_service()
    assert service.shared is not None
    await service.shared.aclose()
    await service.client.aclose()


def test_missing_fedex_settings_are_named(fedex_env: pytest.MonkeyPatch) -> None:
    fedex_env.delenv("FEDEX_CLIENT_SECRET")
    with pytest.raises(SettingsError, match="FEDEX_CLIENT_SECRET"):
        bootstrap.rate_service()
