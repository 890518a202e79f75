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
