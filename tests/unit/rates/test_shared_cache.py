"""The optional Redis quote cache, on fakeredis (an in-memory Redis server implementation)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import fakeredis

from integration.clients.fedex import ServiceQuote
from integration.rates.shared_cache import RedisQuoteCache, dump_quotes, load_quotes

QUOTES = [
    ServiceQuote(
        "FEDEX_2_DAY",
        "FedEx 2Day®",
        Decimal("29.34"),
        "USD",
        "ACCOUNT",
        Decimal("29.34"),
        Decimal("33.10"),
        2,
        None,
        datetime(2026, 11, 25, 16, 30),
    ),
    ServiceQuote("FEDEX_GROUND", None, Decimal("0.10"), "USD", "LIST", None, None, None, None, None),
]


def test_round_trip_keeps_money_exact() -> None:
    assert load_quotes(dump_quotes(QUOTES)) == QUOTES
    assert '"29.34"' in dump_quotes(QUOTES)


async def test_get_set_and_ttl() -> None:
    server = fakeredis.FakeServer()
    cache = RedisQuoteCache(fakeredis.FakeAsyncRedis(server=server))
    assert await cache.get("k") is None
    await cache.set("k", QUOTES, 600)
    other_instance = RedisQuoteCache(fakeredis.FakeAsyncRedis(server=server))
    assert await other_instance.get("k") == QUOTES
    assert 0 < await other_instance.redis.ttl("k") <= 600
    await cache.aclose()
    await other_instance.aclose()


async def test_redis_down_is_a_miss_not_an_error() -> None:
    server = fakeredis.FakeServer()
    server.connected = False
    cache = RedisQuoteCache(fakeredis.FakeAsyncRedis(server=server))
    await cache.set("k", QUOTES, 600)
    assert await cache.get("k") is None
    assert cache.errors == 2


def test_azure_redis_without_a_password_signs_in_with_entra_id() -> None:
    import base64
    import json
    import time
    from types import SimpleNamespace

    from integration.rates.shared_cache import EntraIdCredentials, uses_entra_id

    assert uses_entra_id("rediss://cache-x.redis.cache.windows.net:6380/0")
    assert not uses_entra_id("rediss://:key@cache-x.redis.cache.windows.net:6380/0")
    assert not uses_entra_id("redis://127.0.0.1:6379/0")

    claims = base64.urlsafe_b64encode(json.dumps({"oid": "11111111-2222"}).encode()).decode().rstrip("=")
    token = f"e30.{claims}.sig"

    class Credential:
        calls = 0

        def get_token(self, scope: str) -> SimpleNamespace:
            assert scope == "https://redis.azure.com/.default"
            Credential.calls += 1
            return SimpleNamespace(token=token, expires_on=time.time() + 3600)

    provider = EntraIdCredentials(Credential())
    assert provider.get_credentials() == ("11111111-2222", token)
    assert provider.get_credentials() == ("11111111-2222", token)
    assert Credential.calls == 1  # reused until close to expiry
