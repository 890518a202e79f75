"""Wiring the rate service from settings: named errors for missing settings, Redis only when set."""

from __future__ import annotations

import pytest

from integration.rates.service import build_rate_service
from shared.settings import SettingsError, load_settings

FEDEX = {
    "FEDEX_URL": "http://127.0.0.1:7103",
    "FEDEX_CLIENT_ID": "local-fedex-client",
    "FEDEX_CLIENT_SECRET": "local-fedex-secret",
    "FEDEX_ACCOUNT_NUMBER": "740561073",
}


async def test_builds_from_settings_without_redis() -> None:
    service = build_rate_service(load_settings(FEDEX))
    assert service.shared is None and service.client.account_number == "740561073"
    assert str(service.client.http.base_url) == "http://127.0.0.1:7103"
    await service.client.aclose()


async def test_redis_url_enables_the_shared_cache() -> None:
    service = build_rate_service(load_settings({**FEDEX, "REDIS_URL": "redis://127.0.0.1:6399/0"}))
    assert service.shared is not None
    await service.shared.aclose()
    await service.client.aclose()


def test_missing_fedex_settings_are_named() -> None:
    with pytest.raises(SettingsError, match="FEDEX_CLIENT_SECRET"):
        build_rate_service(load_settings({k: v for k, v in FEDEX.items() if k != "FEDEX_CLIENT_SECRET"}))
